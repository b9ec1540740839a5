package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/store"
)

// chatEnv is one server instance with chat, over a store that others may
// share.
type chatEnv struct {
	*env
	chat   *chat.Service
	cancel context.CancelFunc
	done   chan error
}

// newChatEnv starts an instance on st with broker (nil: memory).
func newChatEnv(t testing.TB, st *store.Store, broker chat.Broker, mod func(*chat.Config)) *chatEnv {
	t.Helper()
	return newChatEnvAuth(t, st, broker, mod, nil)
}

func newChatEnvAuth(t testing.TB, st *store.Store, broker chat.Broker, mod func(*chat.Config), authMod func(*auth.Config)) *chatEnv {
	t.Helper()
	return newChatEnvServer(t, st, broker, mod, authMod, nil)
}

// newChatEnvServer also lets the test set up the HTTP server.
func newChatEnvServer(t testing.TB, st *store.Store, broker chat.Broker, mod func(*chat.Config), authMod func(*auth.Config), srvMod func(*http.Server)) *chatEnv {
	t.Helper()
	e := newEnv(t, st, authMod)
	cfg := chat.Config{Auth: e.authn, Store: st, Users: st, Broker: broker}
	if mod != nil {
		mod(&cfg)
	}
	svc, err := chat.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ce := &chatEnv{env: e, chat: svc, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	ce.cancel = cancel
	go func() { ce.done <- svc.Run(ctx) }()
	mux := http.NewServeMux()
	mux.Handle("/api/", httpx.Router("/api/", e.authn, svc))
	e.srv.Close() // the env's server has no chat: serve it from a new one
	e.srv = httptest.NewUnstartedServer(httpx.Recover(nil)(mux))
	if srvMod != nil {
		srvMod(e.srv.Config)
	}
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() {
		ctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = svc.Close(ctx)
		cancel()
		<-ce.done
	})
	return ce
}

// forEachChat runs fn on SQLite and PostgreSQL with the memory broker.
func forEachChat(t *testing.T, fn func(t *testing.T, e *chatEnv)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, st *store.Store) { fn(t, newChatEnv(t, st, nil, nil)) })
}

// user logs a new user in and returns their access token and id.
func (e *chatEnv) user(mobile string) (string, int64) {
	e.t.Helper()
	r := e.login(mobile)
	u, _ := r.body["user"].(map[string]any)
	id, _ := u["id"].(float64)
	return r.str("access"), int64(id)
}

func (e *chatEnv) call(method, path, token string, body any) *resp {
	e.t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req := e.request(method, path, "application/json", rd)
	if body == nil {
		req.Header.Del("Content-Type")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

// list decodes a JSON array body.
func list(t testing.TB, r *resp) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(r.raw, &out); err != nil {
		t.Fatalf("not a JSON array (%d): %s", r.status, r.raw)
	}
	return out
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// socket is a test client's WebSocket.
type socket struct {
	t  testing.TB
	ws *websocket.Conn
}

func (e *chatEnv) wsURL(room int64, query string) string {
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + fmt.Sprintf("/api/chat/%d/", room)
	if query != "" {
		u += "?" + query
	}
	return u
}

// dialStuck opens a socket whose TCP receive buffer is tiny, so that a
// client that never reads soon stops the server's writes to it.
func (e *chatEnv) dialStuck(room int64, token string) *socket {
	e.t.Helper()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.wsURL(room, "token="+token), &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		e.t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	e.t.Cleanup(func() { ws.CloseNow() })
	return &socket{t: e.t, ws: ws}
}

// dial opens a socket to a room with ?token=.
func (e *chatEnv) dial(room int64, token, query string) (*socket, *http.Response, error) {
	q := "token=" + token
	if query != "" {
		q += "&" + query
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, e.wsURL(room, q), nil)
	if err != nil {
		return nil, res, err
	}
	ws.SetReadLimit(1 << 20)
	s := &socket{t: e.t, ws: ws}
	e.t.Cleanup(func() { ws.CloseNow() })
	return s, res, nil
}

func (e *chatEnv) mustDial(room int64, token, query string) *socket {
	e.t.Helper()
	s, res, err := e.dial(room, token, query)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		e.t.Fatalf("dial room %d: %v (status %d)", room, err, status)
	}
	return s
}

func (s *socket) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.ws.Write(ctx, websocket.MessageText, b); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// next reads one frame, failing the test after the timeout.
func (s *socket) next() map[string]any {
	s.t.Helper()
	f, err := s.read(5 * time.Second)
	if err != nil {
		s.t.Fatalf("read: %v", err)
	}
	return f
}

func (s *socket) read(d time.Duration) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, b, err := s.ws.Read(ctx)
	if err != nil {
		return nil, err
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("frame %s: %w", b, err)
	}
	return f, nil
}

// nextOf reads frames until one of type typ.
func (s *socket) nextOf(typ string) map[string]any {
	s.t.Helper()
	for range 50 {
		f := s.next()
		if f["type"] == typ {
			return f
		}
	}
	s.t.Fatalf("no %s frame", typ)
	return nil
}

// closed waits for the server to close the socket and returns the code.
func (s *socket) closed() websocket.StatusCode {
	s.t.Helper()
	for {
		_, err := s.read(5 * time.Second)
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}
