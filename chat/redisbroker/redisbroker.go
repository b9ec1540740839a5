package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chelseru/chelseru-go/chat"
)

// DefaultPrefix is the channel prefix of a Config that sets none.
const DefaultPrefix = "chelseru:chat:"

// ErrClosed is returned by Subscribe once Run has returned or Close was
// called.
var ErrClosed = errors.New("redisbroker: closed")

// Config configures a Broker.
type Config struct {
	// Client is the host's Redis client: a *redis.Client, a
	// *redis.ClusterClient or a failover client. Required. The Broker
	// never closes it. A *redis.Ring is refused: its Pub/Sub lives on
	// one shard per channel set.
	Client redis.UniversalClient
	// Prefix is put before a room's id to name the room's channel; every
	// instance of one deployment must use the same. Defaults to
	// DefaultPrefix ("chelseru:chat:").
	Prefix string
	// Logger receives the broker's warnings (a lost connection, an
	// envelope that does not decode). Defaults to discarding them.
	Logger *slog.Logger
}

// Broker is a chat.Broker on Redis Pub/Sub: one channel per room, one
// PubSub connection per Broker. It is safe for concurrent use.
type Broker struct {
	client redis.UniversalClient
	prefix string
	log    *slog.Logger
	ps     *redis.PubSub

	// subMu serialises Subscribe and Unsubscribe, so that their SUBSCRIBE
	// and UNSUBSCRIBE commands reach Redis in the order of their changes
	// to rooms.
	subMu sync.Mutex

	mu    sync.Mutex
	state int                 // idle, running or stopped
	rooms map[int64]struct{}  // subscribed rooms: only their envelopes are delivered
	acks  map[string][]waiter // per channel, the SUBSCRIBEs whose confirmation is awaited, oldest first
	early map[string]struct{} // channels whose Subscribe returned before Run was reading
	done  chan struct{}       // closed when the Broker stops
	ended chan struct{}       // closed when Run returns
}

// A waiter is closed when Redis confirms one SUBSCRIBE.
type waiter chan struct{}

const (
	idle = iota
	running
	stopped
)

var _ chat.Broker = (*Broker)(nil)

// Validate reports the first bad value of c, as New does.
func (c Config) Validate() error {
	if c.Client == nil {
		return errors.New("redisbroker: Config.Client is required")
	}
	if _, ok := c.Client.(*redis.Ring); ok {
		return errors.New("redisbroker: Config.Client: a *redis.Ring is not supported (its Pub/Sub is per shard); use a *redis.Client or *redis.ClusterClient")
	}
	return nil
}

// New returns a Broker on cfg.Client. It does no I/O: the PubSub
// connection is made by Run or the first Subscribe.
func New(cfg Config) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Broker{
		client: cfg.Client,
		prefix: cfg.Prefix,
		log:    cfg.Logger,
		ps:     cfg.Client.Subscribe(context.Background()), // no channels: no I/O
		rooms:  map[int64]struct{}{},
		acks:   map[string][]waiter{},
		early:  map[string]struct{}{},
		done:   make(chan struct{}),
		ended:  make(chan struct{}),
	}, nil
}

func (b *Broker) channel(room int64) string { return b.prefix + strconv.FormatInt(room, 10) }

// Publish implements chat.Broker: it PUBLISHes env, encoded with
// MarshalBinary, to its room's channel. It works before Run and after it
// too (it needs only the Client).
func (b *Broker) Publish(ctx context.Context, env chat.Envelope) error {
	data, err := env.MarshalBinary()
	if err != nil {
		return fmt.Errorf("redisbroker: encode: %w", err)
	}
	if err := b.client.Publish(ctx, b.channel(env.Room), data).Err(); err != nil {
		return fmt.Errorf("redisbroker: publish to room %d: %w", env.Room, err)
	}
	return nil
}

