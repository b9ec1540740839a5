package melipayamak_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/melipayamak"
)

const (
	testUser = "panel-user"
	testPass = "SECRET-PASS-123"
	testFrom = "50004000123456"
	basePath = "/api/SendSMS"
	bigRecID = "5243690627088685351" // does not survive a float64
)

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

// providerError checks that err is a ProviderError of this provider with
// the given kind and code, and that the password is not in its text.
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
	equal(t, "Provider", perr.Provider, melipayamak.Provider)
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", err, kind)
	}
	equal(t, "Code", perr.Code, code)
	return perr
}

func validationError(t *testing.T, err error, field string) {
	t.Helper()
	var verr *sms.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v (%T) is not a *sms.ValidationError", err, err)
	}
	equal(t, "Provider", verr.Provider, melipayamak.Provider)
	equal(t, "Field", verr.Field, field)
	if !errors.Is(err, sms.ErrInvalidMessage) {
		t.Errorf("error %v is not sms.ErrInvalidMessage", err)
	}
	noSecret(t, err)
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), testPass) {
		t.Errorf("error %q contains the password", err)
	}
}

// handler answers one request; form is its parsed body.
type handler func(t *testing.T, r *http.Request, form url.Values) (status int, body string)

// answer returns a handler that checks nothing and sends body.
func answer(status int, body string) handler {
	return func(*testing.T, *http.Request, url.Values) (int, string) { return status, body }
}

// expect returns a handler that checks the request against op and want
// (every field, exactly) and sends body with HTTP 200.
func expect(op string, want url.Values, body string) handler {
	return func(t *testing.T, r *http.Request, form url.Values) (int, string) {
		checkRequest(t, r, form, op, want)
		return http.StatusOK, body
	}
}

func checkRequest(t *testing.T, r *http.Request, form url.Values, op string, want url.Values) {
	t.Helper()
	equal(t, "method", r.Method, http.MethodPost)
	equal(t, "path", r.URL.Path, basePath+"/"+op)
	equal(t, "query", r.URL.RawQuery, "")
	equal(t, "Content-Type", r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "chelseru-go") {
		t.Errorf("User-Agent = %q", ua)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range form {
			if !yield(k) {
				return
			}
		}
	})
	wantKeys := slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("form fields = %v, want %v", keys, wantKeys)
	}
	for k, v := range want {
		if !slices.Equal(form[k], v) {
			t.Errorf("form %s = %q, want %q", k, form[k], v)
		}
	}
}

