package contract

import (
	"net/http"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/store"
)

// counted returns a store on a database of its own whose statements are
// counted, through gorm's callbacks so that prepared statements count
// too. Each statement is one round trip: pgx sends a cached prepared
// statement in one, and nothing here runs in a transaction.
func counted(t *testing.T, db *gorm.DB) (*store.Store, *atomic.Int64) {
	t.Helper()
	n := new(atomic.Int64)
	count := func(*gorm.DB) { n.Add(1) }
	if err := db.Callback().Raw().After("gorm:raw").Register("test:count", count); err != nil {
		t.Fatal(err)
	}
	if err := db.Callback().Row().After("gorm:row").Register("test:count", count); err != nil {
		t.Fatal(err)
	}
	return testdb.Open(t, db), n
}

// TestDatabaseRoundTrips: a verify costs at most 4 statements (DESIGN
// goal), a send 1, a refresh 3, an authenticated request none while its
// session check is fresh.
func TestDatabaseRoundTrips(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testRoundTrips(t, testdb.SQLiteDB(t)) })
	t.Run("postgres", func(t *testing.T) { testRoundTrips(t, testdb.NewPostgresDB(t)) })
}

func testRoundTrips(t *testing.T, db *gorm.DB) {
	st, n := counted(t, db)
	e := newEnv(t, st, nil)
	count := func(what string, max int64, fn func()) {
		t.Helper()
		before := n.Load()
		fn()
		if n := n.Load() - before; n > max {
			t.Errorf("%s: %d statements, want at most %d", what, n, max)
		} else {
			t.Logf("%s: %d statements", what, n)
		}
	}
	var code string
	count("send", 1, func() { code = e.sendCode("09120000040") })
	var login *resp
	count("verify, new user", 4, func() {
		login = e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000040", "code": code})
		wantStatus(t, login, http.StatusOK)
	})
	code = e.sendCode("09120000040")
	count("verify, known user", 4, func() {
		wantStatus(t, e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000040", "code": code}), http.StatusOK)
	})
	code = e.sendCode("09120000040")
	count("wrong code", 2, func() {
		r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000040", "code": wrong(code)})
		wantStatus(t, r, http.StatusUnauthorized)
	})
	count("refresh", 3, func() {
		wantStatus(t, e.post("/api/token/refresh/", map[string]string{"refresh": login.str("refresh")}), http.StatusOK)
	})
	e.get("/api/sessions/", login.str("access")) // warms the session check
	count("authenticated request (sessions/: the list itself)", 1, func() {
		wantStatus(t, e.get("/api/sessions/", login.str("access")), http.StatusOK)
	})
}
