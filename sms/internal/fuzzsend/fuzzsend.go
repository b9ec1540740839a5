// Package fuzzsend is the fuzz harness of the provider clients: a fake
// provider that answers whatever status and body the fuzzer gives, and
// the properties every client must keep whatever the answer: no panic,
// and either a receipt with a decimal (or no) message id or a typed error.
package fuzzsend

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
)

// Server is a fake provider whose next answer the fuzzer sets.
type Server struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	body   []byte
}

// New starts a Server, closed when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	tb.Cleanup(s.Close)
	return s
}

// Answer sets the next answer; the status is folded into 200–599.
func (s *Server) Answer(status int, body []byte) {
	if status < 200 || status > 599 {
		status = 200 + (status%400+400)%400
	}
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

// Check sends m through c and checks the properties.
func Check(t *testing.T, c sms.Sender, m sms.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := c.Send(ctx, m)
	if err != nil {
		var perr *sms.ProviderError
		var verr *sms.ValidationError
		if !errors.As(err, &perr) && !errors.As(err, &verr) {
			t.Fatalf("error %v (%T) is neither a ProviderError nor a ValidationError", err, err)
		}
		if perr != nil && perr.Kind == nil {
			t.Fatalf("ProviderError without a kind: %v", err)
		}
		return
	}
	for _, c := range r.MessageID {
		if c < '0' || c > '9' {
			t.Fatalf("message id %q is not decimal", r.MessageID)
		}
	}
}
