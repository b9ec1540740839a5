package session

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	tests := []struct {
		name string
		cfg  Config
		want string // a substring of the error, "" for none
	}{
		{"zero but the store", Config{Store: st}, ""},
		{"every field", Config{Store: st, IdleTimeout: time.Hour, Lifetime: 2 * time.Hour, TouchInterval: time.Second,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Now: time.Now}, ""},
		{"no store", Config{}, "Store is required"},
		{"no store, other fields bad too", Config{IdleTimeout: -1}, "Store is required"},
		{"negative idle timeout", Config{Store: st, IdleTimeout: -time.Second}, "IdleTimeout"},
		{"negative lifetime", Config{Store: st, Lifetime: -time.Second}, "Lifetime"},
		{"negative touch interval", Config{Store: st, TouchInterval: -time.Second}, "TouchInterval"},
		{"invalid proxy prefix", Config{Store: st, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), {}}}, "TrustedProxies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error about %s", err, tt.want)
			case err != nil && !strings.HasPrefix(err.Error(), "session: "):
				t.Errorf("Validate() = %q, want the package prefix", err)
			}
			s, newErr := New(tt.cfg)
			if (newErr == nil) != (err == nil) || (newErr != nil && s != nil) {
				t.Errorf("New() = %v, %v; Validate() = %v", s, newErr, err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Store: newMemStore()})
	noError(t, err)
	equal(t, "idle", s.idle, DefaultIdleTimeout)
	equal(t, "life", s.life, DefaultLifetime)
	equal(t, "touch", s.touch, DefaultTouchInterval)
	equal(t, "DefaultIdleTimeout", DefaultIdleTimeout, 30*24*time.Hour)
	equal(t, "DefaultLifetime", DefaultLifetime, 90*24*time.Hour)
	equal(t, "DefaultTouchInterval", DefaultTouchInterval, time.Minute)
	if s.log == nil || s.now == nil {
		t.Fatal("logger or clock left nil")
	}
	s.log.Warn("discarded") // must not panic
	if d := time.Since(s.now()); d < 0 || d > time.Minute {
		t.Errorf("default clock is %v off", d)
	}
	equal(t, "proxies", len(s.proxies), 0)

	c := newClock()
	s, err = New(Config{Store: newMemStore(), IdleTimeout: time.Hour, Lifetime: 2 * time.Hour, TouchInterval: time.Second, Now: c.Now})
	noError(t, err)
	equal(t, "idle", s.idle, time.Hour)
	equal(t, "life", s.life, 2*time.Hour)
	equal(t, "touch", s.touch, time.Second)
	sameTime(t, "now", s.now(), c.Now())
}

