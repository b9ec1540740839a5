package chat

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Presence records live presenceTTL and are renewed every presenceRenew.
const (
	presenceTTL   = 30 * time.Second
	presenceRenew = 10 * time.Second
	// gapWait is how long a hub waits for a message that came out of
	// order before reading it from the store.
	gapWait = 300 * time.Millisecond
	// presenceWait bounds how long a new socket waits for its presence
	// record.
	presenceWait = 5 * time.Second
	// catchUpBatch bounds one read of missed messages.
	catchUpBatch = 500
)

// hub is this instance's set of sockets, by room, and the ordering of
// each room's messages.
type hub struct {
	s      *Service
	mu     sync.Mutex
	rooms  map[int64]*hubRoom
	closed bool
	conns  sync.WaitGroup // every socket's goroutines

	names   nameCache
	writes  *presenceWrites
	sockets atomic.Int64 // accepted and not yet ended
}

// hubRoom is a room with sockets on this instance.
type hubRoom struct {
	id    int64
	refs  int           // sockets joined or joining, under hub.mu
	ready chan struct{} // closed once opened
	err   error         // why opening failed

	mu       sync.Mutex
	conns    map[*conn]struct{}
	lastSeq  int64 // the last message delivered, in order
	pending  map[int64]Envelope
	timer    *time.Timer
	fetching bool
}

func newHub(s *Service) *hub {
	return &hub{s: s, rooms: map[int64]*hubRoom{}, names: nameCache{m: map[int64]string{}}, writes: newPresenceWrites()}
}

var errShuttingDown = errors.New("chat: shutting down")

// join adds c to its room, opening the room on this instance (reading
// its last sequence number, subscribing the broker) when it is the first.
func (h *hub) join(ctx context.Context, c *conn) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return errShuttingDown
	}
	r := h.rooms[c.room]
	first := r == nil
	if first {
		r = &hubRoom{id: c.room, ready: make(chan struct{}), conns: map[*conn]struct{}{}, pending: map[int64]Envelope{}}
		h.rooms[c.room] = r
	}
	r.refs++
	h.conns.Add(1)
	h.mu.Unlock()

	if first {
		r.err = h.open(ctx, r)
		close(r.ready)
		if r.err == nil {
			// What was published while the room opened was not delivered:
			// read anything newer than LastSeq from the store.
			r.mu.Lock()
			h.catchUpLocked(r)
			r.mu.Unlock()
		}
	}
	select {
	case <-r.ready:
	case <-ctx.Done():
		h.release(r)
		return ctx.Err()
	}
	if r.err != nil {
		h.release(r)
		return r.err
	}
	r.mu.Lock()
	r.conns[c] = struct{}{}
	c.hubRoom = r
	r.mu.Unlock()
	// close sets closed before it walks the rooms: a socket that joined
	// after its walk sees closed here.
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		c.closeWith(1001, "server shutting down")
	}
	// The socket counts as present once the store says so (within a
	// bound: a slow store delays presence, not the socket).
	wctx, cancel := context.WithTimeout(ctx, presenceWait)
	defer cancel()
	select {
	case <-h.writes.add(r.id, c.user.ID, c.user.Username, +1):
	case <-wctx.Done():
	}
	return nil
}

// open subscribes the broker to the room, then reads its last sequence
// number: a message stored in between is either counted in LastSeq or
// delivered through the subscription (or the catch-up after opening).
func (h *hub) open(ctx context.Context, r *hubRoom) error {
	if err := h.s.broker.Subscribe(ctx, r.id); err != nil {
		return err
	}
	room, found, err := h.s.store.Room(ctx, r.id)
	if err != nil {
		return err
	}
	if !found {
		return ErrNotFound
	}
	r.mu.Lock()
	r.lastSeq = room.LastSeq
	r.mu.Unlock()
	return nil
}

// leave removes c from its room, closing the room on this instance when
// it was the last.
func (h *hub) leave(c *conn) {
	r := c.hubRoom
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	h.writes.add(r.id, c.user.ID, c.user.Username, -1)
	h.release(r)
}

// release drops one reference to r; the last one closes it.
func (h *hub) release(r *hubRoom) {
	h.mu.Lock()
	r.refs--
	last := r.refs == 0
	if last {
		delete(h.rooms, r.id)
	}
	h.mu.Unlock()
	h.conns.Done()
	if last {
		r.mu.Lock()
		if r.timer != nil {
			r.timer.Stop()
		}
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.s.broker.Unsubscribe(ctx, r.id); err != nil {
			h.s.cfg.Logger.Warn("chat: unsubscribe", "room", r.id, "err", err)
		}
	}
}

// renewPresence keeps this instance's presence records alive until ctx is
// done, and then removes them.
func (h *hub) renewPresence(ctx context.Context) {
	t := time.NewTicker(presenceRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := h.s.presence.RenewPresence(ctx, h.s.cfg.Instance, h.s.now().Add(presenceTTL)); err != nil && ctx.Err() == nil {
				h.s.cfg.Logger.WarnContext(ctx, "chat: renew presence", "err", err)
			}
		}
	}
}

