package contract

import (
	"net/http"

	"github.com/chelseru/chelseru-go/auth"
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

// TestDatabaseRoundTrips: a send costs 1 statement, a verify at most 4
// (DESIGN's goal), a wrong code 2, a refresh 3, and an authenticated
// request nothing while its session check is fresh (sessions/ itself
// reads the list: 1).
func TestDatabaseRoundTrips(t *testing.T) {
	// On SQLite the last three steps of a verify run in one transaction;
	// on PostgreSQL they are one statement.
	t.Run("sqlite", func(t *testing.T) { testRoundTrips(t, testdb.SQLiteDB(t), 4, nil) })
	t.Run("postgres", func(t *testing.T) { testRoundTrips(t, testdb.NewPostgresDB(t), 2, nil) })
	t.Run("postgres/split", func(t *testing.T) { testRoundTrips(t, testdb.NewPostgresDB(t), 4, split) })
}

func testRoundTrips(t *testing.T, db *gorm.DB, verify int64, mod func(*auth.Config)) {
	st, n := counted(t, db)
	e := newEnv(t, st, mod)
	count := func(what string, want int64, fn func()) {
		t.Helper()
		before := n.Load()
		fn()
		if n := n.Load() - before; n != want {
			t.Errorf("%s: %d statements, want %d", what, n, want)
		}
	}
	var code string
	count("send", 1, func() { code = e.sendCode("09120000040") })
	var login *resp
	count("verify, new user", verify, func() {
		login = e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000040", "code": code})
		wantStatus(t, login, http.StatusOK)
	})
	code = e.sendCode("09120000040")
	count("verify, known user", verify, func() {
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