func TestNewID(t *testing.T) {
	t.Parallel()
	alphabet := regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	seen := make(map[string]bool, 1000)
	for range 1000 {
		id := NewID()
		if !alphabet.MatchString(id) {
			t.Fatalf("NewID() = %q, want 22 base64url characters", id)
		}
		b, err := base64.RawURLEncoding.DecodeString(id)
		noError(t, err)
		equal(t, "decoded length", len(b), 16)
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

var testClient = Client{UserAgent: uaChromeAndroid, IP: "198.51.100.7"}

func TestStart(t *testing.T) {
	t.Parallel()
	s, st, clk := newService(t)
	start := clk.Now()
	sess, err := s.Start(context.Background(), 12, "tok-1", testClient)
	noError(t, err)

	equal(t, "UserID", sess.UserID, int64(12))
	equal(t, "TokenID", sess.TokenID, "tok-1")
	equal(t, "PrevTokenID", sess.PrevTokenID, "")
	equal(t, "UserAgent", sess.UserAgent, uaChromeAndroid)
	equal(t, "IP", sess.IP, "198.51.100.7")
	equal(t, "Device", sess.Device, "Mobile")
	equal(t, "Browser", sess.Browser, "Chrome 120.0")
	equal(t, "OS", sess.OS, "Android 14")
	if len(sess.ID) != 22 {
		t.Errorf("ID = %q, want 22 characters", sess.ID)
	}
	sameTime(t, "CreatedAt", sess.CreatedAt, start)
	sameTime(t, "LastSeen", sess.LastSeen, start)
	sameTime(t, "TokenIssuedAt", sess.TokenIssuedAt, start)
	sameTime(t, "ExpiresAt", sess.ExpiresAt, start.Add(DefaultLifetime))
	equal(t, "RevokedAt.IsZero", sess.RevokedAt.IsZero(), true)
	for name, tm := range map[string]time.Time{"CreatedAt": sess.CreatedAt, "LastSeen": sess.LastSeen,
		"TokenIssuedAt": sess.TokenIssuedAt, "ExpiresAt": sess.ExpiresAt} {
		equal(t, name+" location", tm.Location(), time.UTC)
	}
	equal(t, "stored", st.stored(sess.ID), sess)

	other, err := s.Start(context.Background(), 12, "tok-2", Client{})
	noError(t, err)
	if other.ID == sess.ID {
		t.Error("two sessions share an id")
	}
	equal(t, "Device of an empty user agent", other.Device, "Other")
}

func TestStartLifetime(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, err := New(Config{Store: newMemStore(), Lifetime: 7 * 24 * time.Hour, Now: clk.Now})
	noError(t, err)
	sess, err := s.Start(context.Background(), 1, "t", testClient)
	noError(t, err)
	sameTime(t, "ExpiresAt", sess.ExpiresAt, clk.Now().Add(7*24*time.Hour))
}

func TestStartStoreError(t *testing.T) {
	t.Parallel()
	s, st, _ := newService(t)
	st.err = errors.New("disk full")
	sess, err := s.Start(context.Background(), 1, "t", testClient)
	if !errors.Is(err, st.err) {
		t.Errorf("err = %v, want one wrapping %v", err, st.err)
	}
	equal(t, "session", sess, Session{})
}

func TestLive(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, err := New(Config{Store: newMemStore(), IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, Now: clk.Now})
	noError(t, err)
	now := clk.Now()
	fresh := Session{CreatedAt: now.Add(-time.Minute), LastSeen: now.Add(-time.Minute), ExpiresAt: now.Add(24*time.Hour - time.Minute)}
	with := func(f func(*Session)) Session { c := fresh; f(&c); return c }
	tests := []struct {
		name string
		sess Session
		want bool
	}{
		{"fresh", fresh, true},
		{"revoked", with(func(s *Session) { s.RevokedAt = now.Add(-time.Second) }), false},
		{"revoked in the future still counts", with(func(s *Session) { s.RevokedAt = now.Add(time.Hour) }), false},
		{"idle just under the timeout", with(func(s *Session) { s.LastSeen = now.Add(-time.Hour + time.Nanosecond) }), true},
		{"idle exactly the timeout", with(func(s *Session) { s.LastSeen = now.Add(-time.Hour) }), false},
		{"idle over the timeout", with(func(s *Session) { s.LastSeen = now.Add(-2 * time.Hour) }), false},
		{"lifetime ends just after now", with(func(s *Session) { s.ExpiresAt = now.Add(time.Nanosecond) }), true},
		{"lifetime ends now", with(func(s *Session) { s.ExpiresAt = now }), false},
		{"lifetime over although just seen", with(func(s *Session) { s.LastSeen = now; s.ExpiresAt = now.Add(-time.Second) }), false},
		{"zero session", Session{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			equal(t, "Live", s.Live(tt.sess, now), tt.want)
			// The zone of now does not matter.
			equal(t, "Live in UTC", s.Live(tt.sess, now.UTC()), tt.want)
		})
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("live", func(t *testing.T) {
		t.Parallel()
		s, _, clk := newService(t)
		sess, err := s.Start(ctx, 1, "t", testClient)
		noError(t, err)
		got, ok, err := s.Get(ctx, sess.ID)
		noError(t, err)
		equal(t, "found", ok, true)
		equal(t, "session", got, sess)

		clk.Advance(DefaultIdleTimeout - time.Second)
		_, ok, err = s.Get(ctx, sess.ID)
		noError(t, err)
		equal(t, "found just before the idle timeout", ok, true)

		clk.Advance(time.Second)
		got, ok, err = s.Get(ctx, sess.ID)
		noError(t, err)
		equal(t, "found at the idle timeout", ok, false)
		equal(t, "session", got, Session{})
	})
	t.Run("revoked", func(t *testing.T) {
		t.Parallel()
		s, _, clk := newService(t)
		sess, err := s.Start(ctx, 1, "t", testClient)
		noError(t, err)
		clk.Advance(time.Second)
		noError(t, s.Revoke(ctx, sess.ID))
		got, ok, err := s.Get(ctx, sess.ID)
		noError(t, err)
		equal(t, "found", ok, false)
		equal(t, "session", got, Session{})
	})
	t.Run("past its lifetime however active", func(t *testing.T) {
		t.Parallel()
		s, _, clk := newService(t)
		sess, err := s.Start(ctx, 1, "t", testClient)
		noError(t, err)
		for elapsed := time.Duration(0); elapsed < DefaultLifetime-24*time.Hour; elapsed += 24 * time.Hour {
			clk.Advance(24 * time.Hour)
			got, ok, err := s.Get(ctx, sess.ID)
			noError(t, err)
			if !ok {
				t.Fatalf("not live after %v", elapsed+24*time.Hour)
			}
			sess, err = s.Seen(ctx, got)
			noError(t, err)
		}
		clk.Advance(24 * time.Hour)
		_, ok, err := s.Get(ctx, sess.ID)
		noError(t, err)
		equal(t, "found at the end of the lifetime", ok, false)
	})
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		s, _, _ := newService(t)
		_, ok, err := s.Get(ctx, "nope")
		noError(t, err)
		equal(t, "found", ok, false)
	})
	t.Run("store error", func(t *testing.T) {
		t.Parallel()
		s, st, _ := newService(t)
		st.err = errors.New("connection reset")
		_, ok, err := s.Get(ctx, "x")
		if !errors.Is(err, st.err) {
			t.Errorf("err = %v, want one wrapping %v", err, st.err)
		}
		equal(t, "found", ok, false)
	})
}

func TestSeen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st, clk := newService(t)
	sess, err := s.Start(ctx, 1, "t", testClient)
	noError(t, err)
	start := sess.LastSeen

	clk.Advance(DefaultTouchInterval - time.Second)
	got, err := s.Seen(ctx, sess)
	noError(t, err)
	equal(t, "touches within the interval", st.touchCount(), 0)
	equal(t, "session within the interval", got, sess)
	sameTime(t, "stored LastSeen", st.stored(sess.ID).LastSeen, start)

	clk.Advance(time.Second)
	got, err = s.Seen(ctx, sess)
	noError(t, err)
	equal(t, "touches at the interval", st.touchCount(), 1)
	sameTime(t, "LastSeen", got.LastSeen, clk.Now())
	equal(t, "LastSeen location", got.LastSeen.Location(), time.UTC)
	sameTime(t, "stored LastSeen", st.stored(sess.ID).LastSeen, clk.Now())
	want := sess
	want.LastSeen = got.LastSeen
	equal(t, "other fields", got, want)

	// The updated copy is fresh again.
	clk.Advance(10 * time.Second)
	_, err = s.Seen(ctx, got)
	noError(t, err)
	equal(t, "touches", st.touchCount(), 1)

	// A custom interval.
	s2, err := New(Config{Store: st, TouchInterval: time.Hour, Now: clk.Now})
	noError(t, err)
	clk.Advance(30 * time.Minute)
	_, err = s2.Seen(ctx, got)
	noError(t, err)
	equal(t, "touches within a custom interval", st.touchCount(), 1)
	clk.Advance(30 * time.Minute)
	_, err = s2.Seen(ctx, got)
	noError(t, err)
	equal(t, "touches at a custom interval", st.touchCount(), 2)
}

