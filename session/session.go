package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Session is one login on one device.
type Session struct {
	// ID is opaque and holds 128 random bits; it is the sid claim of the
	// session's tokens.
	ID     string
	UserID int64

	// TokenID names the newest refresh-token generation; PrevTokenID the
	// one it replaced; TokenIssuedAt when the newest was issued. They are
	// secret-free but internal: never shown to clients.
	TokenID       string
	PrevTokenID   string
	TokenIssuedAt time.Time

	UserAgent string
	IP        string
	Device    string // "Desktop", "Mobile", "Tablet", "Bot" or "Other"
	Browser   string // e.g. "Chrome 120.0"
	OS        string // e.g. "Android 14"

	CreatedAt time.Time
	LastSeen  time.Time
	// ExpiresAt is the end of the absolute lifetime.
	ExpiresAt time.Time
	// RevokedAt is zero while the session is live.
	RevokedAt time.Time
}

// Store keeps sessions. Methods report a missing session with found ==
// false and a nil error; errors are for faults. Implementations must be
// safe for concurrent use.
type Store interface {
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with id, revoked or not.
	Session(ctx context.Context, id string) (s Session, found bool, err error)
	// UserSessions returns the user's unrevoked sessions, most recently
	// seen first.
	UserSessions(ctx context.Context, userID int64) ([]Session, error)
	// RotateSession replaces the token generation from with to, issued at
	// issuedAt, and marks the session seen then; it does nothing and
	// returns false unless the session is unrevoked and its current
	// generation is from. It is the compare-and-swap that makes one
	// refresh token rotate exactly once.
	RotateSession(ctx context.Context, id, from, to string, issuedAt time.Time) (bool, error)
	// TouchSession sets last_seen to at.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// RevokeSession marks the session revoked at at, if it is not already.
	RevokeSession(ctx context.Context, id string, at time.Time) error
}

// Config configures a Service. Zero fields take the documented defaults.
type Config struct {
	// Store keeps the sessions. Required.
	Store Store
	// IdleTimeout ends a session not seen for this long. Defaults to 30 days.
	IdleTimeout time.Duration
	// Lifetime ends a session this long after it was created, however
	// active. Defaults to 90 days.
	Lifetime time.Duration
	// TouchInterval is how stale last_seen may get before a request
	// updates it. Defaults to one minute.
	TouchInterval time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	// Defaults to none: the client IP is the TCP peer's.
	TrustedProxies []netip.Prefix
	// Logger receives warnings. Defaults to discarding.
	Logger *slog.Logger
	// Now returns the current time. Defaults to time.Now; tests set it.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultIdleTimeout   = 30 * 24 * time.Hour
	DefaultLifetime      = 90 * 24 * time.Hour
	DefaultTouchInterval = time.Minute
)

// Validate reports the first bad value of c.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("session: Config.Store is required")
	case c.IdleTimeout < 0:
		return errors.New("session: Config.IdleTimeout must not be negative")
	case c.Lifetime < 0:
		return errors.New("session: Config.Lifetime must not be negative")
	case c.TouchInterval < 0:
		return errors.New("session: Config.TouchInterval must not be negative")
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			return fmt.Errorf("session: Config.TrustedProxies holds an invalid prefix %v", p)
		}
	}
	return nil
}

