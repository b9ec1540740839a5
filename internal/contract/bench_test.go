package contract

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/store"
)

// codeCatcher is a sender that keeps the last code per number.
type codeCatcher struct{ codes sync.Map }

func (c *codeCatcher) Send(_ context.Context, m sms.Message) (sms.Receipt, error) {
	c.codes.Store(m.To, m.Text[strings.LastIndexByte(m.Text, ' ')+1:])
	return sms.Receipt{Provider: "bench", Parts: 1}, nil
}

// benchNumbers hands out numbers never used before in this process, so
// that no login of a benchmark meets a cooldown.
var benchNumbers atomic.Int64

// BenchmarkLogin is full logins per second: otp/send/ then authenticate/
// through the mounted handler (no network), each for a new number; on
// each database with the store's one-step login (auth.CodeLogins) and,
// as "split", one step at a time as with a host's own stores.
func BenchmarkLogin(b *testing.B) {
	for _, be := range testdb.Backends {
		b.Run(be.Name, func(b *testing.B) { benchLogin(b, be.Open(b), nil) })
		b.Run(be.Name+"/split", func(b *testing.B) { benchLogin(b, be.Open(b), split) })
	}
}

func benchLogin(b *testing.B, st *store.Store, mod func(*auth.Config)) {
	h, catcher := benchHandler(b, st, mod)
	// Requests wait on the database most of the time: serve more of them
	// at once than there are cores, as a server does.
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mobile := fmt.Sprintf("09%09d", benchNumbers.Add(1))
			if s := serve(h, "/api/otp/send/", `{"mobile_number":"`+mobile+`"}`); s != http.StatusOK {
				b.Errorf("send: %d", s)
				return
			}
			code, _ := catcher.codes.Load(mobile)
			if s := serve(h, "/api/authenticate/", `{"mobile_number":"`+mobile+`","code":"`+code.(string)+`"}`); s != http.StatusOK {
				b.Errorf("authenticate: %d", s)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logins/s")
}

func benchHandler(b *testing.B, st *store.Store, mod func(*auth.Config)) (http.Handler, *codeCatcher) {
	catcher := &codeCatcher{}
	sessions, err := session.New(session.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	cfg := auth.Config{Secret: []byte(secret), Users: st, Codes: st, Sessions: sessions, Sender: catcher}
	if mod != nil {
		mod(&cfg)
	}
	authn, err := auth.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return httpx.Router("/api/", authn), catcher
}

// serve runs one request through h the way net/http hands it over.
func serve(h http.Handler, path, body string) int {
	req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.1:1234"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}
