package session

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/internal/testclock"
)

func equal[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", name, got, want)
	}
}

func sameTime(t *testing.T, name string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func noError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// newClock starts at 2026-12-03 13:30 Tehran time (10:00 UTC), so that code
// that forgets to convert to UTC is caught.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 12, 3, 13, 30, 0, 0, time.FixedZone("IRST", 3*3600+1800)))
}

// memStore is an in-memory Store for tests. When zone is set, it hands
// out times in that zone, as some database drivers do.
type memStore struct {
	mu       sync.Mutex
	sessions map[string]Session
	touches  int
	zone     *time.Location
	err      error // when set, every method fails with it
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{sessions: map[string]Session{}} }

func (m *memStore) out(s Session) Session {
	if m.zone != nil {
		for _, p := range []*time.Time{&s.TokenIssuedAt, &s.CreatedAt, &s.LastSeen, &s.ExpiresAt, &s.RevokedAt} {
			if !p.IsZero() {
				*p = p.In(m.zone)
			}
		}
	}
	return s
}

func (m *memStore) CreateSession(_ context.Context, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if _, dup := m.sessions[s.ID]; dup {
		return errors.New("memstore: duplicate id")
	}
	m.sessions[s.ID] = s
	return nil
}

func (m *memStore) Session(_ context.Context, id string) (Session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return Session{}, false, m.err
	}
	s, ok := m.sessions[id]
	return m.out(s), ok, nil
}

func (m *memStore) UserSessions(_ context.Context, userID int64) ([]Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	var out []Session
	for _, s := range m.sessions {
		if s.UserID == userID && s.RevokedAt.IsZero() {
			out = append(out, m.out(s))
		}
	}
	slices.SortFunc(out, func(a, b Session) int { return b.LastSeen.Compare(a.LastSeen) })
	return out, nil
}

func (m *memStore) RotateSession(_ context.Context, id, from, to string, issuedAt time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return false, m.err
	}
	s, ok := m.sessions[id]
	if !ok || !s.RevokedAt.IsZero() || s.TokenID != from {
		return false, nil
	}
	s.PrevTokenID, s.TokenID, s.TokenIssuedAt, s.LastSeen = s.TokenID, to, issuedAt, issuedAt
	m.sessions[id] = s
	return true, nil
}

func (m *memStore) TouchSession(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.touches++
	if s, ok := m.sessions[id]; ok {
		s.LastSeen = at
		m.sessions[id] = s
	}
	return nil
}

func (m *memStore) RevokeSession(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if s, ok := m.sessions[id]; ok && s.RevokedAt.IsZero() {
		s.RevokedAt = at
		m.sessions[id] = s
	}
	return nil
}

// stored returns the session as the store holds it.
func (m *memStore) stored(id string) Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[id]
}

func (m *memStore) put(s Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.ID] = s
}

func (m *memStore) touchCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.touches
}

// newService returns a Service over a fresh memStore and clock, with the
// default timeouts.
func newService(t *testing.T) (*Service, *memStore, *testclock.Clock) {
	t.Helper()
	st, clk := newMemStore(), newClock()
	s, err := New(Config{Store: st, Now: clk.Now})
	noError(t, err)
	return s, st, clk
}
