package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/session"
)

// Identity is who an authenticated request comes from. The middleware
// shares one Identity between the requests of a session for a few seconds:
// treat it as read-only.
type Identity struct {
	User    User
	Session session.Session
}

type ctxKey struct{}

// WithIdentity returns a context carrying id, as the middleware makes it;
// host tests use it to call handlers directly.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// IdentityFrom returns the identity the middleware put in ctx.
func IdentityFrom(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(*Identity)
	return id, ok && id != nil
}

// UserFrom returns the authenticated user of a request's context.
func UserFrom(ctx context.Context) (User, bool) {
	id, ok := IdentityFrom(ctx)
	if !ok {
		return User{}, false
	}
	return id.User, true
}

// SessionFrom returns the session of a request's context.
func SessionFrom(ctx context.Context) (session.Session, bool) {
	id, ok := IdentityFrom(ctx)
	if !ok {
		return session.Session{}, false
	}
	return id.Session, true
}

// Authenticate checks an access token and returns who it belongs to and
// its claims. The token must be signed with the Service's key, be an
// access token, be unexpired, and belong to a live session. Every failure
// of the token is ErrInvalidToken; other errors are faults.
func (s *Service) Authenticate(ctx context.Context, token string) (*Identity, Claims, error) {
	var c Claims
	now := s.cfg.Now()
	if err := s.tokens.parse(token, TokenAccess, now, &c); err != nil {
		return nil, c, err
	}
	id, err := s.identity(ctx, c, now)
	return id, c, err
}

// identity returns the identity of a token's session, from the cache when
// it was checked recently enough.
func (s *Service) identity(ctx context.Context, c Claims, now time.Time) (*Identity, error) {
	ttl := s.cfg.SessionCheckInterval
	if e, ok := s.idents.get(c.SessionID); ok && now.Sub(e.checked) < ttl {
		if e.id == nil || e.id.User.ID != c.UserID {
			return nil, ErrInvalidToken
		}
		return e.id, nil
	}
	sess, found, err := s.sessions.Get(ctx, c.SessionID)
	if err != nil {
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	if !found || sess.UserID != c.UserID {
		return nil, ErrInvalidToken
	}
	u, found, err := s.users.User(ctx, sess.UserID)
	if err != nil {
		return nil, fmt.Errorf("auth: authenticate: user: %w", err)
	}
	if !found {
		return nil, ErrInvalidToken
	}
	if sess, err = s.sessions.Seen(ctx, sess); err != nil {
		s.cfg.Logger.WarnContext(ctx, "auth: record last_seen", "session", sess.ID, "err", err)
	}
	id := &Identity{User: u, Session: sess}
	if ttl > 0 {
		s.idents.put(c.SessionID, id, now)
	}
	return id, nil
}

// Require is middleware that lets a request through only with a valid
// "Authorization: Bearer <access token>", putting its Identity in the
// request context (read it with UserFrom, SessionFrom, IdentityFrom).
// Anything else is a 401 with code "unauthorized".
func (s *Service) Require(next http.Handler) http.Handler {
	return s.middleware(next, true)
}

// Optional is middleware like Require, except that a request without an
// Authorization header passes through anonymously. A bad token is still
// a 401.
func (s *Service) Optional(next http.Handler) http.Handler {
	return s.middleware(next, false)
}

func (s *Service) middleware(next http.Handler, required bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" && !required {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := bearer(h)
		if !ok {
			s.unauthorized(w, r, h == "")
			return
		}
		id, _, err := s.Authenticate(r.Context(), token)
		if err != nil {
			if errors.Is(err, ErrInvalidToken) {
				s.unauthorized(w, r, false)
				return
			}
			s.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" value;
// the scheme is case-insensitive.
func bearer(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	t := strings.TrimSpace(h[len(scheme):])
	if t == "" || strings.ContainsAny(t, " \t") {
		return "", false
	}
	return t, true
}

func (s *Service) unauthorized(w http.ResponseWriter, r *http.Request, missing bool) {
	msg := "Given token not valid for any token type"
	if missing {
		msg = "Authentication credentials were not provided."
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	s.cfg.ErrorHandler(w, r, httpx.NewError(http.StatusUnauthorized, httpx.CodeUnauthorized, msg))
}

// identityCache remembers recent session checks. A revoked session leaves
// a tombstone, so that a check racing with the revocation cannot put the
// old identity back.
type identityCache struct {
	mu      sync.RWMutex
	entries map[string]cachedIdentity
}

type cachedIdentity struct {
	id      *Identity // nil for a tombstone
	checked time.Time
}

// maxCachedIdentities bounds the cache; past it, the cache starts over.
const maxCachedIdentities = 100_000

func (c *identityCache) get(sid string) (cachedIdentity, bool) {
	c.mu.RLock()
	e, ok := c.entries[sid]
	c.mu.RUnlock()
	return e, ok
}

func (c *identityCache) put(sid string, id *Identity, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[sid]; ok && e.id == nil && e.checked.After(now.Add(-time.Minute)) {
		return // revoked a moment ago
	}
	if len(c.entries) >= maxCachedIdentities {
		clear(c.entries)
	}
	c.entries[sid] = cachedIdentity{id: id, checked: now}
}

func (c *identityCache) revoke(sid string, now time.Time) {
	c.mu.Lock()
	c.entries[sid] = cachedIdentity{checked: now}
	c.mu.Unlock()
}
