// Package contract holds the HTTP contract test suite of chelseru-go: the
// endpoints of API-CONTRACT.md driven over a real HTTP server, exactly as
// a client sees them, on SQLite and again on PostgreSQL.
package contract
