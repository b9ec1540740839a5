package parsian_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/parsian"
)

const testKey = "SECRET-KEY-123"

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
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error %q contains the API key", err)
	}
}

// providerError checks that err is a ProviderError of this provider with
// the given kind and code, and that the key is not in its text.
func providerError(t *testing.T, err, kind error, code string) *sms.ProviderError {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	noSecret(t, err)
	var perr *sms.ProviderError
	if !errors.As(err, &perr) {
		t.Fatalf("error %v (%T) is not a *sms.ProviderError", err, err)
	}
	equal(t, "Provider", perr.Provider, parsian.Provider)
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", err, kind)
	}
	equal(t, "Code", perr.Code, code)
	return perr
}

type handler func(t *testing.T, r *http.Request, form url.Values) (status int, body string)

func answer(status int, body string) handler {
	return func(*testing.T, *http.Request, url.Values) (int, string) { return status, body }
}

// expect returns a handler that checks the request against path and want
// (every field, exactly) and sends body with HTTP 200.
func expect(path string, want url.Values, body string) handler {
	return func(t *testing.T, r *http.Request, form url.Values) (int, string) {
		t.Helper()
		equal(t, "method", r.Method, http.MethodPost)
		equal(t, "path", r.URL.Path, path)
		equal(t, "query", r.URL.RawQuery, "")
		equal(t, "Content-Type", r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "chelseru-go") {
			t.Errorf("User-Agent = %q", ua)
		}
		var keys, wantKeys []string
		for k := range form {
			keys = append(keys, k)
		}
		for k := range want {
			wantKeys = append(wantKeys, k)
		}
		slices.Sort(keys)
		slices.Sort(wantKeys)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("form fields = %v, want %v", keys, wantKeys)
		}
		for k, v := range want {
			if !slices.Equal(form[k], v) {
				t.Errorf("form %s = %q, want %q", k, form[k], v)
			}
		}
		return http.StatusOK, body
	}
}

func server(t *testing.T, h handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		status, body := h(t, r, r.PostForm)
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(body, "<") {
			w.Header().Set("Content-Type", "text/html")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func refuse(t *testing.T) *httptest.Server {
	t.Helper()
	return server(t, func(t *testing.T, r *http.Request, _ url.Values) (int, string) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		return http.StatusOK, `{"status":200}`
	})
}

func newClient(t *testing.T, srv *httptest.Server, cfg parsian.Config) *parsian.Client {
	t.Helper()
	cfg.APIKey = testKey
	if cfg.BaseURL == "" {
		cfg.BaseURL = srv.URL
	}
	c, err := parsian.New(cfg)
	noError(t, err)
	return c
}

func client(t *testing.T, h handler) *parsian.Client {
	t.Helper()
	return newClient(t, server(t, h), parsian.Config{})
}

var otp = sms.Message{To: "09121234567", Template: "1024", Params: []string{"8412"}, Secret: true}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  parsian.Config
		want string // "" for success
	}{
		{"ok", parsian.Config{APIKey: testKey}, ""},
		{"base url with slash", parsian.Config{APIKey: testKey, BaseURL: "https://sandbox.example/"}, ""},
		{"no key", parsian.Config{}, "parsian: Config.APIKey is required"},
		{"blank key", parsian.Config{APIKey: " "}, "parsian: Config.APIKey is required"},
		{"base url with query", parsian.Config{APIKey: testKey, BaseURL: "https://x.example/?token=" + testKey}, "Config.BaseURL"},
		{"relative base url", parsian.Config{APIKey: testKey, BaseURL: "api.parsianwebco.ir"}, "Config.BaseURL"},
		{"ftp base url", parsian.Config{APIKey: testKey, BaseURL: "ftp://" + testKey + "@example.com"}, "Config.BaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parsian.New(tt.cfg)
			if tt.want == "" {
				noError(t, err)
				if c == nil {
					t.Fatal("nil client")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			noSecret(t, err)
		})
	}
	equal(t, "DefaultBaseURL", parsian.DefaultBaseURL, "https://api.parsianwebco.ir")
}

func TestSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, to, template string
		params             []string
		wantVars, wantTmpl string
		body, wantID       string
		slash              bool
	}{
		{"one param", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"status":200}`, "", false},
		{"params in order", "+98 912 123 4567", "1024", []string{"8412", "علی", "two words"}, "8412,علی,two words", "1024", `{"status":200}`, "", false},
		{"no params", "989121234567", "7", nil, "", "7", `{"status":200}`, "", false},
		{"leading zeros", "09121234567", "007", []string{"x"}, "x", "7", `{"status":200}`, "", false},
		{"base url with slash", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"status":200}`, "", true},
		{"status as string", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"status":"200"}`, "", false},
		{"id number", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"status":200,"id":5243690627088685351}`, "5243690627088685351", false},
		{"smsID string", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"status":200,"smsID":"987654"}`, "987654", false},
		{"smsid lower case", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"Status":200,"smsid":42}`, "42", false},
		{"id not a number", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"status":200,"id":"abc"}`, "", false},
		{"id zero", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"status":200,"id":0}`, "", false},
		{"extra fields", "09121234567", "1024", []string{"8412"}, "8412", "1024", `{"status":200,"message":"ok","data":{"x":[1]}}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := url.Values{
				"token": {testKey}, "TemplateID": {tt.wantTmpl}, "MessageVars": {tt.wantVars},
				"Receiver": {"09121234567"}, "delay": {"1"},
			}
			srv := server(t, expect("/webservice-send-sms/send", want, tt.body))
			cfg := parsian.Config{}
			if tt.slash {
				cfg.BaseURL = srv.URL + "/"
			}
			c := newClient(t, srv, cfg)
			r, err := c.Send(context.Background(), sms.Message{To: tt.to, Template: tt.template, Params: tt.params})
			noError(t, err)
			equal(t, "Provider", r.Provider, parsian.Provider)
			equal(t, "MessageID", r.MessageID, tt.wantID)
			equal(t, "Parts", r.Parts, 1)
		})
	}
}

func TestSendRefusedBeforeRequest(t *testing.T) {
	t.Parallel()
	t.Run("plain text", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, refuse(t), parsian.Config{})
		_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
		perr := providerError(t, err, sms.ErrTemplateRequired, "")
		equal(t, "HTTPStatus", perr.HTTPStatus, 0)
	})
	tests := []struct {
		name  string
		m     sms.Message
		field string
		is    error
	}{
		{"template name", sms.Message{To: "09121234567", Template: "otp"}, "template", nil},
		{"template negative", sms.Message{To: "09121234567", Template: "-4"}, "template", nil},
		{"template fraction", sms.Message{To: "09121234567", Template: "4.5"}, "template", nil},
		{"template with space", sms.Message{To: "09121234567", Template: "4 "}, "template", nil},
		{"template too big", sms.Message{To: "09121234567", Template: "99999999999999999999"}, "template", nil},
		{"param with comma", sms.Message{To: "09121234567", Template: "4", Params: []string{"1,000", "x"}}, "params[0]", nil},
		{"invalid number", sms.Message{To: "12345", Template: "4"}, "", sms.ErrInvalidNumber},
		{"empty message", sms.Message{To: "09121234567"}, "", sms.ErrEmptyMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, refuse(t), parsian.Config{})
			_, err := c.Send(context.Background(), tt.m)
			if tt.is != nil {
				if !errors.Is(err, tt.is) {
					t.Fatalf("error = %v, want %v", err, tt.is)
				}
				return
			}
			var verr *sms.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error %v (%T) is not a *sms.ValidationError", err, err)
			}
			equal(t, "Provider", verr.Provider, parsian.Provider)
			equal(t, "Field", verr.Field, tt.field)
			if !errors.Is(err, sms.ErrInvalidMessage) {
				t.Errorf("error %v is not sms.ErrInvalidMessage", err)
			}
		})
	}
}

// codes replays each documented status, and the fallbacks for others.
var codes = []struct {
	name   string
	status int
	body   string
	kind   error
	code   string
	msg    string
}{
	{"100 failed", 200, `{"status":100}`, sms.ErrRejected, "100", "failed"},
	{"100 with message", 200, `{"status":100,"message":"قالب یافت نشد"}`, sms.ErrRejected, "100", "قالب یافت نشد"},
	{"401 in 200", 200, `{"status":401}`, sms.ErrBadCredentials, "401", "not authenticated"},
	{"401 in 401", 401, `{"status":401,"msg":"token invalid"}`, sms.ErrBadCredentials, "401", "token invalid"},
	{"401 string", 200, `{"status":"401"}`, sms.ErrBadCredentials, "401", "not authenticated"},
	{"403", 200, `{"status":403}`, sms.ErrAccessDenied, "403", ""},
	{"429", 200, `{"status":429}`, sms.ErrRateLimited, "429", ""},
	{"402", 200, `{"status":402}`, sms.ErrInsufficientCredit, "402", ""},
	{"500 in body", 200, `{"status":500,"error":"internal"}`, sms.ErrTemporary, "500", "internal"},
	{"500 in 500", 500, `{"status":500}`, sms.ErrTemporary, "500", ""},
	{"unknown", 200, `{"status":0}`, sms.ErrRejected, "0", ""},
	{"unknown big", 200, `{"status":12345}`, sms.ErrRejected, "12345", ""},
	{"unknown in 503", 503, `{"status":1}`, sms.ErrTemporary, "1", ""},
	{"200 in 502", 502, `{"status":200}`, sms.ErrTemporary, "200", ""},
	{"no status in 401", 401, `{"message":"Unauthorized"}`, sms.ErrBadCredentials, "", "Unauthorized"},
	{"no status in 404", 404, `{}`, sms.ErrRejected, "", "answer has no status"},
	{"no status in 503", 503, `{}`, sms.ErrTemporary, "", "answer has no status"},
	{"key echoed", 200, `{"status":401,"message":"bad token ` + testKey + `"}`, sms.ErrBadCredentials, "401", "bad token ***"},
}

func TestSendCodes(t *testing.T) {
	t.Parallel()
	for _, tt := range codes {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, answer(tt.status, tt.body))
			_, err := c.Send(context.Background(), otp)
			perr := providerError(t, err, tt.kind, tt.code)
			equal(t, "HTTPStatus", perr.HTTPStatus, tt.status)
			equal(t, "Message", perr.Message, tt.msg)
		})
	}
}

// failures are answers that are not the provider's JSON.
var failures = []struct {
	name   string
	status int
	body   string
	kind   error
}{
	{"html page", 200, "<html><body>Welcome</body></html>", sms.ErrTransport},
	{"html 401", 401, "<html><body>Unauthorized</body></html>", sms.ErrTransport},
	{"html 502", 502, "<html><body>Bad Gateway</body></html>", sms.ErrTemporary},
	{"empty body", 200, "", sms.ErrTransport},
	{"truncated json", 200, `{"status":20`, sms.ErrTransport},
	{"json array", 200, `[200]`, sms.ErrTransport},
	{"no status", 200, `{"result":"ok"}`, sms.ErrTransport},
	{"status not a number", 200, `{"status":"ok"}`, sms.ErrTransport},
	{"500 empty", 500, "", sms.ErrTemporary},
	{"502 text", 502, "Bad Gateway", sms.ErrTemporary},
	{"503 text", 503, "Service Unavailable", sms.ErrTemporary},
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, answer(tt.status, tt.body))
			_, err := c.Send(context.Background(), otp)
			perr := providerError(t, err, tt.kind, "")
			equal(t, "HTTPStatus", perr.HTTPStatus, tt.status)
		})
	}
}

func hang(_ *testing.T, r *http.Request, _ url.Values) (int, string) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
	return http.StatusOK, `{"status":200}`
}

func TestTransport(t *testing.T) {
	t.Parallel()
	t.Run("client timeout", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, server(t, hang), parsian.Config{HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
		_, err := c.Send(context.Background(), otp)
		providerError(t, err, sms.ErrTransport, "")
	})
	t.Run("ctx deadline", func(t *testing.T) {
		t.Parallel()
		c := client(t, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, otp)
		providerError(t, err, sms.ErrTransport, "")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v is not context.DeadlineExceeded", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		c := newClient(t, srv, parsian.Config{})
		_, err := c.Send(context.Background(), otp)
		providerError(t, err, sms.ErrTransport, "")
		_, err = c.Credit(context.Background())
		providerError(t, err, sms.ErrTransport, "")
	})
	t.Run("credit ctx deadline", func(t *testing.T) {
		t.Parallel()
		c := client(t, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Credit(ctx)
		providerError(t, err, sms.ErrTransport, "")
	})
}

func TestCredit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       float64
	}{
		{"credit", `{"status":200,"credit":1500}`, 1500},
		{"credit string", `{"status":200,"credit":"123.5"}`, 123.5},
		{"Credit", `{"status":200,"Credit":7}`, 7},
		{"balance", `{"status":200,"balance":99.25}`, 99.25},
		{"amount", `{"status":200,"amount":"0"}`, 0},
		{"data number", `{"status":200,"data":42}`, 42},
		{"first usable key", `{"status":200,"credit":null,"balance":"x","amount":12}`, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, expect("/webservice-get-credit/get", url.Values{"token": {testKey}}, tt.body))
			got, err := c.Credit(context.Background())
			noError(t, err)
			equal(t, "credit", got, tt.want)
		})
	}
}

func TestCreditErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range codes {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, answer(tt.status, tt.body))
			_, err := c.Credit(context.Background())
			providerError(t, err, tt.kind, tt.code)
		})
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, answer(tt.status, tt.body))
			_, err := c.Credit(context.Background())
			providerError(t, err, tt.kind, "")
		})
	}
	for _, body := range []string{`{"status":200}`, `{"status":200,"credit":"much"}`, `{"status":200,"data":{"credit":5}}`, `{"status":200,"credit":"NaN"}`} {
		t.Run("no credit "+body, func(t *testing.T) {
			t.Parallel()
			c := client(t, answer(200, body))
			_, err := c.Credit(context.Background())
			providerError(t, err, sms.ErrTransport, "")
		})
	}
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	c := client(t, func(t *testing.T, r *http.Request, form url.Values) (int, string) {
		return http.StatusOK, `{"status":200,"id":` + form.Get("MessageVars") + `}`
	})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			v := strings.Repeat("1", i+1)
			r, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "4", Params: []string{v}})
			if err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
			if r.MessageID != v {
				t.Errorf("send %d: MessageID = %q, want %q", i, r.MessageID, v)
			}
		})
	}
	wg.Wait()
}
