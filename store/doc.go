// Package store is the gorm implementation of the stores that the other
// packages declare: auth.Users and auth.Codes, session.Store, and the SMS
// log. One [*Store] satisfies them all, on SQLite and on PostgreSQL with
// the same code.
//
// It also keeps the SMS log (sms.LogStore), the SMS outbox
// (outbox.Store), fixed-window rate limits that hold across server
// instances (Store.Hit), and chat: rooms, members and messages
// (chat.Store), who is connected where (chat.Presence), and the users the
// chat shows (chat.Users).
//
// The host opens the database with the driver it wants and hands the
// *gorm.DB over; this package imports no driver:
//
//	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{})
//	st, err := store.New(db, store.Config{TablePrefix: "chelseru_"})
//	err = st.Migrate(ctx) // explicit, never at import time
//
// # Tables
//
// Every table name starts with Config.TablePrefix (default "chelseru_"),
// so the tables sit beside the host's own: users, otp_codes, sessions,
// sms_log, sms_outbox, rate_limits, chat_rooms, chat_members,
// chat_messages, chat_presence, and schema_migrations, which records the
// applied migrations.
// Migrate applies the missing ones in order, each in a transaction;
// several instances may call it at once.
//
// # SQLite
//
// SQLite allows one writer at a time. So that concurrent requests never
// fail with "database is locked", New limits a SQLite *gorm.DB to a single
// connection, which serialises every statement, and sets WAL journaling,
// a busy timeout, synchronous=NORMAL (durable across process crashes; the
// last commits may roll back on power loss) and foreign keys. An
// in-memory database then stays one shared database.
//
// # Concurrency
//
// A Store is safe for concurrent use. The conditional statements behind
// auth.Codes (use a code once, count wrong tries) and session rotation are
// single atomic statements on both databases.
//
// The messages of a chat room get increasing ids and gapless sequence
// numbers in the order they commit, however many instances add them at
// once: on PostgreSQL AddMessage is one statement that advances the
// room's counter under its row lock and inserts the message; on SQLite it
// is a transaction of the same two steps. One direct room per pair of
// users holds under concurrent DirectRoom calls: a unique index
// arbitrates, and the room comes with its two memberships at once.
package store
