// Package pgbroker is a [chat.Broker] on PostgreSQL LISTEN/NOTIFY, for
// chat rooms shared by server instances that have PostgreSQL and no
// Redis.
//
// All rooms share one channel (Config.Channel). Each instance holds one
// connection that LISTENs on it and passes on the notifications of the
// rooms its sockets are in (every envelope carries its room; the filter is
// local). Publish sends SELECT pg_notify(channel, payload) through a small
// pool of its own. PostgreSQL delivers a notification to every listening
// connection, the publisher's included, at most once.
//
//	b, err := pgbroker.New(pgbroker.Config{DSN: os.Getenv("DATABASE_URL"), Logger: logger})
//	if err != nil {
//		return err
//	}
//	svc, err := chat.New(chat.Config{Auth: authn, Store: st, Users: st, Broker: b, Logger: logger})
//	// svc.Run runs the Broker; svc.Close closes it.
//
// # Payloads
//
// A NOTIFY payload must stay under 8000 bytes, so Publish always sends
// [chat.Envelope.Slim]: message, edit and delete envelopes carry their ids
// only (Thin set) and the hubs read the bodies from the store; the other
// events go whole. If an encoded envelope is still over [MaxPayload]
// (7900 bytes) — a typing or join event with a huge Username — Publish
// drops its optional fields (Username, Text, ClientID) and sends the ids;
// only an envelope too large even then (an absurd Type) fails, with
// [ErrTooLarge]. Nothing is split or truncated.
//
// # Reconnection
//
// When the listening connection breaks (or fails a ping after 30 s
// without a notification), Run connects again, after 100 ms doubling up
// to 5 s while it cannot, LISTENs again, and calls the hub's reconnected
// for it to read from the store what was published in between.
//
// # Concurrency
//
// A Broker is safe for concurrent use. Run is called once; when it
// returns the Broker no longer receives (Subscribe returns [ErrClosed])
// but Publish works until Close, which also closes the pool. Run calls
// deliver and reconnected from its own goroutine, one at a time.
// Subscribe and Unsubscribe never wait for the network.
package pgbroker
