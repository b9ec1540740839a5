package contract

import (
	"context"
	"database/sql"
	"net/http"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/store"
)

// countingPool counts the statements sent to the database: each is one
// round trip (pgx caches prepared statements, and nothing here runs in a
// transaction).
type countingPool struct {
	*sql.DB
	n atomic.Int64
}

func (p *countingPool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	p.n.Add(1)
	return p.DB.ExecContext(ctx, q, args...)
}

func (p *countingPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	p.n.Add(1)
	return p.DB.QueryContext(ctx, q, args...)
}

func (p *countingPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	p.n.Add(1)
	return p.DB.QueryRowContext(ctx, q, args...)
}

func (p *countingPool) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	p.n.Add(1)
	return p.DB.PrepareContext(ctx, q)
}

func (p *countingPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// counted returns a store on the same tables as st whose statements are
// counted.
func counted(t *testing.T, st *store.Store) (*store.Store, *countingPool) {
	t.Helper()
	sqlDB, err := st.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	pool := &countingPool{DB: sqlDB}
	db := st.DB().Session(&gorm.Session{NewDB: true})
	db.Statement.ConnPool = pool
	cst, err := store.New(db, store.Config{TablePrefix: st.TablePrefix()})
	if err != nil {
		t.Fatal(err)
	}
	return cst, pool
}

// TestDatabaseRoundTrips: a verify costs at most 4 statements (DESIGN
// goal), a send 1, a refresh 3, an authenticated request none while its
// session check is fresh.
func TestDatabaseRoundTrips(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		cst, pool := counted(t, st)
		e := newEnv(t, cst, nil)
		count := func(what string, max int64, fn func()) {
			t.Helper()
			before := pool.n.Load()
			fn()
			if n := pool.n.Load() - before; n > max {
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
		count("wrong code", 2, func() {
			e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000040", "code": "00000000"})
		})
		count("refresh", 3, func() {
			wantStatus(t, e.post("/api/token/refresh/", map[string]string{"refresh": login.str("refresh")}), http.StatusOK)
		})
		e.get("/api/sessions/", login.str("access")) // warms the session check
		count("authenticated request (sessions/: the list itself)", 1, func() {
			wantStatus(t, e.get("/api/sessions/", login.str("access")), http.StatusOK)
		})
	})
}
