package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestMain lets the test binary be the child process of the client side.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

func runArgs(t *testing.T, args ...string) *result {
	t.Helper()
	o, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := run(context.Background(), o, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var out bytes.Buffer
	res.print(&out)
	t.Logf("\n%s", out.String())
	if len(res.Client.Closes) > 0 {
		t.Errorf("unexpected closes: %+v", res.Client.Closes)
	}
	for _, l := range res.ServerLog {
		t.Errorf("server logged %d × %s", l.Count, l.Record)
	}
	if res.Client.ErrorFrames > 0 {
		t.Errorf("%d error frames: %s", res.Client.ErrorFrames, res.Client.FirstError)
	}
	return res
}

func TestFanout(t *testing.T) {
	for _, clients := range []string{"child", "same"} {
		t.Run(clients, func(t *testing.T) {
			res := runArgs(t, "-scenario", "fanout", "-rooms", "2", "-subs", "3", "-pubs", "1",
				"-duration", "1s", "-warmup", "200ms", "-clients", clients)
			f := res.Fanout
			if f.Published == 0 || f.Deliveries == 0 {
				t.Fatalf("published %d, deliveries %d", f.Published, f.Deliveries)
			}
			if f.Expected != f.Published*4 || f.Missing != 0 {
				t.Errorf("expected %d (published %d × 4), missing %d", f.Expected, f.Published, f.Missing)
			}
			if f.Latency.Samples != uint64(f.Deliveries) || f.Latency.P50Ms <= 0 || f.Latency.P99Ms < f.Latency.P50Ms || f.Latency.MaxMs < f.Latency.P99Ms {
				t.Errorf("latency %+v for %d deliveries", f.Latency, f.Deliveries)
			}
			if f.MessagesPerFrame != 1 {
				t.Errorf("%.2f messages a frame; chelseru-go sends one a frame", f.MessagesPerFrame)
			}
			if res.Client.Sockets != 8 || f.AckTimeouts != 0 {
				t.Errorf("%d sockets, %d ack timeouts", res.Client.Sockets, f.AckTimeouts)
			}
			if f.ServerCPUCores <= 0 || f.ServerAllocsPerDel <= 0 {
				t.Errorf("server figures %+v", f)
			}
		})
	}
}

func TestIdle(t *testing.T) {
	// Enough sockets that their heap stands out of the garbage the setup
	// leaves (a socket is about 16 KB).
	res := runArgs(t, "-scenario", "idle", "-sockets", "200", "-rooms", "4")
	f := res.Idle
	if f.ServedSockets != 200 || res.Client.Sockets != 200 {
		t.Fatalf("%d sockets served, %d opened", f.ServedSockets, res.Client.Sockets)
	}
	if f.GoroutinesPerSocket < 1 || f.HeapPerSocket <= 0 {
		t.Errorf("per socket: %.2f goroutines, %.0f B of heap", f.GoroutinesPerSocket, f.HeapPerSocket)
	}
	if f.GoroutinesAfter > f.Before.Goroutines {
		t.Errorf("goroutines %d after the sockets closed, %d before", f.GoroutinesAfter, f.Before.Goroutines)
	}
	if f.PresentAfter != 0 {
		t.Errorf("presence/ lists %d users after every socket closed", f.PresentAfter)
	}
}

func TestChurn(t *testing.T) {
	res := runArgs(t, "-scenario", "churn", "-cycles", "50", "-parallel", "5")
	f := res.Churn
	if f.Cycles != 50 || f.Errors != 0 {
		t.Fatalf("%d cycles, %d errors: %s", f.Cycles, f.Errors, f.FirstError)
	}
	if f.GoroutinesAfter > f.GoroutinesBefore || f.ServedAfter != 0 {
		t.Errorf("goroutines before %d, after %d; %d sockets still served", f.GoroutinesBefore, f.GoroutinesAfter, f.ServedAfter)
	}
}

// TestCentrifugo runs the Centrifugo client against a small fake that
// speaks the same protocol: batched replies, pushes, a ping.
func TestCentrifugo(t *testing.T) {
	fake := newFakeCentrifugo()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	res := runArgs(t, "-target", "centrifugo", "-url", "ws"+strings.TrimPrefix(srv.URL, "http"),
		"-rooms", "2", "-subs", "2", "-pubs", "1", "-duration", "500ms", "-warmup", "100ms", "-centrifugo-secret", "s3cret")
	f := res.Fanout
	if f.Published == 0 || f.Missing != 0 || f.Deliveries != f.Published*3 {
		t.Fatalf("published %d, deliveries %d, missing %d", f.Published, f.Deliveries, f.Missing)
	}
	if f.MessagesPerFrame < 1 {
		t.Errorf("%.2f messages a frame", f.MessagesPerFrame)
	}
	if !fake.sawToken.Load() {
		t.Error("no connection token")
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 100_000; i++ {
		h.record(int64(i) * 1000) // 1 µs … 100 ms
	}
	for _, c := range []struct {
		q    float64
		want float64
	}{{0.5, 50e6}, {0.9, 90e6}, {0.99, 99e6}} {
		got := float64(h.quantile(c.q))
		if got < c.want*0.96 || got > c.want*1.04 {
			t.Errorf("q%.2f = %.0f, want %.0f ± 4%%", c.q, got, c.want)
		}
	}
	if h.quantile(1) != 100*time.Millisecond {
		t.Errorf("max %v", h.quantile(1))
	}
	for v := uint64(0); v < 1<<20; v += 997 {
		if i := histIndex(v); histValue(i) > v+v/30+1 || histValue(i)+histValue(i)/30+1 < v {
			t.Fatalf("value %d: bucket %d is %d", v, i, histValue(i))
		}
	}
	if histIndex(^uint64(0)) >= histBuckets {
		t.Fatal("the largest value has no bucket")
	}
}

func TestLogCodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.log")
	if err := os.WriteFile(path, []byte(`level=INFO msg="sms (console)" to=09120000001 text="Your code: 11111111" message_id=1 parts=1`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lc, err := openLogCodes(path)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`level=INFO msg=request method=POST path=/api/otp/send/ status=200` + "\n" +
		`level=INFO msg="sms (console)" to=09120000001 text="Your code: 48213907" message_id=2 parts=1` + "\n")
	f.Close()
	code, err := lc.code(context.Background(), "+989120000001")
	if err != nil || code != "48213907" {
		t.Fatalf("code %q, %v", code, err)
	}
}

// fakeCentrifugo answers connect, subscribe and publish commands and
// pushes publications to a channel's subscribers, with the publisher's
// reply and its own push in one frame.
type fakeCentrifugo struct {
	mu       sync.Mutex
	subs     map[string][]*websocket.Conn
	offset   int
	sawToken atomic.Bool
}

func newFakeCentrifugo() *fakeCentrifugo {
	return &fakeCentrifugo{subs: map[string][]*websocket.Conn{}}
}

func (f *fakeCentrifugo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := context.Background()
	_ = ws.Write(ctx, websocket.MessageText, []byte("{}")) // a ping
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var out [][]byte
		for _, line := range bytes.Split(data, []byte("\n")) {
			var cmd struct {
				ID      uint32 `json:"id"`
				Connect *struct {
					Token string `json:"token"`
				} `json:"connect"`
				Subscribe *struct {
					Channel string `json:"channel"`
				} `json:"subscribe"`
				Publish *struct {
					Channel string          `json:"channel"`
					Data    json.RawMessage `json:"data"`
				} `json:"publish"`
			}
			if len(bytes.TrimSpace(line)) == 0 || json.Unmarshal(line, &cmd) != nil || cmd.ID == 0 {
				continue // a pong, or nothing
			}
			switch {
			case cmd.Connect != nil:
				f.sawToken.Store(cmd.Connect.Token != "")
				out = append(out, []byte(`{"id":1,"connect":{"client":"c","version":"fake","ping":25,"pong":true}}`))
			case cmd.Subscribe != nil:
				f.mu.Lock()
				f.subs[cmd.Subscribe.Channel] = append(f.subs[cmd.Subscribe.Channel], ws)
				f.mu.Unlock()
				out = append(out, []byte(`{"id":2,"subscribe":{"recoverable":true,"epoch":"e"}}`))
			case cmd.Publish != nil:
				f.mu.Lock()
				f.offset++
				push, _ := json.Marshal(map[string]any{"push": map[string]any{"channel": cmd.Publish.Channel,
					"pub": map[string]any{"data": cmd.Publish.Data, "offset": f.offset}}})
				others := f.subs[cmd.Publish.Channel]
				f.mu.Unlock()
				reply, _ := json.Marshal(map[string]any{"id": cmd.ID, "publish": map[string]any{}})
				out = append(out, reply, push)
				for _, o := range others {
					if o != ws {
						_ = o.Write(ctx, websocket.MessageText, push)
					}
				}
			}
		}
		if len(out) > 0 {
			if err := ws.Write(ctx, websocket.MessageText, bytes.Join(out, []byte("\n"))); err != nil {
				return
			}
		}
	}
}
