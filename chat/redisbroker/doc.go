// Package redisbroker is a [chat.Broker] on Redis Pub/Sub, for chat
// rooms shared by any number of server instances.
//
// Each room has a channel, Config.Prefix followed by the room's id
// ("chelseru:chat:42"). An instance SUBSCRIBEs the channels of the rooms
// its sockets are in, on one PubSub connection, and Publish PUBLISHes an
// envelope (whole, encoded with [chat.Envelope.MarshalBinary]) to its
// room's channel, through the host's client. Redis delivers to every
// subscribed instance, the publisher included, at most once.
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	defer client.Close()
//	b, err := redisbroker.New(redisbroker.Config{Client: client, Logger: logger})
//	if err != nil {
//		return err
//	}
//	svc, err := chat.New(chat.Config{Auth: authn, Store: st, Users: st, Broker: b, Logger: logger})
//	// svc.Run runs the Broker; svc.Close closes it.
//
// # Reconnection
//
// go-redis reconnects the PubSub connection by itself when it drops or
// fails its health-check ping, and subscribes every channel again.
// Envelopes published in between are lost, so Run calls the hub's
// reconnected once per new connection for it to read what it missed from
// the store. Run recognises a resubscription from Redis's confirmations:
// each carries the number of channels its connection is subscribed to,
// which starts from one again on a new connection, and a channel
// confirmed twice without an UNSUBSCRIBE between is one subscribed again.
// A first subscription never calls reconnected.
//
// # Concurrency
//
// A Broker is safe for concurrent use. Run is called once and owns the
// PubSub connection: when ctx is done (or Close is called) it closes it,
// and the Broker is finished — Subscribe then returns [ErrClosed]. Run
// calls deliver and reconnected from its own goroutine, one at a time.
// While Run reads, Subscribe returns only once Redis has confirmed the
// subscription, so give it a ctx with a deadline. Publish needs only the
// client and works at any time.
package redisbroker
