package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/store"
)

var ctx = context.Background()

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "chelseru_", "app_", "_x", "a1"} {
		if err := (store.Config{TablePrefix: p}).Validate(); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	for _, p := range []string{"App_", "1a", "a-b", "a b", "a;drop table x;", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		if err := (store.Config{TablePrefix: p}).Validate(); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

type otherDialect struct{ gorm.Dialector }

func (otherDialect) Name() string { return "mysql" }

func TestUnsupportedDialect(t *testing.T) {
	t.Parallel()
	_, err := store.New(&gorm.DB{Config: &gorm.Config{Dialector: otherDialect{}}}, store.Config{})
	if !errors.Is(err, store.ErrUnsupportedDialect) {
		t.Errorf("err %v", err)
	}
	if _, err := store.New(nil, store.Config{}); err == nil {
		t.Error("nil db accepted")
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		for range 2 {
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var versions []int
		if err := st.DB().Raw("SELECT version FROM " + st.TablePrefix() + "schema_migrations ORDER BY version").Scan(&versions).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(versions, []int{1, 2, 3}) {
			t.Errorf("versions %v", versions)
		}
	})
}

// TestConcurrentMigrate: several instances starting at once on one
// PostgreSQL database.
func TestConcurrentMigrate(t *testing.T) {
	db := testdb.PostgresDB(t)
	st, err := store.New(db, store.Config{TablePrefix: "tconcurrent_migrate_"})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Drop(ctx)
	t.Cleanup(func() { _ = st.Drop(ctx) })
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			s, err := store.New(db, store.Config{TablePrefix: "tconcurrent_migrate_"})
			if err == nil {
				err = s.Migrate(ctx)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestTablePrefixesAreSeparate(t *testing.T) {
	db := testdb.PostgresDB(t)
	a := testdb.Postgres(t)
	b, err := store.New(db, store.Config{TablePrefix: "tseparate_b_"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Drop(ctx) })
	if err := b.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, _, err := a.LoginUser(ctx, "09120000001", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := b.User(ctx, u.ID); err != nil || found {
		t.Errorf("user of store a seen through store b: %v %v", found, err)
	}
}

func TestCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		c := auth.Code{Mobile: "09120000001", Hash: []byte("hash-1"), SentAt: now, ExpiresAt: now.Add(4 * time.Minute)}
		if _, stored, err := st.PutCode(ctx, c, now.Add(-time.Minute)); err != nil || !stored {
			t.Fatalf("first put: %v %v", stored, err)
		}
		got, found, err := st.Code(ctx, c.Mobile)
		if err != nil || !found {
			t.Fatalf("code: %v %v", found, err)
		}
		if !bytes.Equal(got.Hash, c.Hash) || !got.SentAt.Equal(c.SentAt) || !got.ExpiresAt.Equal(c.ExpiresAt) || got.Attempts != 0 || !got.UsedAt.IsZero() {
			t.Errorf("code %+v, want %+v", got, c)
		}
		if got.SentAt.Location() != time.UTC {
			t.Errorf("time in %v, want UTC", got.SentAt.Location())
		}

		// Within the cooldown a new code is refused and the old one returned.
		c2 := auth.Code{Mobile: c.Mobile, Hash: []byte("hash-2"), SentAt: now.Add(time.Second), ExpiresAt: now.Add(5 * time.Minute)}
		prev, stored, err := st.PutCode(ctx, c2, now.Add(-time.Minute))
		if err != nil || stored || !bytes.Equal(prev.Hash, c.Hash) {
			t.Fatalf("put in cooldown: stored %v prev %+v err %v", stored, prev, err)
		}
		// After it, the new code replaces the old one.
		if _, stored, err := st.PutCode(ctx, c2, now.Add(time.Millisecond)); err != nil || !stored {
			t.Fatalf("put after cooldown: %v %v", stored, err)
		}

		// Wrong tries count up to the cap and no further.
		for i := range 3 {
			if ok, err := st.FailCode(ctx, c.Mobile, c2.Hash, 3); err != nil || !ok {
				t.Fatalf("fail %d: %v %v", i, ok, err)
			}
		}
		if ok, _ := st.FailCode(ctx, c.Mobile, c2.Hash, 3); ok {
			t.Error("fail past the cap")
		}
		if ok, _ := st.UseCode(ctx, c.Mobile, c2.Hash, 3, now); ok {
			t.Error("burned code used")
		}
		if got, _, _ := st.Code(ctx, c.Mobile); got.Attempts != 3 {
			t.Errorf("attempts %d, want 3", got.Attempts)
		}

		// A fresh code: used once only, and a used code ends the cooldown.
		c3 := auth.Code{Mobile: c.Mobile, Hash: []byte("hash-3"), SentAt: now.Add(time.Minute), ExpiresAt: now.Add(9 * time.Minute)}
		if _, stored, _ := st.PutCode(ctx, c3, now.Add(2*time.Minute)); !stored {
			t.Fatal("put c3")
		}
		if ok, _ := st.UseCode(ctx, c.Mobile, c2.Hash, 5, now); ok {
			t.Error("replaced code used")
		}
		if ok, err := st.UseCode(ctx, c.Mobile, c3.Hash, 5, now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("use: %v %v", ok, err)
		}
		if ok, _ := st.UseCode(ctx, c.Mobile, c3.Hash, 5, now.Add(time.Minute)); ok {
			t.Error("used twice")
		}
		c4 := auth.Code{Mobile: c.Mobile, Hash: []byte("hash-4"), SentAt: now.Add(time.Minute), ExpiresAt: now.Add(9 * time.Minute)}
		if _, stored, _ := st.PutCode(ctx, c4, now.Add(-time.Hour)); !stored {
			t.Error("a used code still held the cooldown")
		}

		// Release only matches the same hash; it ends the cooldown and
		// keeps the code usable.
		c5 := auth.Code{Mobile: c.Mobile, Hash: []byte("hash-5"), SentAt: now.Add(2 * time.Minute), ExpiresAt: now.Add(9 * time.Minute)}
		if _, stored, _ := st.PutCode(ctx, c5, now.Add(time.Hour)); !stored {
			t.Fatal("put c5")
		}
		if err := st.ReleaseCode(ctx, c.Mobile, c4.Hash); err != nil {
			t.Fatal(err)
		}
		if _, stored, _ := st.PutCode(ctx, c4, now.Add(-time.Hour)); stored {
			t.Error("release with another hash ended the cooldown")
		}
		if err := st.ReleaseCode(ctx, c.Mobile, c5.Hash); err != nil {
			t.Fatal(err)
		}
		if got, found, _ := st.Code(ctx, c.Mobile); !found || !bytes.Equal(got.Hash, c5.Hash) || !got.UsedAt.IsZero() {
			t.Errorf("released code %+v %v", got, found)
		}
		if ok, _ := st.UseCode(ctx, c.Mobile, c5.Hash, 5, now.Add(3*time.Minute)); !ok {
			t.Error("a released code does not work")
		}
		c6 := auth.Code{Mobile: c.Mobile, Hash: []byte("hash-6"), SentAt: now.Add(3 * time.Minute), ExpiresAt: now.Add(9 * time.Minute)}
		st.PutCode(ctx, c6, now.Add(-time.Hour))
		st.ReleaseCode(ctx, c.Mobile, c6.Hash)
		if _, stored, _ := st.PutCode(ctx, c4, now.Add(-time.Hour)); !stored {
			t.Error("a released code still held the cooldown")
		}
	})
}

func TestUseCodeOnceUnderConcurrency(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now()
		c := auth.Code{Mobile: "09120000002", Hash: []byte("h"), SentAt: now, ExpiresAt: now.Add(time.Minute)}
		if _, _, err := st.PutCode(ctx, c, now); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		wins := 0
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				ok, err := st.UseCode(ctx, c.Mobile, c.Hash, 5, now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d uses, want 1", wins)
		}
	})
}

