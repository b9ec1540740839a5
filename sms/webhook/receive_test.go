package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/webhook"
)

// TestVerifyStandardVector checks Verify against the signing test vector of
// the Standard Webhooks reference libraries.
func TestVerifyStandardVector(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	body := []byte(`{"test": 2432232314}`)
	now := time.Unix(1614265330, 0)
	noError(t, webhook.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, body, now, 0))
	// The test's own computation agrees.
	equal(t, "sign", sign(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body),
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	// Without the prefix the secret is raw bytes, a different key.
	err := webhook.Verify("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, body, now, 0)
	if !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("raw secret: error %v, want ErrBadSignature", err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"to":"09121234567","text":"hi"}`)
	now := time.Unix(1700000000, 0)
	const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	good := func(secret string) http.Header { return signed(t, secret, id, now, body) }

	tests := []struct {
		name      string
		secret    string // defaults to rawSecret
		header    func() http.Header
		body      []byte // defaults to body
		now       time.Time
		tolerance time.Duration
		clock     bool  // pass a zero now
		want      error // nil for success
	}{
		{name: "valid raw secret", header: func() http.Header { return good(rawSecret) }},
		{name: "valid whsec secret", secret: whsecSecret, header: func() http.Header { return good(whsecSecret) }},
		{name: "lower-case header map", header: func() http.Header {
			h := good(rawSecret)
			return http.Header{"webhook-id": h.Values("Webhook-Id"), "webhook-timestamp": h.Values("Webhook-Timestamp"),
				"webhook-signature": h.Values("Webhook-Signature")}
		}}, // keys not in canonical form, as some gateways hand them over
		{name: "tampered body", header: func() http.Header { return good(rawSecret) },
			body: []byte(`{"to":"09121234567","text":"hI"}`), want: webhook.ErrBadSignature},
		{name: "extra byte in body", header: func() http.Header { return good(rawSecret) },
			body: append(append([]byte(nil), body...), '\n'), want: webhook.ErrBadSignature},
		{name: "wrong secret", secret: "another-secret", header: func() http.Header { return good(rawSecret) }, want: webhook.ErrBadSignature},
		{name: "whsec key used raw", secret: rawKey, header: func() http.Header { return good(whsecSecret) }},
		{name: "tampered id", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-id", id+"x")
			return h
		}, want: webhook.ErrBadSignature},
		{name: "tampered timestamp", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-timestamp", "1700000001")
			return h
		}, want: webhook.ErrBadSignature},
		{name: "old timestamp", header: func() http.Header { return good(rawSecret) },
			now: now.Add(5*time.Minute + time.Second), want: webhook.ErrTimestamp},
		{name: "future timestamp", header: func() http.Header { return good(rawSecret) },
			now: now.Add(-5*time.Minute - time.Second), want: webhook.ErrTimestamp},
		{name: "at the tolerance", header: func() http.Header { return good(rawSecret) }, now: now.Add(5 * time.Minute)},
		{name: "custom tolerance", header: func() http.Header { return good(rawSecret) },
			now: now.Add(30 * time.Second), tolerance: 10 * time.Second, want: webhook.ErrTimestamp},
		{name: "negative tolerance is the default", header: func() http.Header { return good(rawSecret) },
			now: now.Add(4 * time.Minute), tolerance: -time.Second},
		{name: "zero now is the clock", header: func() http.Header { return good(rawSecret) },
			clock: true, want: webhook.ErrTimestamp}, // 2023 is long past
		{name: "timestamp not a number", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-timestamp", "2023-11-14T22:13:20Z")
			return h
		}, want: webhook.ErrTimestamp},
		{name: "signed timestamp", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-timestamp", "+1700000000")
			return h
		}, want: webhook.ErrTimestamp},
		{name: "no id", header: func() http.Header {
			h := good(rawSecret)
			h.Del("webhook-id")
			return h
		}, want: webhook.ErrNoSignature},
		{name: "no timestamp", header: func() http.Header {
			h := good(rawSecret)
			h.Del("webhook-timestamp")
			return h
		}, want: webhook.ErrNoSignature},
		{name: "no signature", header: func() http.Header {
			h := good(rawSecret)
			h.Del("webhook-signature")
			return h
		}, want: webhook.ErrNoSignature},
		{name: "blank signature", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-signature", "  ")
			return h
		}, want: webhook.ErrNoSignature},
		{name: "no headers", header: func() http.Header { return http.Header{} }, want: webhook.ErrNoSignature},
		{name: "several signatures, one valid", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-signature", strings.Join([]string{
				"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
				"v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==",
				"v1,not-base64!",
				"garbage",
				h.Get("webhook-signature"),
			}, " "))
			return h
		}},
		{name: "valid signature on a second header line", header: func() http.Header {
			h := good(rawSecret)
			sig := h.Get("webhook-signature")
			h.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=")
			h.Add("webhook-signature", sig)
			return h
		}},
		{name: "several signatures, none valid", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=")
			return h
		}, want: webhook.ErrBadSignature},
		{name: "right signature, wrong version", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-signature", strings.Replace(h.Get("webhook-signature"), "v1,", "v2,", 1))
			return h
		}, want: webhook.ErrBadSignature},
		{name: "truncated signature", header: func() http.Header {
			h := good(rawSecret)
			h.Set("webhook-signature", h.Get("webhook-signature")[:20])
			return h
		}, want: webhook.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secret := tt.secret
			if secret == "" {
				secret = rawSecret
			}
			b := tt.body
			if b == nil {
				b = body
			}
			n := tt.now
			if n.IsZero() && !tt.clock {
				n = now
			}
			err := webhook.Verify(secret, tt.header(), b, n, tt.tolerance)
			noSecret(t, err)
			if tt.want == nil {
				noError(t, err)
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want one matching %v", err, tt.want)
			}
		})
	}
}

func TestVerifyBadSecret(t *testing.T) {
	t.Parallel()
	body := []byte("{}")
	now := time.Now()
	for _, secret := range []string{"", "whsec_", "whsec_%%%"} {
		t.Run(strconv.Quote(secret), func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(secret, signed(t, "x", "msg_1", now, body), body, now, 0)
			if err == nil {
				t.Fatal("no error")
			}
			for _, sentinel := range []error{webhook.ErrNoSignature, webhook.ErrBadSignature, webhook.ErrTimestamp} {
				if errors.Is(err, sentinel) {
					t.Errorf("error %v matches %v", err, sentinel)
				}
			}
			if !strings.HasPrefix(err.Error(), "webhook: secret: ") {
				t.Errorf("error = %q", err)
			}
		})
	}
}

// serve sends a signed (or not) request to h and returns the answer.
func serve(t *testing.T, h http.Handler, method string, header http.Header, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, "/sms", strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	equal(t, "Content-Type", rec.Header().Get("Content-Type"), "application/json")
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer %q is not JSON: %v", rec.Body, err)
	}
	return rec.Code, rec.Header(), out
}

func TestHandler(t *testing.T) {
	t.Parallel()
	type call struct {
		m  sms.Message
		id string
	}
	var mu sync.Mutex
	var calls []call
	h := webhook.Handler(whsecSecret, func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{m, webhook.IDFrom(ctx)})
		return sms.Receipt{Provider: "inner", MessageID: "77", Parts: 2}, nil
	})
	body := `{"to":"09121234567","template":"otp","params":["01234"],"secret":true,"future":"ignored"}`
	code, _, out := serve(t, h, http.MethodPost, signed(t, whsecSecret, "msg_abc", time.Now(), []byte(body)), body)
	equal(t, "status", code, http.StatusOK)
	equal(t, "message_id", out["message_id"], any("77"))
	equal(t, "parts", out["parts"], any(2.0))
	equal(t, "fields", len(out), 2)
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 {
		t.Fatalf("fn called %d times, want once", len(calls))
	}
	got := calls[0]
	equal(t, "id", got.id, "msg_abc")
	equal(t, "To", got.m.To, "09121234567")
	equal(t, "Template", got.m.Template, "otp")
	equal(t, "Params", strings.Join(got.m.Params, ","), "01234")
	equal(t, "Secret", got.m.Secret, true)
	equal(t, "Text", got.m.Text, "")
}

func TestHandlerRefuses(t *testing.T) {
	t.Parallel()
	now := time.Now()
	valid := `{"to":"09121234567","text":"hi"}`
	big := `{"to":"09121234567","text":"` + strings.Repeat("a", webhook.MaxBodySize) + `"}`
	tests := []struct {
		name   string
		method string
		header http.Header
		body   string
		status int
		errSub string
	}{
		{"GET", http.MethodGet, signed(t, rawSecret, "msg_1", now, nil), "", http.StatusMethodNotAllowed, "method not allowed"},
		{"unsigned", http.MethodPost, nil, valid, http.StatusUnauthorized, "not signed"},
		{"wrong secret", http.MethodPost, signed(t, "other", "msg_1", now, []byte(valid)), valid, http.StatusUnauthorized, "does not match"},
		{"tampered", http.MethodPost, signed(t, rawSecret, "msg_1", now, []byte(valid)), strings.Replace(valid, "hi", "ho", 1),
			http.StatusUnauthorized, "does not match"},
		{"old", http.MethodPost, signed(t, rawSecret, "msg_1", now.Add(-time.Hour), []byte(valid)), valid, http.StatusUnauthorized, "timestamp"},
		{"too big", http.MethodPost, signed(t, rawSecret, "msg_1", now, []byte(big)), big, http.StatusRequestEntityTooLarge, "larger than"},
		{"not JSON", http.MethodPost, signed(t, rawSecret, "msg_1", now, []byte("hi")), "hi", http.StatusBadRequest, "not the expected JSON"},
		{"bad number", http.MethodPost, signed(t, rawSecret, "msg_1", now, []byte(`{"to":"021","text":"x"}`)), `{"to":"021","text":"x"}`,
			http.StatusBadRequest, "invalid Iranian mobile number"},
		{"empty message", http.MethodPost, signed(t, rawSecret, "msg_1", now, []byte(`{"to":"09121234567"}`)), `{"to":"09121234567"}`,
			http.StatusBadRequest, "neither text nor template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := webhook.Handler(rawSecret, func(context.Context, sms.Message) (sms.Receipt, error) {
				t.Error("fn called")
				return sms.Receipt{}, nil
			})
			code, header, out := serve(t, h, tt.method, tt.header, tt.body)
			equal(t, "status", code, tt.status)
			msg, _ := out["error"].(string)
			if !strings.Contains(msg, tt.errSub) {
				t.Errorf("error %q lacks %q", msg, tt.errSub)
			}
			if strings.Contains(msg, rawSecret) {
				t.Errorf("error %q contains the secret", msg)
			}
			if tt.status == http.StatusMethodNotAllowed {
				equal(t, "Allow", header.Get("Allow"), http.MethodPost)
			}
		})
	}
}

func TestHandlerPanics(t *testing.T) {
	t.Parallel()
	fn := func(context.Context, sms.Message) (sms.Receipt, error) { return sms.Receipt{}, nil }
	tests := []struct {
		name   string
		secret string
		fn     func(context.Context, sms.Message) (sms.Receipt, error)
	}{
		{"empty secret", "", fn},
		{"bad whsec", "whsec_" + rawSecret + "!", fn},
		{"nil fn", rawSecret, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if strings.Contains(fmt.Sprint(r), rawSecret) {
					t.Errorf("panic %v contains the secret", r)
				}
			}()
			webhook.Handler(tt.secret, tt.fn)
		})
	}
}

func TestIDFromElsewhere(t *testing.T) {
	t.Parallel()
	equal(t, "IDFrom", webhook.IDFrom(context.Background()), "")
}

// TestRoundTrip sends through a Client to a Handler and checks that the
// message arrives whole and that the receiver's answers come back as the
// right receipts and kinds.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	messages := []sms.Message{
		{To: "+98 912 123 4567", Text: "Your code: 01234"},
		{To: "09121234567", Text: "سلام، این یک پیام است"},
		{To: "09121234567", Template: "otp", Params: []string{"01234", "علی"}, Secret: true},
		{To: "09121234567", Template: "welcome"},
	}
	for _, secret := range []string{rawSecret, whsecSecret} {
		for i, m := range messages {
			t.Run(fmt.Sprintf("%d/%.5s", i, secret), func(t *testing.T) {
				t.Parallel()
				var got sms.Message
				var id string
				c := newClient(t, webhook.Handler(secret, func(ctx context.Context, in sms.Message) (sms.Receipt, error) {
					got, id = in, webhook.IDFrom(ctx)
					return sms.Receipt{Provider: "inner", MessageID: "id-" + strconv.Itoa(i), Parts: 3}, nil
				}), func(cfg *webhook.Config) { cfg.Secret = secret })
				r, err := c.Send(context.Background(), m)
				noError(t, err)
				equal(t, "Receipt", r, sms.Receipt{Provider: "webhook", MessageID: "id-" + strconv.Itoa(i), Parts: 3})
				want := m
				want.To = "09121234567"
				equal(t, "To", got.To, want.To)
				equal(t, "Text", got.Text, want.Text)
				equal(t, "Template", got.Template, want.Template)
				equal(t, "Secret", got.Secret, want.Secret)
				if !slices.Equal(got.Params, want.Params) {
					t.Errorf("Params = %q, want %q", got.Params, want.Params)
				}
				if !strings.HasPrefix(id, "msg_") {
					t.Errorf("IDFrom = %q", id)
				}
			})
		}
	}
}

func TestRoundTripWrongSecret(t *testing.T) {
	t.Parallel()
	c := newClient(t, webhook.Handler("the-receivers-secret", func(context.Context, sms.Message) (sms.Receipt, error) {
		t.Error("fn called")
		return sms.Receipt{}, nil
	}))
	_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
	perr := providerError(t, err, sms.ErrBadCredentials, "401")
	equal(t, "Message", perr.Message, "webhook: signature does not match")
}

func TestRoundTripErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		kind error
		code string
	}{
		{"bad credentials", &sms.ProviderError{Provider: "x", Kind: sms.ErrBadCredentials}, sms.ErrBadCredentials, "401"},
		{"no credit", &sms.ProviderError{Provider: "x", Kind: sms.ErrInsufficientCredit, Code: "418"}, sms.ErrInsufficientCredit, "402"},
		{"access denied", fmt.Errorf("inner: %w", &sms.ProviderError{Provider: "x", Kind: sms.ErrAccessDenied}), sms.ErrAccessDenied, "403"},
		{"rate limited", &sms.ProviderError{Provider: "x", Kind: sms.ErrRateLimited}, sms.ErrRateLimited, "429"},
		{"temporary", &sms.ProviderError{Provider: "x", Kind: sms.ErrTemporary}, sms.ErrTemporary, "503"},
		{"transport", &sms.ProviderError{Provider: "x", Kind: sms.ErrTransport, Err: errors.New("dial")}, sms.ErrTransport, "502"},
		{"receiver", &sms.ProviderError{Provider: "x", Kind: sms.ErrInvalidReceiver}, sms.ErrInvalidReceiver, "422"},
		{"template", &sms.ProviderError{Provider: "x", Kind: sms.ErrTemplateRejected}, sms.ErrTemplateRejected, "422"},
		{"validation", &sms.ValidationError{Provider: "x", Field: "text", Reason: "too long"}, sms.ErrMessageRejected, "422"},
		{"deadline", context.DeadlineExceeded, sms.ErrTemporary, "503"},
		{"other", errors.New("disk full"), sms.ErrTemporary, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, webhook.Handler(rawSecret, func(context.Context, sms.Message) (sms.Receipt, error) {
				return sms.Receipt{}, tt.err
			}))
			_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
			perr := providerError(t, err, tt.kind, tt.code)
			equal(t, "Message", perr.Message, tt.err.Error())
		})
	}
}
