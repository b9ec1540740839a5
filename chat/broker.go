package chat

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Event types of an Envelope; the WebSocket frames carry the same words.
const (
	EventMessage     = "message"      // a new message (Seq, ID; the body may be left out)
	EventEdit        = "edit"         // a message's text changed
	EventDelete      = "delete"       // a message was deleted
	EventTyping      = "typing"       // a member is typing
	EventRead        = "read"         // a member read up to ID
	EventJoin        = "join"         // a member's first socket connected
	EventLeave       = "leave"        // a member's last socket went away
	EventKick        = "kick"         // UserID was banned or removed: close their sockets
	EventRoomDeleted = "room_deleted" // close every socket of the room
)

// Envelope is what server instances tell each other about a room. The
// store is the source of truth: an Envelope only wakes hubs up, and a
// message Envelope may carry its ids alone (Thin), for the hub to read the
// body from the store.
type Envelope struct {
	Type     string    `json:"t"`
	Room     int64     `json:"r"`
	Seq      int64     `json:"s,omitempty"`
	ID       int64     `json:"i,omitempty"`
	UserID   int64     `json:"u,omitempty"`
	Username string    `json:"n,omitempty"`
	Text     string    `json:"x,omitempty"`
	ClientID string    `json:"c,omitempty"`
	At       time.Time `json:"a,omitzero"`
	// Thin marks a message, edit or delete Envelope that carries ids only.
	Thin bool `json:"h,omitempty"`
}

// MarshalBinary encodes e for a broker's wire.
func (e Envelope) MarshalBinary() ([]byte, error) { return json.Marshal(e) }

// UnmarshalBinary decodes what MarshalBinary made.
func (e *Envelope) UnmarshalBinary(b []byte) error { return json.Unmarshal(b, e) }

// Slim returns e without its body, as a broker whose payloads are small
// (PostgreSQL NOTIFY) carries it.
func (e Envelope) Slim() Envelope {
	if e.Type == EventMessage || e.Type == EventEdit || e.Type == EventDelete {
		return Envelope{Type: e.Type, Room: e.Room, Seq: e.Seq, ID: e.ID, UserID: e.UserID, At: e.At, Thin: true}
	}
	return e
}

// Broker carries envelopes between the hubs of server instances. A hub
// calls Run once, then Subscribe when its first socket of a room connects
// and Unsubscribe when its last one leaves. Delivery is at most once (never
// twice) and may be out of order: hubs put messages in sequence order and
// read what they missed from the store. Once Subscribe returns nil,
// envelopes published afterwards are delivered, or reconnected is called
// when delivery resumes; a failed Subscribe may leave the room subscribed,
// and Unsubscribe cleans that up. deliver may be called from several
// goroutines at once. After Run returns the broker is done.
// Implementations must be safe for concurrent use; if one also has
// Close(context.Context) error, the Service's Close calls it (it may be
// called twice).
type Broker interface {
	// Publish sends env to every hub subscribed to env.Room, this one
	// included.
	Publish(ctx context.Context, env Envelope) error
	// Subscribe starts the delivery of a room's envelopes to this hub.
	// Idempotent.
	Subscribe(ctx context.Context, room int64) error
	// Unsubscribe stops it. Idempotent.
	Unsubscribe(ctx context.Context, room int64) error
	// Run passes received envelopes to deliver until ctx is done, and
	// calls reconnected after every gap in which envelopes may have been
	// lost (a dropped connection), so that the hub reads what it missed.
	// deliver and reconnected must not block.
	Run(ctx context.Context, deliver func(Envelope), reconnected func()) error
}

// MemoryBroker is the Broker of a single process: Publish delivers to the
// process's own hub. It is the default.
type MemoryBroker struct {
	mu      sync.RWMutex
	subs    map[int64]bool
	deliver func(Envelope)
}

var _ Broker = (*MemoryBroker)(nil)

// NewMemoryBroker returns a MemoryBroker.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{subs: map[int64]bool{}}
}

// Publish implements Broker.
func (b *MemoryBroker) Publish(ctx context.Context, env Envelope) error {
	b.mu.RLock()
	deliver, sub := b.deliver, b.subs[env.Room]
	b.mu.RUnlock()
	if deliver != nil && sub {
		deliver(env)
	}
	return nil
}

// Subscribe implements Broker.
func (b *MemoryBroker) Subscribe(ctx context.Context, room int64) error {
	b.mu.Lock()
	b.subs[room] = true
	b.mu.Unlock()
	return nil
}

// Unsubscribe implements Broker.
func (b *MemoryBroker) Unsubscribe(ctx context.Context, room int64) error {
	b.mu.Lock()
	delete(b.subs, room)
	b.mu.Unlock()
	return nil
}

// Run implements Broker.
func (b *MemoryBroker) Run(ctx context.Context, deliver func(Envelope), reconnected func()) error {
	b.mu.Lock()
	b.deliver = deliver
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	b.deliver = nil
	b.mu.Unlock()
	return nil
}
