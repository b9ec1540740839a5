// Package brokertest is a conformance kit for [chat.Broker]
// implementations, in the way of testing/slogtest: a broker's own test
// calls [Run] with a function that makes brokers, and Run checks the
// contract in subtests.
//
//	func TestConformance(t *testing.T) {
//		addr := os.Getenv("CHELSERU_TEST_REDIS")
//		if addr == "" {
//			t.Skip("CHELSERU_TEST_REDIS not set")
//		}
//		brokertest.Run(t, func(t *testing.T) chat.Broker {
//			client := redis.NewClient(&redis.Options{Addr: addr})
//			t.Cleanup(func() { client.Close() })
//			b, err := redisbroker.New(redisbroker.Config{Client: client, Prefix: "test:" + t.Name() + ":"})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return b
//		})
//	}
//
// # The factory
//
// newBroker is called one or more times in each subtest, with that
// subtest's t. Every broker it returns within one subtest stands for
// another server instance: all of them must reach the same backend (the
// same server, prefix, channel …) and none may share Go state with
// another. Brokers made in different subtests may share the backend too:
// the kit picks random room ids, so subtests never see each other's
// envelopes. The factory registers the cleanup of what it opens (a client,
// a pool) with t.Cleanup; the kit stops Run and calls Close, if the broker
// has one, before those cleanups run.
//
// A broker whose instances cannot share a backend — [chat.MemoryBroker],
// one process — is run with the [Isolated] option: the cross-instance
// subtests are skipped and the others run on a single instance.
//
// A broker that carries message, edit and delete envelopes without their
// bodies (as [chat.Envelope.Slim] returns them, like chat/pgbroker) is run
// with [SlimMessages]: the field checks then expect the Slim form. The kit
// does not guess: without the option every field must arrive as sent.
//
// # What is checked
//
//   - An envelope published on an instance reaches the subscribed
//     deliver of every instance, its own included, with every field intact.
//   - Envelopes of a room nobody subscribed, or that was unsubscribed, are
//     not delivered; envelopes of many rooms reach the right rooms only.
//   - Subscribe and Unsubscribe are idempotent: subscribing twice delivers
//     once, unsubscribing twice or a room never subscribed is no error.
//   - Once Run is receiving, Subscribe returns only when delivery of the
//     room has started: an envelope published right after it is delivered.
//     (Run starting is allowed a gap: the kit waits for a first envelope to
//     come back before it checks anything, and reconnected calls until
//     then are not counted.)
//   - reconnected is not called while the backend is healthy.
//   - Envelopes published concurrently from 8 goroutines are all delivered,
//     each exactly once.
//   - Run returns nil or ctx's error soon after ctx is done, also for a ctx
//     done before Run is called, and leaves no goroutine behind that was
//     started after newBroker returned.
//   - Publish, Subscribe and Unsubscribe before Run, after Run has
//     returned, and with a cancelled ctx return (an error or nil) without
//     blocking or panicking; Close, if the broker has it, too.
//
// The backend must be healthy and reachable while Run runs: a broker whose
// backend is down fails the kit, it is not skipped.
//
// # Concurrency
//
// The subtests run one after another, never in parallel, because one of
// them looks for goroutines left behind (any goroutine started between
// newBroker returning and Run returning counts): do not call Run from a
// test marked t.Parallel, nor alongside parallel tests of the same binary
// that start goroutines.
// The kit calls deliver and reconnected from whatever goroutines the broker
// uses, and copes with them being called concurrently.
package brokertest