// Subscribe implements chat.Broker: it SUBSCRIBEs the room's channel and,
// while Run is reading, returns once Redis has confirmed it, so that
// whatever is published afterwards is delivered. A Subscribe made before
// Run reads returns at once; Run then calls reconnected when those early
// subscriptions are confirmed, as delivery may have started late. If ctx
// ends first Subscribe returns ctx's error, and the room stays subscribed
// (Unsubscribe undoes it).
func (b *Broker) Subscribe(ctx context.Context, room int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ch := b.channel(room)
	b.subMu.Lock()
	b.mu.Lock()
	if b.state == stopped {
		b.mu.Unlock()
		b.subMu.Unlock()
		return ErrClosed
	}
	if _, ok := b.rooms[room]; ok {
		// Already subscribed: wait for the confirmation still awaited, if any.
		var w waiter
		if q := b.acks[ch]; len(q) > 0 {
			w = q[len(q)-1]
		}
		wait := b.state == running
		b.mu.Unlock()
		b.subMu.Unlock()
		if w == nil || !wait {
			return nil
		}
		return b.wait(ctx, w)
	}
	b.rooms[room] = struct{}{}
	w := make(waiter)
	b.acks[ch] = append(b.acks[ch], w)
	wait := b.state == running
	if !wait {
		b.early[ch] = struct{}{}
	}
	b.mu.Unlock()
	err := b.ps.Subscribe(ctx, ch)
	if err != nil {
		b.mu.Lock()
		delete(b.rooms, room)
		delete(b.early, ch)
		b.acks[ch] = removeWaiter(b.acks[ch], w)
		if len(b.acks[ch]) == 0 {
			delete(b.acks, ch)
		}
		b.mu.Unlock()
		// go-redis keeps a channel whose SUBSCRIBE failed, to subscribe it
		// on its next connection: take it back.
		_ = b.ps.Unsubscribe(context.WithoutCancel(ctx), ch)
	}
	b.subMu.Unlock()
	if err != nil {
		return fmt.Errorf("redisbroker: subscribe room %d: %w", room, err)
	}
	if !wait {
		return nil
	}
	return b.wait(ctx, w)
}

func removeWaiter(q []waiter, w waiter) []waiter {
	for i, x := range q {
		if x == w {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}

// wait waits for w, ctx or the end of the Broker.
func (b *Broker) wait(ctx context.Context, w waiter) error {
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return ErrClosed
	}
}

// Unsubscribe implements chat.Broker: the room's envelopes stop being
// delivered at once, and its channel is UNSUBSCRIBEd. After Run has
// returned it does nothing.
func (b *Broker) Unsubscribe(ctx context.Context, room int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.subMu.Lock()
	defer b.subMu.Unlock()
	b.mu.Lock()
	_, ok := b.rooms[room]
	delete(b.rooms, room)
	stopped := b.state == stopped
	b.mu.Unlock()
	if !ok || stopped {
		return nil
	}
	if err := b.ps.Unsubscribe(ctx, b.channel(room)); err != nil {
		return fmt.Errorf("redisbroker: unsubscribe room %d: %w", room, err)
	}
	return nil
}

// Run implements chat.Broker: it reads the PubSub connection until ctx is
// done or Close is called, then closes it; a Broker runs once. go-redis
// reconnects and resubscribes by itself when the connection drops (or
// fails its health-check ping); Run tells a resubscription from a first
// subscription by Redis's count of the connection's subscriptions and
// calls reconnected once per new connection.
func (b *Broker) Run(ctx context.Context, deliver func(chat.Envelope), reconnected func()) error {
	b.mu.Lock()
	switch b.state {
	case running:
		b.mu.Unlock()
		return errors.New("redisbroker: Run called twice")
	case stopped:
		b.mu.Unlock()
		return ErrClosed
	}
	b.state = running
	b.mu.Unlock()
	defer close(b.ended)

	msgs := b.ps.ChannelWithSubscriptions()
	defer func() {
		b.stop()
		// Let go-redis's reader see the closed connection and end: it
		// closes msgs then.
		t := time.NewTimer(time.Second)
		defer t.Stop()
		for {
			select {
			case _, ok := <-msgs:
				if !ok {
					return
				}
			case <-t.C:
				return
			}
		}
	}()
	// live mirrors the channels that Redis counts as subscribed on the
	// current connection, as its confirmations tell.
	live := map[string]struct{}{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-b.done:
			return nil
		case m, ok := <-msgs:
			if !ok {
				return nil // closed by Close
			}
			switch m := m.(type) {
			case *redis.Message:
				b.message(ctx, m, deliver)
			case *redis.Subscription:
				if b.subscription(ctx, m, live) {
					reconnected()
				}
			}
		}
	}
}