// server starts a fake REST service under basePath.
func server(t *testing.T, h handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		status, body := h(t, r, r.PostForm)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if strings.HasPrefix(body, "<") {
			w.Header().Set("Content-Type", "text/html")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// refuse starts a fake that fails the test on any request.
func refuse(t *testing.T) *httptest.Server {
	t.Helper()
	return server(t, func(t *testing.T, r *http.Request, _ url.Values) (int, string) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		return http.StatusOK, `{"Value":"` + bigRecID + `","RetStatus":1,"StrRetStatus":"Ok"}`
	})
}

func newClient(t *testing.T, srv *httptest.Server, cfg melipayamak.Config) *melipayamak.Client {
	t.Helper()
	if cfg.Username == "" {
		cfg.Username = testUser
	}
	if cfg.Password == "" {
		cfg.Password = testPass
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = srv.URL + basePath
	}
	c, err := melipayamak.New(cfg)
	noError(t, err)
	return c
}

func client(t *testing.T, h handler) *melipayamak.Client {
	t.Helper()
	return newClient(t, server(t, h), melipayamak.Config{From: testFrom})
}

func ok(value string) string {
	return `{"Value":"` + value + `","RetStatus":1,"StrRetStatus":"Ok"}`
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  melipayamak.Config
		want string // "" for success
	}{
		{"ok", melipayamak.Config{Username: testUser, Password: testPass, From: testFrom}, ""},
		{"no from", melipayamak.Config{Username: testUser, Password: testPass}, ""},
		{"base url with slash", melipayamak.Config{Username: testUser, Password: testPass, BaseURL: "https://sandbox.example/api/SendSMS/"}, ""},
		{"no username", melipayamak.Config{Password: testPass}, "melipayamak: Config.Username is required"},
		{"no password", melipayamak.Config{Username: testUser}, "melipayamak: Config.Password is required"},
		{"relative base url", melipayamak.Config{Username: testUser, Password: testPass, BaseURL: "/api/SendSMS"}, "Config.BaseURL"},
		{"ftp base url", melipayamak.Config{Username: testUser, Password: testPass, BaseURL: "ftp://u:" + testPass + "@example.com/"}, "Config.BaseURL"},
		{"bad base url", melipayamak.Config{Username: testUser, Password: testPass, BaseURL: "http://[::1"}, "Config.BaseURL"},
		{"base url with query", melipayamak.Config{Username: testUser, Password: testPass, BaseURL: "https://x.example/api?k=" + testPass}, "Config.BaseURL"},
		{"blank password", melipayamak.Config{Username: testUser, Password: "  "}, "melipayamak: Config.Password is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := melipayamak.New(tt.cfg)
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
	equal(t, "DefaultBaseURL", melipayamak.DefaultBaseURL, "https://rest.payamak-panel.com/api/SendSMS")
}

func TestSendText(t *testing.T) {
	t.Parallel()
	persian := strings.Repeat("سلام دنیا ", 10) // 100 UCS-2 units: 2 parts
	tests := []struct {
		name, to, text, wantTo string
		body                   string
		wantID                 string
		parts                  int
	}{
		{"ascii", "09121234567", "Your order is on its way.", "09121234567", ok(bigRecID), bigRecID, 1},
		{"international number", "+98 912 123 4567", "Hi", "09121234567", ok(bigRecID), bigRecID, 1},
		{"persian two parts", "۰۹۱۲۱۲۳۴۵۶۷", persian, "09121234567", ok(bigRecID), bigRecID, 2},
		{"numeric value", "09121234567", "Hi", "09121234567", `{"Value":` + bigRecID + `,"RetStatus":1,"StrRetStatus":"Ok"}`, bigRecID, 1},
		{"max uint64", "09121234567", "Hi", "09121234567", ok("18446744073709551615"), "18446744073709551615", 1},
		{"small recId", "09121234567", "Hi", "09121234567", ok("1001"), "1001", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := url.Values{
				"username": {testUser}, "password": {testPass},
				"to": {tt.wantTo}, "from": {testFrom}, "text": {tt.text}, "isFlash": {"false"},
			}
			c := client(t, expect("SendSMS", want, tt.body))
			r, err := c.Send(context.Background(), sms.Message{To: tt.to, Text: tt.text})
			noError(t, err)
			equal(t, "Provider", r.Provider, melipayamak.Provider)
			equal(t, "MessageID", r.MessageID, tt.wantID)
			equal(t, "Parts", r.Parts, tt.parts)
		})
	}
}

func TestSendBaseURLTrailingSlash(t *testing.T) {
	t.Parallel()
	want := url.Values{
		"username": {testUser}, "password": {testPass},
		"to": {"09121234567"}, "from": {testFrom}, "text": {"Hi"}, "isFlash": {"false"},
	}
	srv := server(t, expect("SendSMS", want, ok(bigRecID)))
	c := newClient(t, srv, melipayamak.Config{From: testFrom, BaseURL: srv.URL + basePath + "/"})
	_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
	noError(t, err)
}

func TestSendTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		from             string
		template         string
		params           []string
		wantText, wantID string
	}{
		{"one param", testFrom, "123456", []string{"8412"}, "8412", "123456"},
		{"params in order", testFrom, "77", []string{"8412", "علی", "two words"}, "8412;علی;two words", "77"},
		{"no params", testFrom, "77", nil, "", "77"},
		{"no from configured", "", "77", []string{"8412"}, "8412", "77"},
		{"leading zeros", testFrom, "0077", []string{"8412"}, "8412", "77"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := url.Values{
				"username": {testUser}, "password": {testPass},
				"text": {tt.wantText}, "to": {"09121234567"}, "bodyId": {tt.wantID},
			}
			srv := server(t, expect("BaseServiceNumber", want, ok(bigRecID)))
			c := newClient(t, srv, melipayamak.Config{From: tt.from})
			r, err := c.Send(context.Background(), sms.Message{To: "989121234567", Template: tt.template, Params: tt.params, Secret: true})
			noError(t, err)
			equal(t, "Provider", r.Provider, melipayamak.Provider)
			equal(t, "MessageID", r.MessageID, bigRecID)
			equal(t, "Parts", r.Parts, 1)
		})
	}
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		from  string
		m     sms.Message
		field string // ValidationError field; "" when is is set
		is    error
	}{
		{"plain without from", "", sms.Message{To: "09121234567", Text: "Hi"}, "from", nil},
		{"template not a number", testFrom, sms.Message{To: "09121234567", Template: "otp"}, "template", nil},
		{"template zero", testFrom, sms.Message{To: "09121234567", Template: "0"}, "template", nil},
		{"template negative", testFrom, sms.Message{To: "09121234567", Template: "-3"}, "template", nil},
		{"template with sign", testFrom, sms.Message{To: "09121234567", Template: "+3"}, "template", nil},
		{"template fraction", testFrom, sms.Message{To: "09121234567", Template: "1.5"}, "template", nil},
		{"template with space", testFrom, sms.Message{To: "09121234567", Template: " 12"}, "template", nil},
		{"template too big", testFrom, sms.Message{To: "09121234567", Template: "99999999999999999999"}, "template", nil},
		{"param with separator", testFrom, sms.Message{To: "09121234567", Template: "77", Params: []string{"a", "b;c"}}, "params[1]", nil},
		{"invalid number", testFrom, sms.Message{To: "02112345678", Text: "Hi"}, "", sms.ErrInvalidNumber},
		{"empty message", testFrom, sms.Message{To: "09121234567"}, "", sms.ErrEmptyMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, refuse(t), melipayamak.Config{From: tt.from})
			_, err := c.Send(context.Background(), tt.m)
			if tt.is != nil {
				if !errors.Is(err, tt.is) {
					t.Fatalf("error = %v, want %v", err, tt.is)
				}
				return
			}
			validationError(t, err, tt.field)
		})
	}
}

