// Package session records one session per login and device: who logged
// in, from which client (user agent parsed into device, browser and OS, and
// the client IP), when it was created and last seen, and the state of its
// refresh-token family. The auth package starts a session at every login,
// rotates its refresh token, and checks it on every authenticated request;
// a revoked or expired session's tokens stop working.
//
// A [Service] is built from a [Store]; package store provides the gorm
// implementation for SQLite and PostgreSQL:
//
//	sessions, err := session.New(session.Config{Store: st})
//
// [ClientIP] reads X-Forwarded-For only when the direct peer is one of the
// configured trusted proxies, so a client cannot choose the IP address its
// session records.
//
// # Concurrency
//
// A Service is safe for concurrent use; so must be every Store.
package session