// subscription handles Redis's confirmation of a SUBSCRIBE or UNSUBSCRIBE
// and tells whether reconnected is due.
//
// On one connection Redis confirms each SUBSCRIBE with the number of
// channels the connection is subscribed to, and the Broker never
// subscribes a channel it has subscribed already. So a confirmation for a
// channel that is live, or with a count below what live would make, comes
// from a new connection on which go-redis subscribed the channels again:
// a reconnection, and the first confirmation on the new connection.
func (b *Broker) subscription(ctx context.Context, m *redis.Subscription, live map[string]struct{}) bool {
	switch m.Kind {
	case "unsubscribe":
		delete(live, m.Channel)
		return false
	case "subscribe":
	default:
		return false
	}
	_, had := live[m.Channel]
	want := len(live) + 1
	reconnect := had || m.Count < want
	if reconnect {
		clear(live)
	}
	live[m.Channel] = struct{}{}

	b.mu.Lock()
	if q := b.acks[m.Channel]; len(q) > 0 {
		close(q[0])
		if len(q) == 1 {
			delete(b.acks, m.Channel)
		} else {
			b.acks[m.Channel] = q[1:]
		}
	}
	earlyDone := false
	if _, ok := b.early[m.Channel]; ok {
		delete(b.early, m.Channel)
		earlyDone = len(b.early) == 0
	}
	b.mu.Unlock()

	if reconnect {
		b.log.LogAttrs(ctx, slog.LevelWarn, "redisbroker: resubscribed after a reconnection", slog.Int("channels", m.Count))
	}
	return reconnect || earlyDone
}

// message delivers the envelope in m if its room is subscribed.
func (b *Broker) message(ctx context.Context, m *redis.Message, deliver func(chat.Envelope)) {
	var env chat.Envelope
	if err := env.UnmarshalBinary([]byte(m.Payload)); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "redisbroker: undecodable envelope dropped", slog.String("channel", m.Channel), slog.Any("err", err))
		return
	}
	if m.Channel != b.channel(env.Room) {
		b.log.LogAttrs(ctx, slog.LevelWarn, "redisbroker: envelope on another room's channel dropped",
			slog.String("channel", m.Channel), slog.Int64("room", env.Room))
		return
	}
	b.mu.Lock()
	_, ok := b.rooms[env.Room]
	b.mu.Unlock()
	if ok {
		deliver(env)
	}
}

// stop ends the Broker: Subscribe fails from now on, waiting Subscribes
// return, and the PubSub connection (with go-redis's goroutines) closes.
func (b *Broker) stop() {
	b.mu.Lock()
	if b.state == stopped {
		b.mu.Unlock()
		return
	}
	b.state = stopped
	close(b.done)
	b.mu.Unlock()
	_ = b.ps.Close()
}

// Close stops the Broker: a running Run returns, and Close waits for it or
// for ctx. It does not close Config.Client. Close may be called more than
// once.
func (b *Broker) Close(ctx context.Context) error {
	b.mu.Lock()
	wasRunning := b.state == running
	b.mu.Unlock()
	b.stop()
	if !wasRunning {
		return nil
	}
	select {
	case <-b.ended:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
