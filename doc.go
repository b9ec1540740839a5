// Package chelseru is the root of chelseru-go, an embeddable Go SDK for
// phone-number login with one-time SMS codes, JWT access and refresh
// tokens, per-device sessions, and SMS through Iranian providers. It is
// the Go counterpart of the Django package django-chelseru and speaks the
// same HTTP API, so existing web and mobile clients keep working.
//
// This package holds only documentation; the work is done by its
// sub-packages:
//
//   - [github.com/chelseru/chelseru-go/auth]: one-time codes, JWTs
//     (HS256), refresh rotation with reuse detection, and the
//     authentication middleware.
//   - [github.com/chelseru/chelseru-go/session]: a session per login and
//     device, with the user agent parsed and the client IP.
//   - [github.com/chelseru/chelseru-go/sms]: the Sender interface, the
//     package-level sms.Send, Iranian mobile numbers and SMS part counts;
//     sms/console prints messages for development, sms/smstest records
//     them for tests.
//   - [github.com/chelseru/chelseru-go/store]: the gorm store for SQLite
//     and PostgreSQL, with migrations and a table prefix.
//   - [github.com/chelseru/chelseru-go/httpx]: body decoding, the error
//     envelope, and the router that mounts everything under one prefix.
//
// # Embedding
//
// A host opens its own *gorm.DB, builds the services and mounts one
// handler, the way django-chelseru is added with
// include('drfchelseru.urls'):
//
//	st, _ := store.New(db, store.Config{})
//	_ = st.Migrate(ctx)
//	sessions, _ := session.New(session.Config{Store: st})
//	authn, _ := auth.New(auth.Config{
//		Secret: secret, Users: st, Codes: st, Sessions: sessions, Sender: sender,
//	})
//	mux.Handle("/api/", httpx.Router("/api/", authn))
//
// Host handlers behind authn.Require read the caller with auth.UserFrom.
// The runnable version is examples/server; the README has the whole
// walkthrough.
package chelseru