func TestUsers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		u, created, err := st.LoginUser(ctx, "09120000003", 0)
		if err != nil || !created {
			t.Fatalf("first login: %v %v", created, err)
		}
		if u.ID <= 0 || u.Username != "G0-09120000003" || u.MobileNumber != "09120000003" || u.Group != 0 || u.IsStaff {
			t.Errorf("user %+v", u)
		}
		again, created, err := st.LoginUser(ctx, "09120000003", 0)
		if err != nil || created || again.ID != u.ID {
			t.Errorf("second login: %+v %v %v", again, created, err)
		}
		g2, created, _ := st.LoginUser(ctx, "09120000003", 2)
		if !created || g2.ID == u.ID || g2.Username != "G2-09120000003" {
			t.Errorf("group 2: %+v %v", g2, created)
		}
		got, found, err := st.User(ctx, u.ID)
		if err != nil || !found || got != u {
			t.Errorf("User: %+v %v %v, want %+v", got, found, err, u)
		}
		if _, found, _ := st.User(ctx, 1<<40); found {
			t.Error("found a user that does not exist")
		}
		n, err := st.SetStaff(ctx, "09120000003", true)
		if err != nil || n != 2 {
			t.Errorf("SetStaff: %d %v", n, err)
		}
		if got, _, _ := st.User(ctx, u.ID); !got.IsStaff {
			t.Error("not staff")
		}
	})
}

