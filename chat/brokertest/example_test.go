package brokertest_test

import (
	"testing"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/brokertest"
)

// A broker's own test runs the kit with a factory. Brokers of one process
// share nothing, so chat.MemoryBroker is run Isolated.
func ExampleRun() {
	_ = func(t *testing.T) {
		brokertest.Run(t, func(t *testing.T) chat.Broker {
			return chat.NewMemoryBroker()
		}, brokertest.Isolated())
	}
}
