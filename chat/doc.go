// Package chat is real-time chat for chelseru-go: direct and group rooms
// with members and roles, stored messages with history paging, and a
// WebSocket hub that delivers every message to every member connected to
// its room on any server instance.
//
// The store is the source of truth: a message is stored before it is
// delivered or acknowledged, and a hub that missed one (a dropped broker
// connection, a client that reconnects with ?after=) reads it from the
// store. A [Broker] only wakes hubs up: [MemoryBroker] for one process,
// chat/redisbroker and chat/pgbroker for many.
//
// # Concurrency
//
// A Service is safe for concurrent use. Each WebSocket connection has a
// reader goroutine and, while it has frames to send, one writer goroutine
// fed by a bounded queue, which sends what is queued in one write; a
// reader that falls behind is disconnected (4009), never waited for. An
// idle connection costs about 16 KB (see BENCHMARKS.md).
package chat
