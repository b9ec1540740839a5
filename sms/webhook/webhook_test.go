package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/wire"
	"github.com/chelseru/chelseru-go/sms/webhook"
)

// Distinctive secrets, so that a test can tell they never leak into an
// error: a raw one, and a Standard Webhooks one whose key is rawKey.
const (
	rawSecret = "SECRET-KEY-123-of-the-endpoint"
	rawKey    = "SECRET-KEY-123-as-whsec-key!"
)

var whsecSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte(rawKey))

func equal[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", name, got, want)
	}
}

func noError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{rawSecret, whsecSecret, strings.TrimPrefix(whsecSecret, "whsec_"), rawKey} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

func providerError(t *testing.T, err, kind error, code string) *sms.ProviderError {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	noSecret(t, err)
	if !errors.Is(err, kind) {
		t.Errorf("error %q does not match %v", err, kind)
	}
	var perr *sms.ProviderError
	if !errors.As(err, &perr) {
		t.Fatalf("error %q (%T) is not an *sms.ProviderError", err, err)
	}
	equal(t, "Provider", perr.Provider, webhook.Provider)
	equal(t, "Code", perr.Code, code)
	return perr
}

// sign is the test's own computation of a Standard Webhooks v1 signature,
// independent of the package: the key of a whsec_ secret is its base64
// decoding, of any other secret its bytes.
func sign(t *testing.T, secret, id, ts string, body []byte) string {
	t.Helper()
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		var err error
		if key, err = base64.StdEncoding.DecodeString(rest); err != nil {
			t.Fatal(err)
		}
	}
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id + "." + ts + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// signed returns the headers of a request signed with secret at ts.
func signed(t *testing.T, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	s := strconv.FormatInt(ts.Unix(), 10)
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", s)
	h.Set("webhook-signature", sign(t, secret, id, s, body))
	return h
}

func newClient(t *testing.T, h http.Handler, edit ...func(*webhook.Config)) *webhook.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := webhook.Config{URL: srv.URL + "/hooks/sms", Secret: rawSecret}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := webhook.New(cfg)
	noError(t, err)
	return c
}

func noRequest(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}
}

func TestConstants(t *testing.T) {
	t.Parallel()
	equal(t, "Provider", webhook.Provider, "webhook")
	equal(t, "HeaderID", webhook.HeaderID, "webhook-id")
	equal(t, "HeaderTimestamp", webhook.HeaderTimestamp, "webhook-timestamp")
	equal(t, "HeaderSignature", webhook.HeaderSignature, "webhook-signature")
	equal(t, "DefaultTolerance", webhook.DefaultTolerance, 5*time.Minute)
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  webhook.Config
		want string // "" for success
	}{
		{"raw secret", webhook.Config{URL: "https://hooks.example/sms", Secret: rawSecret}, ""},
		{"whsec secret", webhook.Config{URL: "http://localhost:8080/sms", Secret: whsecSecret}, ""},
		{"whsec unpadded", webhook.Config{URL: "http://localhost/sms", Secret: strings.TrimRight(whsecSecret, "=")}, ""},
		{"custom client", webhook.Config{URL: "http://localhost/sms", Secret: rawSecret, HTTPClient: &http.Client{}}, ""},
		{"no URL", webhook.Config{Secret: rawSecret}, "webhook: Config.URL is required"},
		{"relative URL", webhook.Config{URL: "/sms", Secret: rawSecret}, "webhook: Config.URL must be an absolute http or https URL"},
		{"no host", webhook.Config{URL: "http:///sms", Secret: rawSecret}, "webhook: Config.URL must be an absolute http or https URL"},
		{"ftp URL", webhook.Config{URL: "ftp://hooks.example/sms", Secret: rawSecret}, "webhook: Config.URL must be an absolute http or https URL"},
		{"bad URL", webhook.Config{URL: "http://hooks.example/%zz", Secret: rawSecret}, "webhook: Config.URL must be an absolute http or https URL"},
		{"no secret", webhook.Config{URL: "https://hooks.example/sms"}, "webhook: Config.Secret is required"},
		{"whsec not base64", webhook.Config{URL: "https://hooks.example/sms", Secret: "whsec_" + rawSecret + "!"},
			"webhook: Config.Secret: the part after whsec_ is not base64"},
		{"whsec empty", webhook.Config{URL: "https://hooks.example/sms", Secret: "whsec_"},
			"webhook: Config.Secret: the part after whsec_ is not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := webhook.New(tt.cfg)
			if tt.want == "" {
				noError(t, err)
				if c == nil {
					t.Fatal("nil client")
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			equal(t, "error", err.Error(), tt.want)
			noSecret(t, err)
		})
	}
}