// TestSendCodes replays every result code of the spec's two tables, in
// the envelope MeliPayamak sends them in.
func TestSendCodes(t *testing.T) {
	t.Parallel()
	invalidData := func(v string) string {
		return `{"Value":"` + v + `","RetStatus":35,"StrRetStatus":"InvalidData"}`
	}
	tests := []struct {
		name     string
		template bool
		status   int
		body     string
		kind     error
		code     string
	}{
		{"0 credentials", false, 200, `{"Value":"0","RetStatus":0,"StrRetStatus":"InvalidUserPass"}`, sms.ErrBadCredentials, "0"},
		{"1 no recId", false, 200, `{"Value":"1","RetStatus":1,"StrRetStatus":"Ok"}`, sms.ErrRejected, "1"},
		{"2 credit", false, 200, `{"Value":"2","RetStatus":2,"StrRetStatus":"CreditNotEnough"}`, sms.ErrInsufficientCredit, "2"},
		{"3 daily limit", false, 200, invalidData("3"), sms.ErrRateLimited, "3"},
		{"4 volume limit", false, 200, invalidData("4"), sms.ErrRateLimited, "4"},
		{"5 sender (captured)", false, 200, `{"Value":"5","RetStatus":9,"StrRetStatus":"InvalidNumber"}`, sms.ErrInvalidSender, "5"},
		{"6 updating", false, 200, invalidData("6"), sms.ErrTemporary, "6"},
		{"7 filtered word", false, 200, invalidData("7"), sms.ErrMessageRejected, "7"},
		{"8 minimum receivers", false, 200, invalidData("8"), sms.ErrRejected, "8"},
		{"9 public line", false, 200, invalidData("9"), sms.ErrInvalidSender, "9"},
		{"10 user inactive", false, 200, invalidData("10"), sms.ErrAccessDenied, "10"},
		{"11 not sent (fixture)", false, 200, `{"Value":"11","RetStatus":0,"StrRetStatus":"InvalidData"}`, sms.ErrRejected, "11"},
		{"12 documents", false, 200, invalidData("12"), sms.ErrAccessDenied, "12"},
		{"14 link", false, 200, invalidData("14"), sms.ErrMessageRejected, "14"},
		{"15 opt-out suffix", false, 200, invalidData("15"), sms.ErrMessageRejected, "15"},
		{"16 no recipient", false, 200, invalidData("16"), sms.ErrInvalidReceiver, "16"},
		{"17 text empty", false, 200, invalidData("17"), sms.ErrMessageRejected, "17"},
		{"18 recipient invalid", false, 200, invalidData("18"), sms.ErrInvalidReceiver, "18"},
		{"19 api cap", false, 200, invalidData("19"), sms.ErrRateLimited, "19"},
		{"35 blacklist", false, 200, invalidData("35"), sms.ErrInvalidReceiver, "35"},
		{"-108 ip blocked", false, 200, invalidData("-108"), sms.ErrAccessDenied, "-108"},
		{"-109 ip required", false, 200, invalidData("-109"), sms.ErrAccessDenied, "-109"},
		{"-110 api key (fixture)", false, 200, `{"Value":-110,"RetStatus":-110,"StrRetStatus":"Not Ok"}`, sms.ErrBadCredentials, "-110"},
		{"-111 ip not allowed", false, 200, invalidData("-111"), sms.ErrAccessDenied, "-111"},
		{"-112 web service disabled", false, 200, invalidData("-112"), sms.ErrAccessDenied, "-112"},

		{"-1 service disabled", true, 200, invalidData("-1"), sms.ErrAccessDenied, "-1"},
		{"-2 one number", true, 200, invalidData("-2"), sms.ErrInvalidReceiver, "-2"},
		{"-3 line undefined", true, 200, invalidData("-3"), sms.ErrInvalidSender, "-3"},
		{"-4 bodyId", true, 200, invalidData("-4"), sms.ErrTemplateRejected, "-4"},
		{"-5 variables", true, 200, invalidData("-5"), sms.ErrTemplateRejected, "-5"},
		{"-6 internal", true, 200, invalidData("-6"), sms.ErrTemporary, "-6"},
		{"-7 sender", true, 200, invalidData("-7"), sms.ErrInvalidSender, "-7"},
		{"-10 link in variables", true, 200, `{"Value":-10,"RetStatus":35,"StrRetStatus":"InvalidData"}`, sms.ErrMessageRejected, "-10"},

		// Which field is the code: Value when small or negative, else RetStatus.
		{"captured value 0 with 35", false, 200, invalidData("0"), sms.ErrBadCredentials, "0"},
		{"big value, code in RetStatus", false, 200, `{"Value":"` + bigRecID + `","RetStatus":2,"StrRetStatus":"CreditNotEnough"}`, sms.ErrInsufficientCredit, "2"},
		{"empty value, code in RetStatus", false, 200, `{"Value":"","RetStatus":35,"StrRetStatus":"InvalidData"}`, sms.ErrInvalidReceiver, "35"},
		{"null value, code in RetStatus", false, 200, `{"Value":null,"RetStatus":"0","StrRetStatus":"InvalidUserPass"}`, sms.ErrBadCredentials, "0"},
		{"lower-case keys", false, 200, `{"value":"2","retStatus":2,"strRetStatus":"x"}`, sms.ErrInsufficientCredit, "2"},
		{"unknown code", false, 200, invalidData("13"), sms.ErrRejected, "13"},
		{"unknown code in 500", false, 500, invalidData("13"), sms.ErrTemporary, "13"},
		{"unknown code in 401", false, 401, invalidData("13"), sms.ErrBadCredentials, "13"},
		{"known code in 500", false, 500, invalidData("2"), sms.ErrInsufficientCredit, "2"},
		{"success body in 503", false, 503, ok(bigRecID), sms.ErrTemporary, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, answer(tt.status, tt.body))
			m := sms.Message{To: "09121234567", Text: "Hi"}
			if tt.template {
				m = sms.Message{To: "09121234567", Template: "77", Params: []string{"8412"}}
			}
			_, err := c.Send(context.Background(), m)
			perr := providerError(t, err, tt.kind, tt.code)
			equal(t, "HTTPStatus", perr.HTTPStatus, tt.status)
		})
	}
}

