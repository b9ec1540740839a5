package pgbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chelseru/chelseru-go/chat"
)

// DefaultChannel is the NOTIFY channel of a Config that sets none.
const DefaultChannel = "chelseru_chat"

// MaxPayload is the largest encoded envelope Publish sends, in bytes:
// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MaxPayload = 7900

var (
	// ErrClosed is returned by Subscribe and Publish after Close, and by
	// Subscribe once Run has returned.
	ErrClosed = errors.New("pgbroker: closed")
	// ErrTooLarge is returned by Publish for an envelope still over
	// MaxPayload once its optional fields are dropped (only an absurdly
	// long Type does that).
	ErrTooLarge = errors.New("pgbroker: envelope too large for NOTIFY")
)

// Reconnection backoff of Run.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	// idlePing is how long Run waits for a notification before it pings
	// the listening connection, to find a dead one.
	idlePing    = 30 * time.Second
	dialTimeout = 10 * time.Second
)

// Config configures a Broker.
type Config struct {
	// DSN is the PostgreSQL connection string, a URL or key=value pairs
	// as pgx reads them. Required. It must reach PostgreSQL itself or a
	// session-mode pooler: LISTEN does not survive transaction pooling.
	DSN string
	// Channel is the one NOTIFY channel of every room; every instance of
	// one deployment must use the same. It is a plain identifier:
	// lower-case ASCII letters, digits and underscores, not starting with
	// a digit, at most 63 bytes. Defaults to DefaultChannel
	// ("chelseru_chat").
	Channel string
	// Logger receives the broker's warnings (a lost connection, an
	// undecodable payload). Defaults to discarding them.
	Logger *slog.Logger
}

// Broker is a chat.Broker on PostgreSQL LISTEN/NOTIFY. It is safe for
// concurrent use.
type Broker struct {
	listenCfg *pgx.ConnConfig
	pool      *pgxpool.Pool
	channel   string
	log       *slog.Logger

	mu        sync.Mutex
	state     int                // idle, running or stopped
	closed    bool               // Close was called: Publish fails too
	rooms     map[int64]struct{} // subscribed rooms: only their envelopes are delivered
	listening bool               // Run's LISTEN is in effect
	missed    bool               // a room was subscribed while not listening
	cancelRun context.CancelFunc // ends a running Run
	ended     chan struct{}      // closed when Run returns
}

const (
	idle = iota
	running
	stopped
)

var _ chat.Broker = (*Broker)(nil)

// Validate reports the first bad value of c, as New does.
func (c Config) Validate() error {
	if c.DSN == "" {
		return errors.New("pgbroker: Config.DSN is required")
	}
	if _, err := pgx.ParseConfig(c.DSN); err != nil {
		return fmt.Errorf("pgbroker: Config.DSN: %w", err) // pgx masks the password
	}
	if c.Channel != "" {
		return validChannel(c.Channel)
	}
	return nil
}

// validChannel checks that ch is a plain identifier.
func validChannel(ch string) error {
	if len(ch) > 63 {
		return fmt.Errorf("pgbroker: Config.Channel %q: longer than 63 bytes", ch)
	}
	for i, c := range ch {
		switch {
		case c == '_', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return fmt.Errorf("pgbroker: Config.Channel %q: not a plain identifier (lower-case letters, digits and _, not starting with a digit)", ch)
		}
	}
	return nil
}

// New returns a Broker for cfg. It checks cfg and makes the connection
// pool of Publish, but connects nothing: Run opens the listening
// connection, and the pool connects on the first Publish.
func New(cfg Config) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Channel == "" {
		cfg.Channel = DefaultChannel
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	listenCfg, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgbroker: Config.DSN: %w", err)
	}
	poolCfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgbroker: Config.DSN: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), poolCfg)
	if err != nil {
		return nil, fmt.Errorf("pgbroker: pool: %w", err)
	}
	return &Broker{
		listenCfg: listenCfg,
		pool:      pool,
		channel:   cfg.Channel,
		log:       cfg.Logger,
		rooms:     map[int64]struct{}{},
		ended:     make(chan struct{}),
	}, nil
}

// payload encodes env as Publish sends it: env.Slim(), and without
// Username, Text and ClientID if that is still over MaxPayload.
func payload(env chat.Envelope) ([]byte, error) {
	env = env.Slim()
	data, err := env.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("pgbroker: encode: %w", err)
	}
	if len(data) <= MaxPayload {
		return data, nil
	}
	env.Username, env.Text, env.ClientID = "", "", ""
	if data, err = env.MarshalBinary(); err != nil {
		return nil, fmt.Errorf("pgbroker: encode: %w", err)
	}
	if len(data) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	return data, nil
}