// TestSendRequest checks every request against the test's own signature
// computation and the documented body.
func TestSendRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		secret string
		m      sms.Message
		body   string
		parts  int
	}{
		{"text, raw secret", rawSecret, sms.Message{To: "+98 912 123 4567", Text: "Your code: 01234"},
			`{"to":"09121234567","text":"Your code: 01234"}`, 1},
		{"text, whsec secret", whsecSecret, sms.Message{To: "۰۹۱۲۱۲۳۴۵۶۷", Text: "سلام"},
			`{"to":"09121234567","text":"سلام"}`, 1},
		{"long text", rawSecret, sms.Message{To: "09121234567", Text: strings.Repeat("a", 161)},
			`{"to":"09121234567","text":"` + strings.Repeat("a", 161) + `"}`, 2},
		{"template", whsecSecret, sms.Message{To: "9121234567", Template: "otp", Params: []string{"01234", "Ali"}},
			`{"to":"09121234567","template":"otp","params":["01234","Ali"]}`, 1},
		{"template without params", rawSecret, sms.Message{To: "09121234567", Template: "welcome"},
			`{"to":"09121234567","template":"welcome"}`, 1},
		{"secret", rawSecret, sms.Message{To: "09121234567", Template: "otp", Params: []string{"01234"}, Secret: true},
			`{"to":"09121234567","template":"otp","params":["01234"],"secret":true}`, 1},
		{"escaping", rawSecret, sms.Message{To: "09121234567", Text: "<a href=\"x\">&</a>"},
			`{"to":"09121234567","text":"\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e"}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ids sync.Map
			c := newClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				equal(t, "method", r.Method, http.MethodPost)
				equal(t, "path", r.URL.Path, "/hooks/sms")
				equal(t, "Content-Type", r.Header.Get("Content-Type"), "application/json")
				equal(t, "User-Agent", r.Header.Get("User-Agent"), wire.UserAgent)
				body, err := io.ReadAll(r.Body)
				noError(t, err)
				equal(t, "body", string(body), tt.body)

				id := r.Header.Get("webhook-id")
				if !strings.HasPrefix(id, "msg_") || len(id) < 20 || strings.Contains(id, ".") {
					t.Errorf("webhook-id = %q, want msg_ and a long id without dots", id)
				}
				// One body, one id: a message tried again keeps its id.
				if prev, seen := ids.LoadOrStore(string(body), id); seen && prev != id {
					t.Errorf("webhook-id %q then %q for one body", prev, id)
				}
				ts := r.Header.Get("webhook-timestamp")
				sec, err := strconv.ParseInt(ts, 10, 64)
				noError(t, err)
				if d := time.Since(time.Unix(sec, 0)); d < -2*time.Second || d > 5*time.Second {
					t.Errorf("webhook-timestamp %s is %v from now", ts, d)
				}
				equal(t, "webhook-signature", r.Header.Get("webhook-signature"), sign(t, tt.secret, id, ts, body))
				noError(t, webhook.Verify(tt.secret, r.Header, body, time.Now(), 0))
				w.WriteHeader(http.StatusOK)
			}), func(cfg *webhook.Config) { cfg.Secret = tt.secret })
			for range 2 { // a new id every time
				r, err := c.Send(context.Background(), tt.m)
				noError(t, err)
				equal(t, "Receipt", r, sms.Receipt{Provider: "webhook", Parts: tt.parts})
			}
		})
	}
}

func TestSendAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		id     string
		parts  int
	}{
		{"200 empty", 200, "", "", 1},
		{"204", 204, "", "", 1},
		{"202 with id and parts", 202, `{"message_id":"abc-1","parts":3}`, "abc-1", 3},
		{"numeric id beyond 2^53", 200, `{"message_id":12345678901234567890}`, "12345678901234567890", 1},
		{"zero parts", 200, `{"message_id":"x","parts":0}`, "x", 1},
		{"negative parts", 200, `{"parts":-2}`, "", 1},
		{"fractional parts", 200, `{"parts":1.5}`, "", 1},
		{"null fields", 200, `{"message_id":null,"parts":null}`, "", 1},
		{"object id", 200, `{"message_id":{"a":1},"parts":2}`, "", 2},
		{"other JSON", 200, `{"ok":true}`, "", 1},
		{"JSON array", 200, `[1,2]`, "", 1},
		{"plain text", 200, "OK", "", 1},
		{"HTML", 200, "<html><body>thanks</body></html>", "", 1},
		{"truncated JSON", 200, `{"message_id":"ab`, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			r, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
			noError(t, err)
			equal(t, "Receipt", r, sms.Receipt{Provider: "webhook", MessageID: tt.id, Parts: tt.parts})
		})
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		body   string
		kind   error
		msg    string
	}{
		{400, `{"error":"bad request"}`, sms.ErrRejected, "bad request"},
		{401, `{"error":"webhook: signature does not match"}`, sms.ErrBadCredentials, "webhook: signature does not match"},
		{402, `{"error":"no credit"}`, sms.ErrInsufficientCredit, "no credit"},
		{403, `{"error":"forbidden"}`, sms.ErrAccessDenied, "forbidden"},
		{404, ``, sms.ErrRejected, ""},
		{410, `{"error":"gone"}`, sms.ErrRejected, "gone"},
		{422, `{"error":"receiver blacklisted"}`, sms.ErrRejected, "receiver blacklisted"},
		{429, `{"error":"slow down"}`, sms.ErrRateLimited, "slow down"},
		{429, ``, sms.ErrRateLimited, ""},
		{500, `{"error":"boom"}`, sms.ErrTemporary, "boom"},
		{500, ``, sms.ErrTemporary, ""},
		{502, `<html><body>Bad Gateway</body></html>`, sms.ErrTemporary, ""},
		{502, ``, sms.ErrTemporary, ""},
		{503, `{"error":"maintenance"}`, sms.ErrTemporary, "maintenance"},
		{503, ``, sms.ErrTemporary, ""},
		{504, `{"error":7}`, sms.ErrTemporary, ""},
		{301, ``, sms.ErrRejected, ""},
		{400, `{"error":"your secret ` + rawSecret + ` is wrong"}`, sms.ErrRejected, "your secret *** is wrong"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+" "+tt.body, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 301 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
			perr := providerError(t, err, tt.kind, strconv.Itoa(tt.status))
			equal(t, "HTTPStatus", perr.HTTPStatus, tt.status)
			equal(t, "Message", perr.Message, tt.msg)
		})
	}
}

