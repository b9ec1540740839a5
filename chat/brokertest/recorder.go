package brokertest

import (
	"context"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/chat"
)

// Recorder collects what a broker's Run hands over, for the tests a
// broker has beside Run's (reconnections, a killed connection).
type Recorder struct {
	Envs        chan chat.Envelope // every envelope delivered
	Reconnected chan struct{}      // one value per call of reconnected
}

// NewRecorder returns a Recorder with room for 1000 envelopes and 100
// reconnections.
func NewRecorder() *Recorder {
	return &Recorder{Envs: make(chan chat.Envelope, 1000), Reconnected: make(chan struct{}, 100)}
}

func (r *Recorder) deliver(env chat.Envelope) { r.Envs <- env }
func (r *Recorder) reconnect()                { r.Reconnected <- struct{}{} }

// Await waits for the envelope of room with id, dropping the others, and
// returns it; after waitTimeout it fails t.
func (r *Recorder) Await(t testing.TB, room, id int64) chat.Envelope {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case env := <-r.Envs:
			if env.Room == room && env.ID == id {
				return env
			}
		case <-timeout:
			t.Fatalf("envelope %d of room %d not delivered", id, room)
			return chat.Envelope{}
		}
	}
}

// Start runs b with r until t ends; then Run must return nil within
// stopTimeout.
func Start(t testing.TB, b chat.Broker, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, r.deliver, r.reconnect) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(stopTimeout):
			t.Error("Run did not return")
		}
	})
}
