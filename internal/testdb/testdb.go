// Package testdb gives tests a fresh, migrated store on SQLite (always)
// and on PostgreSQL (when CHELSERU_TEST_POSTGRES holds a DSN; skipped
// otherwise). Each store has its own table prefix, so tests sharing one
// PostgreSQL database never see each other's rows; its tables are dropped
// when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/chelseru/chelseru-go/store"
)

// PostgresEnv names the variable holding the PostgreSQL DSN of the tests.
const PostgresEnv = "CHELSERU_TEST_POSTGRES"

// Backend is a database the tests run on.
type Backend struct {
	Name string
	Open func(t testing.TB) *store.Store
}

// Backends are SQLite and PostgreSQL, in that order.
var Backends = []Backend{{"sqlite", SQLite}, {"postgres", Postgres}}

// Each runs fn as a subtest on every backend; the PostgreSQL one is
// skipped when CHELSERU_TEST_POSTGRES is unset.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

func name() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:]) + "_"
}

// SQLite returns a store on a new in-memory SQLite database.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, SQLiteDB(t))
}

// SQLiteDB returns a new in-memory SQLite database, closed when the test
// ends.
func SQLiteDB(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(sqlite.Open("file:"+name()+"?mode=memory"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(db) })
	return db
}

// NewPostgresDB returns a PostgreSQL database with a pool of its own,
// closed when the test ends, for tests that instrument it; it skips the
// test when CHELSERU_TEST_POSTGRES is unset.
func NewPostgresDB(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(postgres.Open(postgresDSN(t)), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() { closeDB(db) })
	return db
}

// postgresDSN returns CHELSERU_TEST_POSTGRES, skipping the test when it
// is unset.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skip(PostgresEnv + " is not set")
	}
	return dsn
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}

var pg struct {
	once sync.Once
	db   *gorm.DB
	err  error
}

// PostgresDB returns the shared PostgreSQL database of the test process,
// skipping the test when CHELSERU_TEST_POSTGRES is unset.
func PostgresDB(t testing.TB) *gorm.DB {
	t.Helper()
	dsn := postgresDSN(t)
	pg.once.Do(func() {
		pg.db, pg.err = gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
		if pg.err == nil {
			sqlDB, _ := pg.db.DB()
			sqlDB.SetMaxOpenConns(24)
			sqlDB.SetMaxIdleConns(24)
		}
	})
	if pg.err != nil {
		t.Fatalf("postgres: %v", pg.err)
	}
	return pg.db
}

// Postgres returns a store with its own table prefix on the shared
// PostgreSQL database.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, PostgresDB(t))
}

// Open returns a migrated store on db with a table prefix of its own,
// whose tables are dropped when the test ends.
func Open(t testing.TB, db *gorm.DB) *store.Store {
	t.Helper()
	st, err := store.New(db, store.Config{TablePrefix: name()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Drop(context.Background()); err != nil {
			t.Errorf("drop tables: %v", err)
		}
	})
	return st
}
