package contract

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/sms/kavenegar"
	"github.com/chelseru/chelseru-go/store"
)

// badKavenegar answers every call with what the test last set.
type badKavenegar struct {
	mu     sync.Mutex
	status int
	body   string
	delay  time.Duration
}

func (k *badKavenegar) set(status int, body string, delay time.Duration) {
	k.mu.Lock()
	k.status, k.body, k.delay = status, body, delay
	k.mu.Unlock()
}

func (k *badKavenegar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	status, body, delay := k.status, k.body, k.delay
	k.mu.Unlock()
	time.Sleep(delay)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// TestProviderFailuresOverHTTP: whatever a real provider client meets —
// an HTML page, an empty or truncated answer, a 5xx, silence, a refused
// receiver — otp/send/ and message/send/ answer 502 with the provider's
// name, and a failed code holds nobody in cooldown.
func TestProviderFailuresOverHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		fake := &badKavenegar{}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		kn, err := kavenegar.New(kavenegar.Config{APIKey: "CONTRACT-KEY", BaseURL: srv.URL,
			HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, st, func(c *auth.Config) { c.Sender = kn })
		cases := []struct {
			name   string
			status int
			body   string
			delay  time.Duration
			code   any
			kind   string
		}{
			{"html page", 502, "<html><body>Bad Gateway</body></html>", 0, float64(502), "temporary"},
			{"empty 200", 200, "", 0, nil, "transport"},
			{"truncated JSON", 200, `{"return":{"status":200,`, 0, nil, "transport"},
			{"500 with nothing", 500, "", 0, float64(500), "temporary"},
			{"no answer in time", 200, "{}", time.Second, nil, "transport"},
			{"receiver refused", 411, `{"return":{"status":411,"message":"receptor invalid"},"entries":null}`, 0, float64(411), "invalid_receiver"},
			{"no credit", 418, `{"return":{"status":418,"message":"no credit"},"entries":null}`, 0, float64(418), "insufficient_credit"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				fake.set(c.status, c.body, c.delay)
				for range 2 { // twice: a failed code is no cooldown
					r := e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000070"})
					wantError(t, r, http.StatusBadGateway, "provider_error")
					if r.str("provider") != "kavenegar" || r.body["provider_code"] != c.code || r.str("kind") != c.kind {
						t.Errorf("502 body %s, want provider_code %v and kind %s", r.raw, c.code, c.kind)
					}
					if strings.Contains(string(r.raw), "CONTRACT-KEY") {
						t.Errorf("the API key leaked: %s", r.raw)
					}
				}
			})
		}
	})
}