func TestSendMessageText(t *testing.T) {
	t.Parallel()
	c := client(t, answer(200, `{"Value":"2","RetStatus":35,"StrRetStatus":"InvalidData"}`))
	_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
	perr := providerError(t, err, sms.ErrInsufficientCredit, "2")
	equal(t, "Message", perr.Message, "InvalidData: not enough credit")
}

// failures are answers with no usable envelope, and transport trouble.
var failures = []struct {
	name   string
	h      handler
	kind   error
	status int
}{
	{"html page", answer(200, "<html><body>Service Unavailable</body></html>"), sms.ErrTransport, 200},
	{"html page 502", answer(502, "<html><body>Bad Gateway</body></html>"), sms.ErrTemporary, 502},
	{"empty body", answer(200, ""), sms.ErrTransport, 200},
	{"truncated json", answer(200, `{"Value":"52436906`), sms.ErrTransport, 200},
	{"json array", answer(200, `[]`), sms.ErrTransport, 200},
	{"empty object", answer(200, `{}`), sms.ErrTransport, 200},
	{"RetStatus not a number", answer(200, `{"Value":"1","RetStatus":"Ok","StrRetStatus":"Ok"}`), sms.ErrTransport, 200},
	{"500 empty", answer(500, ""), sms.ErrTemporary, 500},
	{"502 text", answer(502, "Bad Gateway"), sms.ErrTemporary, 502},
	{"503 empty object", answer(503, `{}`), sms.ErrTemporary, 503},
	{"asp.net fault 500", answer(500, `{"Message":"An unexpected error occured"}`), sms.ErrTemporary, 500},
	{"asp.net fault 200", answer(200, `{"Message":"An unexpected error occured"}`), sms.ErrTemporary, 200},
	{"asp.net fault 502", answer(502, `{"Message":"An unexpected error occured"}`), sms.ErrTemporary, 502},
	{"asp.net 404", answer(404, `{"Message":"No HTTP resource was found that matches the request URI"}`), sms.ErrRejected, 404},
	{"password echoed", answer(500, `{"Message":"login failed for `+testPass+`"}`), sms.ErrTemporary, 500},
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, tt.h)
			_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
			perr := providerError(t, err, tt.kind, "")
			equal(t, "HTTPStatus", perr.HTTPStatus, tt.status)
		})
	}
	t.Run("value not a recId", func(t *testing.T) {
		t.Parallel()
		c := client(t, answer(200, ok("12.5")))
		_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
		providerError(t, err, sms.ErrTransport, "")
	})
	t.Run("asp.net message", func(t *testing.T) {
		t.Parallel()
		c := client(t, answer(500, `{"Message":"An unexpected error occured"}`))
		_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
		perr := providerError(t, err, sms.ErrTemporary, "")
		equal(t, "Message", perr.Message, "An unexpected error occured")
	})
}