func TestConcurrentFirstLogin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[int64]bool{}
		creations := 0
		for range 10 {
			wg.Go(func() {
				u, created, err := st.LoginUser(ctx, "09120000004", 0)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids[u.ID] = true
				if created {
					creations++
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(ids) != 1 || creations != 1 {
			t.Errorf("%d users and %d creations, want 1 and 1", len(ids), creations)
		}
	})
}

func TestSessions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		u, _, _ := st.LoginUser(ctx, "09120000005", 0)
		now := time.Now().UTC().Truncate(time.Microsecond)
		mk := func(seen time.Duration) session.Session {
			return session.Session{
				ID: session.NewID(), UserID: u.ID, TokenID: session.NewID(), TokenIssuedAt: now,
				UserAgent: "ua", IP: "10.0.0.1", Device: "Desktop", Browser: "Chrome 120.0", OS: "Windows 10",
				CreatedAt: now, LastSeen: now.Add(seen), ExpiresAt: now.Add(time.Hour),
			}
		}
		a, b := mk(0), mk(time.Second)
		for _, s := range []session.Session{a, b} {
			if err := st.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		got, found, err := st.Session(ctx, a.ID)
		if err != nil || !found || got != a {
			t.Errorf("Session: %+v %v %v\nwant %+v", got, found, err, a)
		}
		if _, found, _ := st.Session(ctx, "nope"); found {
			t.Error("found an unknown session")
		}
		list, err := st.UserSessions(ctx, u.ID)
		if err != nil || len(list) != 2 || list[0].ID != b.ID {
			t.Errorf("UserSessions: %v %v", list, err)
		}

		// Rotation is a compare-and-swap on the current generation.
		next := session.NewID()
		at := now.Add(time.Minute)
		if ok, err := st.RotateSession(ctx, a.ID, a.TokenID, next, at); err != nil || !ok {
			t.Fatalf("rotate: %v %v", ok, err)
		}
		if ok, _ := st.RotateSession(ctx, a.ID, a.TokenID, session.NewID(), at); ok {
			t.Error("rotated twice from the same generation")
		}
		got, _, _ = st.Session(ctx, a.ID)
		if got.TokenID != next || got.PrevTokenID != a.TokenID || !got.TokenIssuedAt.Equal(at) || !got.LastSeen.Equal(at) {
			t.Errorf("after rotation %+v", got)
		}

		// last_seen only moves forward.
		if err := st.TouchSession(ctx, a.ID, now); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := st.Session(ctx, a.ID); !got.LastSeen.Equal(at) {
			t.Errorf("last_seen went back to %v", got.LastSeen)
		}
		later := at.Add(time.Minute)
		_ = st.TouchSession(ctx, a.ID, later)
		if got, _, _ := st.Session(ctx, a.ID); !got.LastSeen.Equal(later) {
			t.Errorf("last_seen %v, want %v", got.LastSeen, later)
		}

		if err := st.RevokeSession(ctx, a.ID, later); err != nil {
			t.Fatal(err)
		}
		got, _, _ = st.Session(ctx, a.ID)
		if !got.RevokedAt.Equal(later) {
			t.Errorf("revoked_at %v", got.RevokedAt)
		}
		if ok, _ := st.RotateSession(ctx, a.ID, next, session.NewID(), later); ok {
			t.Error("rotated a revoked session")
		}
		list, _ = st.UserSessions(ctx, u.ID)
		if len(list) != 1 || list[0].ID != b.ID {
			t.Errorf("revoked session listed: %v", list)
		}
	})
}

