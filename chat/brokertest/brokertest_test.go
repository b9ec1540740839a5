package brokertest_test

import (
	"testing"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/brokertest"
)

func TestMemoryBroker(t *testing.T) {
	brokertest.Run(t, func(t *testing.T) chat.Broker { return chat.NewMemoryBroker() }, brokertest.Isolated())
}
