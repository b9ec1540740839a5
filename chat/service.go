package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chelseru/chelseru-go/auth"
)

// Conditions callers branch on; errors of Service methods wrap them.
var (
	// ErrNotFound: no such room, message or user — or the caller is not a
	// member of the room, which looks the same so that ids can't be probed.
	ErrNotFound = errors.New("chat: not found")
	// ErrForbidden: the caller is banned from the room, or their role does
	// not allow what they asked.
	ErrForbidden = errors.New("chat: forbidden")
	// ErrRoomClosed: the room is closed (or on hold) to new messages.
	ErrRoomClosed = errors.New("chat: room closed")
	// ErrLastOwner: the group's only owner may not leave while others
	// remain; they make another member owner first (or delete the room).
	ErrLastOwner = errors.New("chat: the room's last owner")
	// ErrInvalid: a field is missing or malformed; the error is a
	// *FieldError.
	ErrInvalid = errors.New("chat: invalid request")
)

// FieldError is an invalid field; it matches ErrInvalid.
type FieldError struct {
	Field, Problem string
}

func (e *FieldError) Error() string { return "chat: " + e.Field + ": " + e.Problem }

// Is reports whether target is ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, problem string) error { return &FieldError{Field: field, Problem: problem} }

// Defaults of Config.
const (
	DefaultReadLimit    = 64 << 10
	DefaultRate         = 10
	DefaultSendQueue    = 256
	DefaultPingInterval = 25 * time.Second
	DefaultPageSize     = 50
	MaxPageSize         = 200
	DefaultMaxText      = 4000
)

// Config configures a Service. Zero fields take the defaults.
type Config struct {
	// Auth authenticates requests and sockets. Required.
	Auth *auth.Service
	// Store keeps rooms, members and messages. Required; *store.Store is
	// one.
	Store Store
	// Users shows users in rooms and messages. Required; *store.Store is
	// one.
	Users Users
	// Presence records who is connected, across instances. Defaults to
	// Store when it implements Presence (*store.Store does), else to this
	// process's memory.
	Presence Presence
	// Broker carries events between server instances. Defaults to a
	// MemoryBroker (one process).
	Broker Broker
	// Instance names this server instance in presence records. Defaults
	// to a random name.
	Instance string
	// AllowedOrigins are the Origin hosts a browser socket may come from,
	// as path.Match patterns ("app.example.com", "*.example.com"; "*"
	// allows any). The server's own host is always allowed, and so is a
	// request without an Origin header (not a browser). Defaults to none
	// beyond those.
	AllowedOrigins []string
	// ReadLimit bounds one incoming frame; over it the socket closes with
	// 1009. Defaults to 64 KiB.
	ReadLimit int64
	// Rate is the frames per second a socket may send, with bursts of
	// twice that; over it the socket closes with 4008. Defaults to 10;
	// negative turns the limit off.
	Rate float64
	// SendQueue is how many frames may wait for a slow reader; past it the
	// socket closes with 4009. Typing, join and leave frames are dropped
	// rather than queued once half of it is taken. Defaults to 256.
	SendQueue int
	// PingInterval is how often an idle socket is pinged (and its session
	// checked). Defaults to 25 s.
	PingInterval time.Duration
	// MaxText is the longest message, in characters. Defaults to 4000.
	MaxText int
	// BodyLimit bounds REST request bodies. Defaults to 64 KiB.
	BodyLimit int64
	// Logger receives faults. Defaults to discarding.
	Logger *slog.Logger
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
}

// Service is chat: its REST endpoints, its WebSocket hub, and the
// operations behind both for business code. It is safe for concurrent
// use. Call Run to receive other instances' events and Close to end every
// socket.
type Service struct {
	cfg      Config
	store    Store
	users    Users
	presence Presence
	broker   Broker
	hub      *hub

	runOnce sync.Once
	running chan struct{} // closed once Run has started the broker
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Auth == nil:
		return nil, errors.New("chat: Config.Auth is required")
	case cfg.Store == nil:
		return nil, errors.New("chat: Config.Store is required")
	case cfg.Users == nil:
		return nil, errors.New("chat: Config.Users is required")
	case cfg.ReadLimit < 0, cfg.SendQueue < 0, cfg.PingInterval < 0, cfg.MaxText < 0, cfg.BodyLimit < 0:
		return nil, errors.New("chat: Config values must not be negative (but Rate)")
	}
	if cfg.Presence == nil {
		if p, ok := cfg.Store.(Presence); ok {
			cfg.Presence = p
		} else {
			cfg.Presence = newMemoryPresence()
		}
	}
	if cfg.Broker == nil {
		cfg.Broker = NewMemoryBroker()
	}
	if cfg.Instance == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		cfg.Instance = "i" + hex.EncodeToString(b[:])
	}
	if cfg.ReadLimit == 0 {
		cfg.ReadLimit = DefaultReadLimit
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.SendQueue == 0 {
		cfg.SendQueue = DefaultSendQueue
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.MaxText == 0 {
		cfg.MaxText = DefaultMaxText
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 64 << 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, store: cfg.Store, users: cfg.Users, presence: cfg.Presence, broker: cfg.Broker, running: make(chan struct{})}
	s.hub = newHub(s)
	return s, nil
}

// Run receives the events of every instance through the broker and keeps
// this instance's presence records alive, until ctx is done. Sockets are
// only served while Run runs.
func (s *Service) Run(ctx context.Context) error {
	started := false
	s.runOnce.Do(func() { started = true })
	if !started {
		return errors.New("chat: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { s.hub.renewPresence(ctx) })
	wg.Go(func() { s.hub.writePresence(ctx) })
	close(s.running)
	err := s.broker.Run(ctx, s.hub.deliver, s.hub.reconnected)
	cancel()
	wg.Wait()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("chat: broker: %w", err)
	}
	return nil
}

// Close ends every socket with 1001 (going away) and waits for them, or
// for ctx; it ends this instance's presence records, and closes the broker
// if the broker has Close. New sockets are refused from then on.
func (s *Service) Close(ctx context.Context) error {
	err := s.hub.close(ctx)
	// Every socket here has gone. Their presence records go as they do
	// while Run runs (the room hears who left), and then, whatever is
	// left, at once rather than when the records expire.
	s.hub.writes.drain(ctx, presenceDrain)
	if perr := s.presence.RenewPresence(ctx, s.cfg.Instance, s.now()); perr != nil {
		err = errors.Join(err, fmt.Errorf("chat: presence: %w", perr))
	}
	if c, ok := s.broker.(interface{ Close(context.Context) error }); ok {
		err = errors.Join(err, c.Close(ctx))
	}
	return err
}

// presenceDrain bounds how long Close waits for the presence writes of
// the sockets it closed.
const presenceDrain = 2 * time.Second

// Sockets returns how many WebSockets this instance serves now: a gauge
// for the host's metrics.
func (s *Service) Sockets() int { return int(s.hub.sockets.Load()) }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }
