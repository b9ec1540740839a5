package redisbroker_test

import (
	"context"
	"log"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/redisbroker"
)

// The host makes the Redis client; the Broker goes into chat.Config and
// the Service runs and closes it.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()

	b, err := redisbroker.New(redisbroker.Config{Client: client, Logger: slog.Default()})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close(context.Background())

	var _ chat.Broker = b // chat.Config{Broker: b, …}
}