func TestSendNoRedirect(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	c, err := webhook.New(webhook.Config{URL: srv.URL + "/sms", Secret: rawSecret})
	noError(t, err)
	_, err = c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
	providerError(t, err, sms.ErrRejected, "307")
	if followed.Load() {
		t.Error("the redirect was followed")
	}
}

func TestSendInvalidMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    sms.Message
		want error
	}{
		{"bad number", sms.Message{To: "02112345678", Text: "hi"}, sms.ErrInvalidNumber},
		{"empty", sms.Message{To: "09121234567"}, sms.ErrEmptyMessage},
		{"text and template", sms.Message{To: "09121234567", Text: "hi", Template: "1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, noRequest(t))
			_, err := c.Send(context.Background(), tt.m)
			if err == nil {
				t.Fatal("no error")
			}
			equal(t, "error", err.Error(), tt.m.Validate().Error())
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not match %v", err, tt.want)
			}
		})
	}
}

func TestSendTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c := newClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), func(cfg *webhook.Config) { cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
	defer close(release)
	_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
	providerError(t, err, sms.ErrTransport, "")
	if !wire.IsTimeout(err) {
		t.Errorf("error %v is not a timeout", err)
	}
}

func TestSendContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c := newClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, sms.Message{To: "09121234567", Text: "hi"})
	providerError(t, err, sms.ErrTransport, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = c.Send(ctx, sms.Message{To: "09121234567", Text: "hi"})
	providerError(t, err, sms.ErrTransport, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	for _, secret := range []string{rawSecret, whsecSecret} {
		// The secret in the URL shows that transport errors are redacted.
		c, err := webhook.New(webhook.Config{URL: u + "/sms/" + secret, Secret: secret})
		noError(t, err)
		_, err = c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
		providerError(t, err, sms.ErrTransport, "")
	}
}

func TestSendPasswordInURL(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := strings.Replace(srv.URL, "http://", "http://user:"+rawSecret+"@", 1)
	srv.Close()
	c, err := webhook.New(webhook.Config{URL: u + "/sms", Secret: whsecSecret})
	noError(t, err)
	_, err = c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
	providerError(t, err, sms.ErrTransport, "")
}

func TestSendConcurrent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	ids := map[string]bool{}
	c := newClient(t, webhook.Handler(rawSecret, func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
		mu.Lock()
		defer mu.Unlock()
		ids[webhook.IDFrom(ctx)] = true
		return sms.Receipt{MessageID: m.Params[0]}, nil
	}))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			v := strconv.Itoa(i)
			r, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "otp", Params: []string{v}})
			if err != nil {
				t.Error(err)
				return
			}
			if r.MessageID != v {
				t.Errorf("MessageID = %q, want %q", r.MessageID, v)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	equal(t, "distinct ids", len(ids), 20)
}

func TestIDsFollowTheBody(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var ids []string
	c := newClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
	}))
	for _, text := range []string{"a", "a", "b"} {
		if _, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ids) != 3 || ids[0] != ids[1] || ids[0] == ids[2] {
		t.Errorf("ids %v: want the same for a repeat, another for another message", ids)
	}
}

func TestNewRefusesShortKeys(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"x", "fifteen-bytes!!", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := webhook.New(webhook.Config{URL: "https://example.com/sms", Secret: secret}); err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("%q: %v", secret, err)
		}
	}
}