// Publish implements chat.Broker: it sends env.Slim() with
// SELECT pg_notify(channel, payload) on a pooled connection. Message, edit
// and delete envelopes thus carry their ids only (Thin), and the hubs read
// the rest from the store. An envelope whose encoding is still over
// MaxPayload loses its Username, Text and ClientID. Publish works before
// Run and after it, until Close.
func (b *Broker) Publish(ctx context.Context, env chat.Envelope) error {
	data, err := payload(env)
	if err != nil {
		return err
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if _, err := b.pool.Exec(ctx, "SELECT pg_notify($1, $2)", b.channel, string(data)); err != nil {
		return fmt.Errorf("pgbroker: notify room %d: %w", env.Room, err)
	}
	return nil
}

// Subscribe implements chat.Broker. All rooms share one LISTEN, so it only
// adds the room to those delivered: while Run listens, whatever is
// published afterwards is delivered. A Subscribe made while Run is not
// listening (before Run, or during a reconnection) makes Run call
// reconnected once it listens, as envelopes may have been missed.
func (b *Broker) Subscribe(ctx context.Context, room int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == stopped {
		return ErrClosed
	}
	if _, ok := b.rooms[room]; ok {
		return nil
	}
	b.rooms[room] = struct{}{}
	if !b.listening {
		b.missed = true
	}
	return nil
}

// Unsubscribe implements chat.Broker: the room's envelopes stop being
// delivered at once.
func (b *Broker) Unsubscribe(ctx context.Context, room int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.rooms, room)
	b.mu.Unlock()
	return nil
}

// Run implements chat.Broker: it connects, LISTENs and passes on the
// notifications of subscribed rooms until ctx is done or Close is called;
// a Broker runs once. When the connection breaks (or fails a ping after
// 30 s without notifications) Run connects again, after 100 ms doubling
// up to 5 s while it fails, LISTENs again and calls reconnected. Run
// returns nil.
func (b *Broker) Run(ctx context.Context, deliver func(chat.Envelope), reconnected func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.mu.Lock()
	switch b.state {
	case running:
		b.mu.Unlock()
		return errors.New("pgbroker: Run called twice")
	case stopped:
		b.mu.Unlock()
		return ErrClosed
	}
	b.state = running
	b.cancelRun = cancel
	b.mu.Unlock()
	defer close(b.ended)
	defer func() {
		b.mu.Lock()
		b.state = stopped
		b.listening = false
		b.mu.Unlock()
	}()

	backoff := minBackoff
	connected := false // a connection listened before
	for {
		conn, err := b.listen(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.log.LogAttrs(ctx, slog.LevelWarn, "pgbroker: cannot listen", slog.Any("err", err), slog.Duration("retry_in", backoff))
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return nil
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = minBackoff
		b.mu.Lock()
		b.listening = true
		gap := connected || b.missed
		b.missed = false
		b.mu.Unlock()
		if connected {
			b.log.LogAttrs(ctx, slog.LevelInfo, "pgbroker: listening again")
		}
		connected = true
		if gap {
			reconnected()
		}

		err = b.receive(ctx, conn, deliver)

		b.mu.Lock()
		b.listening = false
		b.mu.Unlock()
		closeCtx, cancelClose := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = conn.Close(closeCtx)
		cancelClose()
		if ctx.Err() != nil {
			return nil
		}
		b.log.LogAttrs(ctx, slog.LevelWarn, "pgbroker: listening connection lost", slog.Any("err", err))
	}
}

// listen opens the listening connection and LISTENs.
func (b *Broker) listen(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, b.listenCfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

// receive passes on notifications until the connection fails or ctx is
// done.
func (b *Broker) receive(ctx context.Context, conn *pgx.Conn, deliver func(chat.Envelope)) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, idlePing)
		n, err := conn.WaitForNotification(waitCtx)
		idle := waitCtx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil {
			if !idle {
				return err
			}
			pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
			continue
		}
		if n.Channel != b.channel {
			continue
		}
		var env chat.Envelope
		if err := env.UnmarshalBinary([]byte(n.Payload)); err != nil {
			b.log.LogAttrs(ctx, slog.LevelWarn, "pgbroker: undecodable payload dropped", slog.Any("err", err), slog.Int("pid", int(n.PID)))
			continue
		}
		b.mu.Lock()
		_, ok := b.rooms[env.Room]
		b.mu.Unlock()
		if ok {
			deliver(env)
		}
	}
}

// Close stops the Broker: a running Run returns, and Close waits for it
// (or for ctx), then closes Publish's pool. Close may be called more than
// once.
func (b *Broker) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	wasRunning := b.state == running
	if b.state == idle {
		b.state = stopped
	}
	cancel := b.cancelRun
	b.mu.Unlock()
	var err error
	if wasRunning {
		cancel()
		select {
		case <-b.ended:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	b.pool.Close()
	return err
}