// Service records, lists, touches and revokes sessions.
type Service struct {
	store   Store
	idle    time.Duration
	life    time.Duration
	touch   time.Duration
	proxies []netip.Prefix
	log     *slog.Logger
	now     func() time.Time
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{
		store:   cfg.Store,
		idle:    orDefault(cfg.IdleTimeout, DefaultIdleTimeout),
		life:    orDefault(cfg.Lifetime, DefaultLifetime),
		touch:   orDefault(cfg.TouchInterval, DefaultTouchInterval),
		proxies: slices.Clone(cfg.TrustedProxies),
		log:     cfg.Logger,
		now:     cfg.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// Client describes where a request came from.
type Client struct {
	UserAgent string
	IP        string
}

// Client returns the user agent and client IP of r, believing
// X-Forwarded-For only from the configured trusted proxies.
func (s *Service) Client(r *http.Request) Client {
	return Client{UserAgent: cleanUserAgent(r.UserAgent()), IP: ClientIP(r, s.proxies)}
}

// maxUserAgent bounds what is stored of a User-Agent header, in bytes.
const maxUserAgent = 512

// cleanUserAgent makes a header value fit to store: valid UTF-8 (a
// database refuses anything else), and cut at a character boundary to at
// most maxUserAgent bytes.
func cleanUserAgent(ua string) string {
	ua = strings.ToValidUTF8(ua, "\uFFFD")
	if len(ua) <= maxUserAgent {
		return ua
	}
	cut := maxUserAgent
	for cut > 0 && !utf8.RuneStart(ua[cut]) {
		cut--
	}
	return ua[:cut]
}

// Start creates a live session for userID on client, whose first refresh
// token generation is tokenID: Prepare, then Create.
func (s *Service) Start(ctx context.Context, userID int64, tokenID string, c Client) (Session, error) {
	sess := s.Prepare(userID, tokenID, c)
	if err := s.Create(ctx, sess); err != nil {
		return Session{}, err
	}
	return sess, nil
}

// Create stores a session made by Prepare.
func (s *Service) Create(ctx context.Context, sess Session) error {
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return fmt.Errorf("session: start: %w", err)
	}
	return nil
}

// Store returns the store the Service keeps its sessions in.
func (s *Service) Store() Store { return s.store }

// Prepare returns a new session for userID on client, with a new id and
// every field filled in, without storing it: for a store that creates it
// together with other rows (see auth.CodeLogins).
func (s *Service) Prepare(userID int64, tokenID string, c Client) Session {
	now := s.now().UTC()
	d := ParseUserAgent(c.UserAgent)
	return Session{
		ID:            NewID(),
		UserID:        userID,
		TokenID:       tokenID,
		TokenIssuedAt: now,
		UserAgent:     c.UserAgent,
		IP:            c.IP,
		Device:        d.Device,
		Browser:       d.Browser,
		OS:            d.OS,
		CreatedAt:     now,
		LastSeen:      now,
		ExpiresAt:     now.Add(s.life),
	}
}

// Live reports whether sess may still be used at now: not revoked, seen
// within the idle timeout, and within its absolute lifetime.
func (s *Service) Live(sess Session, now time.Time) bool {
	return sess.RevokedAt.IsZero() && now.Before(sess.ExpiresAt) && now.Sub(sess.LastSeen) < s.idle
}

// Get returns the session with id if it exists and is live.
func (s *Service) Get(ctx context.Context, id string) (Session, bool, error) {
	sess, found, err := s.store.Session(ctx, id)
	if err != nil {
		return Session{}, false, fmt.Errorf("session: get: %w", err)
	}
	if !found || !s.Live(sess, s.now()) {
		return Session{}, false, nil
	}
	return sess, true, nil
}

// Seen records that sess was used now, writing to the store only when
// its last_seen is older than the touch interval. It returns sess with
// LastSeen updated.
func (s *Service) Seen(ctx context.Context, sess Session) (Session, error) {
	now := s.now().UTC()
	if now.Sub(sess.LastSeen) < s.touch {
		return sess, nil
	}
	if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
		return sess, fmt.Errorf("session: touch: %w", err)
	}
	sess.LastSeen = now
	return sess, nil
}

// Rotate moves sess from its current token generation to next, issued now.
// ok is false when another request rotated it first or it was revoked.
func (s *Service) Rotate(ctx context.Context, sess Session, next string) (Session, bool, error) {
	now := s.now().UTC()
	ok, err := s.store.RotateSession(ctx, sess.ID, sess.TokenID, next, now)
	if err != nil {
		return Session{}, false, fmt.Errorf("session: rotate: %w", err)
	}
	if !ok {
		return Session{}, false, nil
	}
	sess.PrevTokenID, sess.TokenID, sess.TokenIssuedAt, sess.LastSeen = sess.TokenID, next, now, now
	return sess, true, nil
}

// Revoke ends the session with id; its tokens stop working.
func (s *Service) Revoke(ctx context.Context, id string) error {
	if err := s.store.RevokeSession(ctx, id, s.now().UTC()); err != nil {
		return fmt.Errorf("session: revoke: %w", err)
	}
	return nil
}

// View is a session as the sessions/ endpoint shows it, with
// django-chelseru's keys: no token state, and whether it is the caller's
// current one.
type View struct {
	ID        string    `json:"id"`
	UserAgent string    `json:"user_agent"`
	IPAddress string    `json:"ip_address"`
	Device    string    `json:"device"`
	Browser   string    `json:"browser"`
	OS        string    `json:"os"`
	LastSeen  time.Time `json:"last_seen"`
	CreatedAt time.Time `json:"created_at"`
	Current   bool      `json:"current"`
}

// List returns the user's live sessions, most recently seen first, marking
// the one whose id is current.
func (s *Service) List(ctx context.Context, userID int64, current string) ([]View, error) {
	all, err := s.store.UserSessions(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("session: list: %w", err)
	}
	now := s.now()
	views := make([]View, 0, len(all))
	for _, sess := range all {
		if sess.UserID != userID || !s.Live(sess, now) {
			continue
		}
		views = append(views, View{
			ID:        sess.ID,
			UserAgent: sess.UserAgent,
			IPAddress: sess.IP,
			Device:    sess.Device,
			Browser:   sess.Browser,
			OS:        sess.OS,
			LastSeen:  sess.LastSeen.UTC(),
			CreatedAt: sess.CreatedAt.UTC(),
			Current:   sess.ID == current,
		})
	}
	return views, nil
}

// NewID returns a new opaque id of 128 random bits, base64url-encoded
// (22 characters).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}