// hang is a handler that answers only when the client has gone away.
func hang(_ *testing.T, r *http.Request, _ url.Values) (int, string) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
	return http.StatusOK, ok(bigRecID)
}

func TestSendTransport(t *testing.T) {
	t.Parallel()
	m := sms.Message{To: "09121234567", Text: "Hi"}
	t.Run("client timeout", func(t *testing.T) {
		t.Parallel()
		srv := server(t, hang)
		c := newClient(t, srv, melipayamak.Config{From: testFrom, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
		_, err := c.Send(context.Background(), m)
		providerError(t, err, sms.ErrTransport, "")
	})
	t.Run("ctx deadline", func(t *testing.T) {
		t.Parallel()
		c := client(t, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, m)
		providerError(t, err, sms.ErrTransport, "")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v is not context.DeadlineExceeded", err)
		}
	})
	t.Run("ctx cancelled", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, refuse(t), melipayamak.Config{From: testFrom})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, m)
		providerError(t, err, sms.ErrTransport, "")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v is not context.Canceled", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		c := newClient(t, srv, melipayamak.Config{From: testFrom})
		_, err := c.Send(context.Background(), m)
		providerError(t, err, sms.ErrTransport, "")
	})
}

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  sms.Delivery
	}{
		{"0", sms.DeliverySent},
		{"1", sms.DeliveryDelivered},
		{"2", sms.DeliveryUndelivered},
		{"3", sms.DeliveryFailed},
		{"5", sms.DeliveryFailed},
		{"8", sms.DeliverySent},
		{"16", sms.DeliveryFailed},
		{"35", sms.DeliveryFailed},
		{"100", sms.DeliveryUnknown},
		{"200", sms.DeliverySent},
		{"300", sms.DeliveryFailed},
		{"400", sms.DeliveryPending},
		{"500", sms.DeliveryFailed},
		// Not in the table (the other table in circulation uses 4, 32, 64).
		{"4", sms.DeliveryPending},
		{"32", sms.DeliveryPending},
		{"64", sms.DeliveryPending},
		{"999", sms.DeliveryPending},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			want := url.Values{"username": {testUser}, "password": {testPass}, "recId": {bigRecID}}
			c := client(t, expect("GetDeliveries2", want, ok(tt.value)))
			st, err := c.Status(context.Background(), bigRecID)
			noError(t, err)
			equal(t, "MessageID", st.MessageID, bigRecID)
			equal(t, "Delivery", st.Delivery, tt.want)
			equal(t, "Code", st.Code, tt.value)
		})
	}
	t.Run("numeric value", func(t *testing.T) {
		t.Parallel()
		c := client(t, answer(200, `{"Value":1,"RetStatus":1,"StrRetStatus":"Ok"}`))
		st, err := c.Status(context.Background(), bigRecID)
		noError(t, err)
		equal(t, "Delivery", st.Delivery, sms.DeliveryDelivered)
	})
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		kind   error
		code   string
	}{
		{"credentials", 200, `{"Value":"0","RetStatus":0,"StrRetStatus":"InvalidUserPass"}`, sms.ErrBadCredentials, "0"},
		{"api key required", 200, `{"Value":-110,"RetStatus":-110,"StrRetStatus":"Not Ok"}`, sms.ErrBadCredentials, "-110"},
		{"negative value with RetStatus 1", 200, `{"Value":"-111","RetStatus":1,"StrRetStatus":"Ok"}`, sms.ErrAccessDenied, "-111"},
		{"value not a code", 200, ok("x"), sms.ErrTransport, ""},
		{"html", 200, "<html></html>", sms.ErrTransport, ""},
		{"empty", 200, "", sms.ErrTransport, ""},
		{"asp.net fault", 500, `{"Message":"An unexpected error occured"}`, sms.ErrTemporary, ""},
		{"503", 503, "Service Unavailable", sms.ErrTemporary, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, answer(tt.status, tt.body))
			_, err := c.Status(context.Background(), bigRecID)
			providerError(t, err, tt.kind, tt.code)
		})
	}
	for _, id := range []string{"", "abc", "12a", "-5", "1.5", " 12", "99999999999999999999"} {
		t.Run("invalid id "+id, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, refuse(t), melipayamak.Config{From: testFrom})
			_, err := c.Status(context.Background(), id)
			validationError(t, err, "messageID")
		})
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		c := client(t, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Status(ctx, bigRecID)
		providerError(t, err, sms.ErrTransport, "")
	})
}

