package httpx_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chelseru/chelseru-go/httpx"
)

// syncBuffer is a bytes.Buffer safe for a logger used by parallel tests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func panicking(v any) http.Handler {
	return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(v) })
}

func TestRecover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value any
	}{
		{"string", "nil map write in handler"},
		{"error", errors.New("pq: relation users does not exist")},
		{"nil", nil},
		{"int", 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			h := httpx.Recover(logger)(panicking(tt.value))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/otp/send/", nil))
			equal(t, "status", w.Code, http.StatusInternalServerError)
			body := decodeBody(t, w)
			equal(t, "keys", keys(body), "code,error")
			equal(t, "code", body["code"], any(httpx.CodeInternal))
			for _, leak := range []string{"pq:", "nil map", "goroutine", ".go:"} {
				if strings.Contains(w.Body.String(), leak) {
					t.Errorf("body %q leaks %q", w.Body, leak)
				}
			}
			out := logs.String()
			for _, want := range []string{"httpx: handler panicked", "/api/otp/send/", "POST", "stack="} {
				if !strings.Contains(out, want) {
					t.Errorf("log %q does not contain %q", out, want)
				}
			}
			if tt.value != nil && !strings.Contains(out, fmt.Sprint(tt.value)) {
				t.Errorf("log %q does not contain the panic value %v", out, tt.value)
			}
		})
	}
}

func TestRecoverPassesThrough(t *testing.T) {
	t.Parallel()
	h := httpx.Recover(nil)(echo("ok"))
	w := serve(h, http.MethodPost, "/", "body")
	equal(t, "status", w.Code, http.StatusOK)
	equal(t, "body", w.Body.String(), "ok|body|")
}

func TestRecoverNilLogger(t *testing.T) {
	t.Parallel()
	w := serve(httpx.Recover(nil)(panicking("boom")), http.MethodGet, "/", "")
	equal(t, "status", w.Code, http.StatusInternalServerError)
}

func TestRecoverRepanicsAbortHandler(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]error{
		"bare":    http.ErrAbortHandler,
		"wrapped": fmt.Errorf("stream: %w", http.ErrAbortHandler),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := httpx.Recover(nil)(panicking(v))
			w := httptest.NewRecorder()
			func() {
				defer func() {
					got := recover()
					if got != v {
						t.Errorf("re-panicked with %v, want %v", got, v)
					}
				}()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			}()
			equal(t, "body", w.Body.String(), "")
		})
	}
}

func TestRecoverUpgradeWritesNothing(t *testing.T) {
	t.Parallel()
	h := httpx.Recover(nil)(panicking("after hijack"))
	r := httptest.NewRequest(http.MethodGet, "/api/chat/1/", nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	equal(t, "body", w.Body.String(), "")
	equal(t, "Content-Type", w.Header().Get("Content-Type"), "")
	equal(t, "headers set", len(w.Header()), 0)
}

// Through a real server a panic reaches the client as a JSON 500 and the
// connection survives.
func TestRecoverOverHTTP(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(httpx.Recover(nil)(panicking("boom")))
	t.Cleanup(srv.Close)
	for range 2 {
		resp, err := srv.Client().Get(srv.URL)
		noError(t, err)
		_ = resp.Body.Close()
		equal(t, "status", resp.StatusCode, http.StatusInternalServerError)
		equal(t, "Content-Type", resp.Header.Get("Content-Type"), "application/json")
	}
}
