package pgbroker_test

import (
	"context"
	"log"
	"log/slog"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/pgbroker"
)

// New connects nothing: the Service's Run opens the listening connection,
// and its Close closes the Broker.
func ExampleNew() {
	b, err := pgbroker.New(pgbroker.Config{
		DSN:     "postgres://chat@127.0.0.1:5432/app?application_name=chat",
		Channel: "app_chat",
		Logger:  slog.Default(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close(context.Background())

	var _ chat.Broker = b // chat.Config{Broker: b, …}
}