func TestSeenStoreError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st, clk := newService(t)
	sess, err := s.Start(ctx, 1, "t", testClient)
	noError(t, err)
	clk.Advance(time.Hour)
	st.err = errors.New("read-only")
	got, err := s.Seen(ctx, sess)
	if !errors.Is(err, st.err) {
		t.Errorf("err = %v, want one wrapping %v", err, st.err)
	}
	equal(t, "session", got, sess)
}

func TestRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st, clk := newService(t)
	sess, err := s.Start(ctx, 1, "gen-1", testClient)
	noError(t, err)

	clk.Advance(5 * time.Minute)
	next, ok, err := s.Rotate(ctx, sess, "gen-2")
	noError(t, err)
	equal(t, "ok", ok, true)
	equal(t, "TokenID", next.TokenID, "gen-2")
	equal(t, "PrevTokenID", next.PrevTokenID, "gen-1")
	sameTime(t, "TokenIssuedAt", next.TokenIssuedAt, clk.Now())
	sameTime(t, "LastSeen", next.LastSeen, clk.Now())
	equal(t, "TokenIssuedAt location", next.TokenIssuedAt.Location(), time.UTC)
	sameTime(t, "CreatedAt", next.CreatedAt, sess.CreatedAt)
	equal(t, "stored", st.stored(sess.ID), next)

	// The old generation cannot rotate again.
	clk.Advance(time.Minute)
	got, ok, err := s.Rotate(ctx, sess, "gen-3")
	noError(t, err)
	equal(t, "ok for a stale generation", ok, false)
	equal(t, "session for a stale generation", got, Session{})
	equal(t, "stored TokenID", st.stored(sess.ID).TokenID, "gen-2")

	// The new one can.
	third, ok, err := s.Rotate(ctx, next, "gen-3")
	noError(t, err)
	equal(t, "ok", ok, true)
	equal(t, "PrevTokenID", third.PrevTokenID, "gen-2")

	// A revoked session cannot.
	noError(t, s.Revoke(ctx, sess.ID))
	_, ok, err = s.Rotate(ctx, third, "gen-4")
	noError(t, err)
	equal(t, "ok for a revoked session", ok, false)
	equal(t, "stored TokenID", st.stored(sess.ID).TokenID, "gen-3")

	// An unknown one cannot.
	_, ok, err = s.Rotate(ctx, Session{ID: "nope", TokenID: "x"}, "y")
	noError(t, err)
	equal(t, "ok for an unknown session", ok, false)
}

func TestRotateOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st, _ := newService(t)
	sess, err := s.Start(ctx, 1, "gen-1", testClient)
	noError(t, err)
	const n = 20
	var wg sync.WaitGroup
	results := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			_, ok, err := s.Rotate(ctx, sess, "gen-2-"+string(rune('a'+i)))
			if err != nil {
				t.Error(err)
			}
			results[i] = ok
		})
	}
	wg.Wait()
	wins := 0
	winner := ""
	for i, ok := range results {
		if ok {
			wins++
			winner = "gen-2-" + string(rune('a'+i))
		}
	}
	equal(t, "rotations that won", wins, 1)
	equal(t, "stored TokenID", st.stored(sess.ID).TokenID, winner)
	equal(t, "stored PrevTokenID", st.stored(sess.ID).PrevTokenID, "gen-1")
}

func TestRotateStoreError(t *testing.T) {
	t.Parallel()
	s, st, _ := newService(t)
	st.err = errors.New("deadlock detected")
	got, ok, err := s.Rotate(context.Background(), Session{ID: "a", TokenID: "b"}, "c")
	if !errors.Is(err, st.err) {
		t.Errorf("err = %v, want one wrapping %v", err, st.err)
	}
	equal(t, "ok", ok, false)
	equal(t, "session", got, Session{})
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st, clk := newService(t)
	sess, err := s.Start(ctx, 1, "t", testClient)
	noError(t, err)
	clk.Advance(time.Minute)
	at := clk.Now()
	noError(t, s.Revoke(ctx, sess.ID))
	revoked := st.stored(sess.ID).RevokedAt
	sameTime(t, "RevokedAt", revoked, at)
	equal(t, "RevokedAt location", revoked.Location(), time.UTC)

	clk.Advance(time.Minute)
	noError(t, s.Revoke(ctx, sess.ID))
	sameTime(t, "RevokedAt after a second revoke", st.stored(sess.ID).RevokedAt, at)

	st.err = errors.New("gone")
	if err := s.Revoke(ctx, sess.ID); !errors.Is(err, st.err) {
		t.Errorf("err = %v, want one wrapping %v", err, st.err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st, clk := newService(t)
	st.zone = time.FixedZone("PST", -8*3600) // a driver that hands out local times
	now := clk.Now()

	mk := func(id string, user int64, lastSeen time.Duration, f func(*Session)) Session {
		sess := Session{
			ID: id, UserID: user, TokenID: "secret-" + id, PrevTokenID: "old-" + id,
			UserAgent: uaIPhone, IP: "198.51.100." + id[len(id)-1:], Device: "Mobile", Browser: "Safari 17.2", OS: "iOS 17.2",
			CreatedAt: now.Add(-48 * time.Hour).UTC(), LastSeen: now.Add(-lastSeen).UTC(),
			ExpiresAt: now.Add(-48*time.Hour + DefaultLifetime).UTC(), TokenIssuedAt: now.Add(-lastSeen).UTC(),
		}
		if f != nil {
			f(&sess)
		}
		st.put(sess)
		return sess
	}
	a := mk("a1", 1, time.Hour, nil)
	b := mk("b2", 1, time.Minute, nil)
	c := mk("c3", 1, 3*time.Hour, nil)
	mk("d4", 1, 0, func(s *Session) { s.RevokedAt = now.Add(-time.Minute).UTC() })
	mk("e5", 1, DefaultIdleTimeout+time.Hour, nil)
	mk("f6", 1, 0, func(s *Session) { s.ExpiresAt = now.Add(-time.Second).UTC() })
	mk("g7", 2, 0, nil)

	views, err := s.List(ctx, 1, "a1")
	noError(t, err)
	var ids []string
	for _, v := range views {
		ids = append(ids, v.ID)
	}
	if !slices.Equal(ids, []string{"b2", "a1", "c3"}) {
		t.Fatalf("List ids = %v, want [b2 a1 c3]", ids)
	}
	for i, want := range []Session{b, a, c} {
		v := views[i]
		equal(t, v.ID+" current", v.Current, want.ID == "a1")
		equal(t, v.ID+" UserAgent", v.UserAgent, want.UserAgent)
		equal(t, v.ID+" IPAddress", v.IPAddress, want.IP)
		equal(t, v.ID+" Device", v.Device, want.Device)
		equal(t, v.ID+" Browser", v.Browser, want.Browser)
		equal(t, v.ID+" OS", v.OS, want.OS)
		sameTime(t, v.ID+" LastSeen", v.LastSeen, want.LastSeen)
		sameTime(t, v.ID+" CreatedAt", v.CreatedAt, want.CreatedAt)
		equal(t, v.ID+" LastSeen location", v.LastSeen.Location(), time.UTC)
		equal(t, v.ID+" CreatedAt location", v.CreatedAt.Location(), time.UTC)
	}

	views, err = s.List(ctx, 2, "a1")
	noError(t, err)
	if len(views) != 1 || views[0].ID != "g7" || views[0].Current {
		t.Errorf("List(user 2) = %+v, want only g7, not current", views)
	}

	views, err = s.List(ctx, 3, "")
	noError(t, err)
	if views == nil || len(views) != 0 {
		t.Errorf("List(user 3) = %#v, want an empty, non-nil slice", views)
	}
	b3, err := json.Marshal(views)
	noError(t, err)
	equal(t, "JSON of no sessions", string(b3), "[]")
}

func TestListJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, clk := newService(t)
	clk.Advance(123456 * time.Microsecond)
	sess, err := s.Start(ctx, 7, "token-secret", testClient)
	noError(t, err)
	views, err := s.List(ctx, 7, sess.ID)
	noError(t, err)
	b, err := json.Marshal(views)
	noError(t, err)
	var items []map[string]any
	noError(t, json.Unmarshal(b, &items))
	if len(items) != 1 {
		t.Fatalf("items = %s", b)
	}
	var keys []string
	for k := range items[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	equal(t, "keys", strings.Join(keys, ","), "browser,created_at,current,device,id,ip_address,last_seen,os,user_agent")
	equal(t, "last_seen", items[0]["last_seen"], any("2026-12-03T10:00:00.123456Z"))
	equal(t, "created_at", items[0]["created_at"], any("2026-12-03T10:00:00.123456Z"))
	equal(t, "current", items[0]["current"], any(true))
	if strings.Contains(string(b), "token-secret") {
		t.Errorf("JSON %s shows the token id", b)
	}
}

// A store that returns another user's session (a broken query) must not
// make List show it.
type leakyStore struct{ *memStore }

func (l leakyStore) UserSessions(ctx context.Context, _ int64) ([]Session, error) {
	var all []Session
	for _, id := range []int64{1, 2} {
		s, err := l.memStore.UserSessions(ctx, id)
		if err != nil {
			return nil, err
		}
		all = append(all, s...)
	}
	return all, nil
}

func TestListOnlyTheUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, clk := newMemStore(), newClock()
	s, err := New(Config{Store: leakyStore{st}, Now: clk.Now})
	noError(t, err)
	mine, err := s.Start(ctx, 1, "t", testClient)
	noError(t, err)
	_, err = s.Start(ctx, 2, "t", testClient)
	noError(t, err)
	views, err := s.List(ctx, 1, "")
	noError(t, err)
	if len(views) != 1 || views[0].ID != mine.ID {
		t.Errorf("List = %+v, want only %s", views, mine.ID)
	}
}

func TestListStoreError(t *testing.T) {
	t.Parallel()
	s, st, _ := newService(t)
	st.err = errors.New("timeout")
	views, err := s.List(context.Background(), 1, "")
	if !errors.Is(err, st.err) {
		t.Errorf("err = %v, want one wrapping %v", err, st.err)
	}
	if views != nil {
		t.Errorf("views = %v, want nil", views)
	}
}