// deliver receives an envelope from the broker. It never blocks on a
// socket: frames go into each socket's bounded queue.
func (h *hub) deliver(env Envelope) {
	h.mu.Lock()
	r := h.rooms[env.Room]
	h.mu.Unlock()
	if r == nil {
		return
	}
	select {
	case <-r.ready:
		if r.err != nil {
			return
		}
	default:
		return // still opening: the sockets' replay reads the store after it
	}
	switch env.Type {
	case EventMessage:
		h.message(r, env)
	case EventEdit, EventDelete:
		if env.Thin {
			go h.fetchEdit(r, env)
			return
		}
		r.broadcast(frameOf(env), 0)
	case EventKick:
		r.each(func(c *conn) {
			if c.user.ID == env.UserID {
				c.closeWith(4003, "removed from the room")
			}
		})
	case EventRoomDeleted:
		r.each(func(c *conn) { c.closeWith(4004, "room deleted") })
	case EventTyping:
		// Not to the typist's own sockets: they know.
		f := frameOf(env)
		r.each(func(c *conn) {
			if c.user.ID != env.UserID {
				c.enqueue(f)
			}
		})
	case EventRead, EventJoin, EventLeave:
		r.broadcast(frameOf(env), 0)
	}
}

// message delivers a room's messages in sequence order, holding back one
// that came early until the ones before it come, or reading them from the
// store when they do not.
func (h *hub) message(r *hubRoom, env Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if env.Seq <= r.lastSeq {
		return // delivered already
	}
	r.pending[env.Seq] = env
	r.drainLocked()
	if len(r.pending) == 0 {
		return
	}
	thin := false
	for _, p := range r.pending {
		thin = thin || p.Thin
	}
	if thin {
		h.catchUpLocked(r)
	} else if r.timer == nil {
		r.timer = time.AfterFunc(gapWait, func() {
			r.mu.Lock()
			r.timer = nil
			h.catchUpLocked(r)
			r.mu.Unlock()
		})
	}
}

// drainLocked delivers the pending messages that follow the last one.
func (r *hubRoom) drainLocked() {
	for {
		next, ok := r.pending[r.lastSeq+1]
		if !ok || next.Thin {
			return
		}
		delete(r.pending, next.Seq)
		r.lastSeq = next.Seq
		r.broadcastLocked(frameOf(next), next.Seq)
	}
}

// catchUpLocked starts reading the messages after lastSeq from the store,
// unless a read is running.
func (h *hub) catchUpLocked(r *hubRoom) {
	if r.fetching {
		return
	}
	r.fetching = true
	go h.fetch(r)
}

// fetch reads the room's messages after lastSeq from the store and
// delivers them in order.
func (h *hub) fetch(r *hubRoom) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		r.mu.Lock()
		from := r.lastSeq
		r.mu.Unlock()
		msgs, err := h.s.store.MessagesAfterSeq(ctx, r.id, from, catchUpBatch)
		if err != nil {
			h.s.cfg.Logger.Warn("chat: catch up", "room", r.id, "err", err)
		}
		envs := h.envelopes(ctx, msgs)
		r.mu.Lock()
		for _, env := range envs {
			if env.Seq != r.lastSeq+1 {
				continue
			}
			r.lastSeq = env.Seq
			delete(r.pending, env.Seq)
			if env.Type == EventMessage {
				r.broadcastLocked(frameOf(env), env.Seq)
			}
		}
		for seq := range r.pending {
			if seq <= r.lastSeq {
				delete(r.pending, seq)
			}
		}
		r.drainLocked()
		more := len(msgs) == catchUpBatch && err == nil
		if !more {
			r.fetching = false
			if len(r.pending) > 0 && r.timer == nil && err == nil {
				// Still a gap: what fills it has not committed yet.
				r.timer = time.AfterFunc(gapWait, func() {
					r.mu.Lock()
					r.timer = nil
					h.catchUpLocked(r)
					r.mu.Unlock()
				})
			}
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
	}
}

// envelopes turns stored messages into message envelopes, with their
// senders' usernames; deleted messages become placeholders that only move
// the sequence on.
func (h *hub) envelopes(ctx context.Context, msgs []Message) []Envelope {
	out := make([]Envelope, 0, len(msgs))
	for _, m := range msgs {
		if !m.DeletedAt.IsZero() {
			out = append(out, Envelope{Type: EventDelete, Room: m.RoomID, Seq: m.Seq, ID: m.ID})
			continue
		}
		out = append(out, Envelope{Type: EventMessage, Room: m.RoomID, Seq: m.Seq, ID: m.ID, UserID: m.SenderID,
			Username: h.names.get(ctx, h.s.users, m.SenderID), Text: m.Text, ClientID: m.ClientID, At: m.CreatedAt})
	}
	return out
}