func TestCredit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       float64
	}{
		{"integer", ok("1000"), 1000},
		{"fraction", ok("123.5"), 123.5},
		{"zero", ok("0"), 0},
		{"number", `{"Value":42.25,"RetStatus":1,"StrRetStatus":"Ok"}`, 42.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := url.Values{"username": {testUser}, "password": {testPass}}
			c := client(t, expect("GetCredit", want, tt.body))
			got, err := c.Credit(context.Background())
			noError(t, err)
			equal(t, "credit", got, tt.want)
		})
	}
}

func TestCreditErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		kind   error
		code   string
	}{
		{"credentials", 200, `{"Value":"0","RetStatus":0,"StrRetStatus":"InvalidUserPass"}`, sms.ErrBadCredentials, "0"},
		{"ip not allowed", 200, `{"Value":"-111","RetStatus":35,"StrRetStatus":"InvalidData"}`, sms.ErrAccessDenied, "-111"},
		{"not a number", 200, ok("abc"), sms.ErrTransport, ""},
		{"NaN", 200, ok("NaN"), sms.ErrTransport, ""},
		{"infinity", 200, ok("Inf"), sms.ErrTransport, ""},
		{"truncated", 200, `{"Value":"10`, sms.ErrTransport, ""},
		{"asp.net fault", 500, `{"Message":"An unexpected error occured"}`, sms.ErrTemporary, ""},
		{"502 html", 502, "<html></html>", sms.ErrTemporary, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client(t, answer(tt.status, tt.body))
			_, err := c.Credit(context.Background())
			providerError(t, err, tt.kind, tt.code)
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		c := newClient(t, srv, melipayamak.Config{})
		_, err := c.Credit(context.Background())
		providerError(t, err, sms.ErrTransport, "")
	})
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	c := client(t, func(t *testing.T, r *http.Request, form url.Values) (int, string) {
		return http.StatusOK, ok("10" + form.Get("text"))
	})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			text := fmt.Sprintf("%04d", i)
			r, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: text})
			if err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
			if r.MessageID != "10"+text {
				t.Errorf("send %d: MessageID = %q", i, r.MessageID)
			}
		})
	}
	wg.Wait()
}
