package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/internal/testclock"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/smstest"
	"github.com/chelseru/chelseru-go/smsapi"
	"github.com/chelseru/chelseru-go/store"
)

const secret = "contract-test-secret-of-32-bytes!"

// env is one server under test, mounted under /api/ on a host mux.
type env struct {
	t     testing.TB
	st    *store.Store
	srv   *httptest.Server
	sms   *smstest.Recorder
	clock *testclock.Clock
	authn *auth.Service
}

// sender lets a test swap the SMS sender of a running env.
type sender struct {
	mu sync.Mutex
	s  sms.Sender
}

func (s *sender) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	s.mu.Lock()
	inner := s.s
	s.mu.Unlock()
	return inner.Send(ctx, m)
}

// forEach runs fn on SQLite and on PostgreSQL, each twice: with the
// store doing the last steps of a login at once (auth.CodeLogins), and as
// a host with stores of its own would, one step at a time.
func forEach(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		fn(t, newEnv(t, st, nil))
	})
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		t.Run("split", func(t *testing.T) { fn(t, newEnv(t, st, split)) })
	})
}

// split hides the store's auth.CodeLogins, so that Verify takes one step
// at a time.
func split(c *auth.Config) { c.Codes = struct{ auth.Codes }{c.Codes} }

func newEnv(t testing.TB, st *store.Store, mod func(*auth.Config)) *env {
	t.Helper()
	e := &env{t: t, st: st, sms: &smstest.Recorder{}, clock: testclock.New(time.Now().Truncate(time.Second))}
	sessions, err := session.New(session.Config{Store: st, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.Config{
		Secret:   []byte(secret),
		Users:    st,
		Codes:    st,
		Sessions: sessions,
		Sender:   e.sms,
		Now:      e.clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	e.authn, err = auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api, err := smsapi.New(smsapi.Config{Auth: e.authn, Sender: e.sms, Limiter: st, PerHour: 5})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", httpx.Router("/api/", e.authn, api))
	e.srv = httptest.NewServer(httpx.Recover(nil)(mux))
	t.Cleanup(e.srv.Close)
	return e
}

// resp is a response as a test reads it.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any // nil unless the body is a JSON object
}

func (r *resp) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (e *env) do(req *http.Request) *resp {
	e.t.Helper()
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 Safari/537.36")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &resp{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (e *env) request(method, path, contentType string, body io.Reader) *http.Request {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// post sends v as JSON (a string is sent as it is).
func (e *env) post(path string, v any) *resp {
	e.t.Helper()
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.do(e.request(http.MethodPost, path, "application/json", bytes.NewReader(b)))
}

func (e *env) postForm(path string, form url.Values) *resp {
	e.t.Helper()
	return e.do(e.request(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode())))
}

// postAuth sends v as JSON with a bearer token.
func (e *env) postAuth(path, token string, v any) *resp {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	req := e.request(http.MethodPost, path, "application/json", bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

func (e *env) get(path, token string) *resp {
	e.t.Helper()
	req := e.request(http.MethodGet, path, "", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

// sendCode asks for a code and returns it as the SMS carried it.
func (e *env) sendCode(mobile string) string {
	e.t.Helper()
	r := e.post("/api/otp/send/", map[string]string{"mobile_number": mobile})
	wantStatus(e.t, r, http.StatusOK)
	m, err := sms.ParseMobile(mobile)
	if err != nil {
		e.t.Fatal(err)
	}
	msg, ok := e.sms.LastTo(m.String())
	if !ok {
		e.t.Fatalf("no SMS to %s", m)
	}
	code := smstest.Code(msg.Text)
	if code == "" {
		e.t.Fatalf("no code in %q", msg.Text)
	}
	return code
}

// login sends a code and logs in with it.
func (e *env) login(mobile string) *resp {
	e.t.Helper()
	code := e.sendCode(mobile)
	r := e.post("/api/authenticate/", map[string]string{"mobile_number": mobile, "code": code})
	wantStatus(e.t, r, http.StatusOK)
	return r
}

func wantStatus(t testing.TB, r *resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.raw)
	}
}

// wantError checks a failure body: the status, "code", an "error"
// sentence, and fields when any are named.
func wantError(t testing.TB, r *resp, status int, code string, fields ...string) {
	t.Helper()
	wantStatus(t, r, status)
	if got := r.str("code"); got != code {
		t.Errorf("code %q, want %q; body %s", got, code, r.raw)
	}
	if r.str("error") == "" {
		t.Errorf("no error sentence; body %s", r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	got, _ := r.body["fields"].(map[string]any)
	for _, f := range fields {
		if s, _ := got[f].(string); s == "" {
			t.Errorf("fields has no %q; body %s", f, r.raw)
		}
	}
}