// fetchEdit reads an edited or deleted message a thin envelope named.
func (h *hub) fetchEdit(r *hubRoom, env Envelope) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, found, err := h.s.store.Message(ctx, env.ID)
	if err != nil || !found {
		return
	}
	full := Envelope{Type: env.Type, Room: m.RoomID, ID: m.ID, Seq: m.Seq, UserID: m.SenderID, At: env.At}
	if env.Type == EventEdit {
		full.Text = m.Text
		full.At = m.EditedAt
	}
	r.broadcast(frameOf(full), 0)
}

// reconnected is the broker telling that envelopes may have been lost:
// every open room reads what it missed.
func (h *hub) reconnected() {
	h.mu.Lock()
	rooms := make([]*hubRoom, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		select {
		case <-r.ready:
		default:
			continue
		}
		r.mu.Lock()
		h.catchUpLocked(r)
		r.mu.Unlock()
	}
}

func (r *hubRoom) broadcast(f *frame, seq int64) {
	r.mu.Lock()
	r.broadcastLocked(f, seq)
	r.mu.Unlock()
}

// broadcastLocked queues f on every socket of the room. seq, when not
// zero, lets a socket skip what its replay sent already.
func (r *hubRoom) broadcastLocked(f *frame, seq int64) {
	f.seq = seq
	for c := range r.conns {
		c.enqueue(f)
	}
}

func (r *hubRoom) each(fn func(*conn)) {
	r.mu.Lock()
	conns := make([]*conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	for _, c := range conns {
		fn(c)
	}
}

// close ends every socket with 1001 and waits for them or ctx.
func (h *hub) close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	rooms := make([]*hubRoom, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.each(func(c *conn) { c.closeWith(1001, "server shutting down") })
	}
	done := make(chan struct{})
	go func() {
		h.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// frame is one encoded server-to-client frame, shared by every socket it
// goes to.
type frame struct {
	data []byte
	seq  int64
	// ephemeral: typing, join and leave, which a socket that is behind
	// may miss (presence/ has the state) rather than be closed for.
	ephemeral bool
}

// wireFrame is the JSON of a server-to-client frame (API-CONTRACT
// section 7): message and sender are django-chelseru's keys.
type wireFrame struct {
	Type      string     `json:"type"`
	Message   *string    `json:"message,omitempty"`
	Sender    string     `json:"sender,omitempty"`
	ID        int64      `json:"id,omitempty"`
	ChatRoom  int64      `json:"chat_room"`
	SenderID  int64      `json:"sender_id,omitempty"`
	UserID    int64      `json:"user_id,omitempty"`
	Username  string     `json:"username,omitempty"`
	MessageID int64      `json:"message_id,omitempty"`
	Timestamp *time.Time `json:"timestamp,omitempty"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
	ClientID  *string    `json:"client_id,omitempty"`
}

// frameOf encodes the frame of an envelope.
func frameOf(env Envelope) *frame {
	w := wireFrame{Type: env.Type, ChatRoom: env.Room}
	at := env.At.UTC()
	switch env.Type {
	case EventMessage:
		text, cid := env.Text, env.ClientID
		w.Message, w.Sender, w.ID, w.SenderID, w.Timestamp, w.ClientID = &text, env.Username, env.ID, env.UserID, &at, &cid
	case EventEdit:
		text := env.Text
		w.Message, w.ID, w.SenderID, w.EditedAt = &text, env.ID, env.UserID, &at
	case EventDelete:
		w.ID = env.ID
	case EventRead:
		w.UserID, w.MessageID = env.UserID, env.ID
	case EventTyping, EventJoin, EventLeave:
		w.UserID, w.Username = env.UserID, env.Username
	}
	b, _ := json.Marshal(w) // plain values: always encodes
	eph := env.Type == EventTyping || env.Type == EventJoin || env.Type == EventLeave
	return &frame{data: b, ephemeral: eph}
}

// errorFrame is a {"type": "error"} frame for a client frame the server
// refused without closing; client_id (ours) is the refused frame's.
func errorFrame(code, msg, clientID string) *frame {
	b, _ := json.Marshal(struct {
		Type     string `json:"type"`
		Code     string `json:"code"`
		Error    string `json:"error"`
		ClientID string `json:"client_id,omitempty"`
	}{"error", code, msg, clientID})
	return &frame{data: b}
}

// nameCache remembers usernames for catch-up reads.
type nameCache struct {
	mu sync.Mutex
	m  map[int64]string
}

func (n *nameCache) get(ctx context.Context, users Users, id int64) string {
	n.mu.Lock()
	name, ok := n.m[id]
	n.mu.Unlock()
	if ok {
		return name
	}
	found, err := users.UsersByID(ctx, []int64{id})
	if err != nil {
		return ""
	}
	name = found[id].Username
	n.mu.Lock()
	if len(n.m) > 100_000 {
		clear(n.m)
	}
	n.m[id] = name
	n.mu.Unlock()
	return name
}