func TestLoginWithCode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		put := func(mobile, hash string) auth.CodeUse {
			t.Helper()
			c := auth.Code{Mobile: mobile, Hash: []byte(hash), SentAt: now, ExpiresAt: now.Add(time.Minute)}
			if _, stored, err := st.PutCode(ctx, c, now.Add(time.Hour)); err != nil || !stored {
				t.Fatalf("put: %v %v", stored, err)
			}
			return auth.CodeUse{Mobile: mobile, Hash: c.Hash, MaxAttempts: 5, At: now}
		}
		sess := func() session.Session {
			return session.Session{ID: session.NewID(), TokenID: session.NewID(), TokenIssuedAt: now,
				UserAgent: "ua", IP: "10.0.0.1", Device: "Desktop", CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)}
		}

		use := put("09120000006", "h1")
		v := sess()
		u, created, used, err := st.LoginWithCode(ctx, use, 3, v)
		if err != nil || !used || !created || u.ID == 0 || u.Username != "G3-09120000006" || u.Group != 3 {
			t.Fatalf("login: %+v %v %v %v", u, created, used, err)
		}
		got, found, _ := st.Session(ctx, v.ID)
		if !found || got.UserID != u.ID || got.Device != "Desktop" || !got.ExpiresAt.Equal(v.ExpiresAt) {
			t.Errorf("session %+v %v", got, found)
		}
		// Used once only; the wrong hash never.
		if _, _, used, err := st.LoginWithCode(ctx, use, 3, sess()); used || err != nil {
			t.Errorf("second use: %v %v", used, err)
		}
		use = put("09120000006", "h2")
		if _, _, used, _ := st.LoginWithCode(ctx, auth.CodeUse{Mobile: use.Mobile, Hash: []byte("x"), MaxAttempts: 5, At: now}, 3, sess()); used {
			t.Error("wrong hash used")
		}
		// A known user is not created again.
		if u2, created, used, err := st.LoginWithCode(ctx, use, 3, sess()); err != nil || !used || created || u2.ID != u.ID {
			t.Errorf("known user: %+v %v %v %v", u2, created, used, err)
		}

		// When the session cannot be stored (its id is taken), the login
		// fails and the code stays usable.
		use = put("09120000006", "h3")
		if _, _, _, err := st.LoginWithCode(ctx, use, 3, v); err == nil {
			t.Fatal("duplicate session id accepted")
		}
		if ok, err := st.UseCode(ctx, use.Mobile, use.Hash, 5, now); err != nil || !ok {
			t.Errorf("the code was not given back: %v %v", ok, err)
		}
	})
}

func TestSMSLog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		rec := sms.LogRecord{Provider: "kavenegar", To: "09120000001", Template: "otp", Params: []string{"a", "b;c"},
			Status: sms.LogAccepted, MessageID: "5243690627088685351", Parts: 2, CreatedAt: now, UpdatedAt: now}
		id, err := st.AddSMS(ctx, rec)
		if err != nil || id <= 0 {
			t.Fatalf("add: %d %v", id, err)
		}
		got, found, err := st.SMSRecord(ctx, id)
		rec.ID = id
		if err != nil || !found || fmt.Sprint(got) != fmt.Sprint(rec) {
			t.Errorf("record %+v, want %+v (%v)", got, rec, err)
		}
		if err := st.SetSMSStatus(ctx, id, "delivered", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := st.SMSRecord(ctx, id); got.Status != "delivered" || !got.UpdatedAt.Equal(now.Add(time.Minute)) {
			t.Errorf("after the report %+v", got)
		}
		if _, found, _ := st.SMSRecord(ctx, id+100); found {
			t.Error("found a record that does not exist")
		}
	})
}

func TestHit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		for i := range 3 {
			ok, wait, err := st.Hit(ctx, "user:1", 3, time.Hour)
			if err != nil || !ok || wait != 0 {
				t.Fatalf("hit %d: %v %v %v", i+1, ok, wait, err)
			}
		}
		ok, wait, err := st.Hit(ctx, "user:1", 3, time.Hour)
		if err != nil || ok || wait <= 0 || wait > time.Hour {
			t.Errorf("fourth hit: %v %v %v", ok, wait, err)
		}
		if ok, _, _ := st.Hit(ctx, "user:2", 3, time.Hour); !ok {
			t.Error("another key shares the count")
		}
		// Concurrent hits are counted exactly.
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for range 20 {
			wg.Go(func() {
				ok, _, err := st.Hit(ctx, "user:3", 5, time.Hour)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if allowed != 5 {
			t.Errorf("%d of 20 concurrent hits allowed, want 5", allowed)
		}
	})
}
