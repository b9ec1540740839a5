package smsir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/wire"
	"github.com/chelseru/chelseru-go/sms/smsir"
)

// key is distinctive so that a test can tell it never leaks into an error.
const key = "SECRET-KEY-123"

const ok = "موفق"

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

// providerError checks that err is an *sms.ProviderError of SMS.ir of the
// given kind and code, and that it does not carry the API key.
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
	equal(t, "Provider", perr.Provider, smsir.Provider)
	equal(t, "Code", perr.Code, code)
	return perr
}

func validationError(t *testing.T, err error, field string) {
	t.Helper()
	var verr *sms.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v (%T) is not an *sms.ValidationError", err, err)
	}
	equal(t, "Provider", verr.Provider, smsir.Provider)
	equal(t, "Field", verr.Field, field)
	if !errors.Is(err, sms.ErrInvalidMessage) {
		t.Errorf("error %v does not match sms.ErrInvalidMessage", err)
	}
	noSecret(t, err)
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), key) {
		t.Errorf("error %q contains the API key", err)
	}
}

// newClient starts a fake SMS.ir at /v1 and returns a client of it.
func newClient(t *testing.T, h http.HandlerFunc, edit ...func(*smsir.Config)) *smsir.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := smsir.Config{APIKey: key, LineNumber: "30007732", BaseURL: srv.URL + "/v1"}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := smsir.New(cfg)
	noError(t, err)
	return c
}

// noRequest is a fake that fails the test when it is called.
func noRequest(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}
}

// answer writes an SMS.ir JSON answer.
func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// checkRequest checks what every call carries and returns the JSON body's
// top-level fields (nil for a GET).
func checkRequest(t *testing.T, r *http.Request, method, path string) map[string]json.RawMessage {
	t.Helper()
	equal(t, "method", r.Method, method)
	equal(t, "path", r.URL.Path, path)
	equal(t, "X-API-KEY", r.Header.Get("X-API-KEY"), key)
	equal(t, "Accept", r.Header.Get("Accept"), "application/json")
	equal(t, "User-Agent", r.Header.Get("User-Agent"), wire.UserAgent)
	equal(t, "query", r.URL.RawQuery, "")
	b, err := io.ReadAll(r.Body)
	noError(t, err)
	if method == http.MethodGet {
		equal(t, "body", string(b), "")
		return nil
	}
	equal(t, "Content-Type", r.Header.Get("Content-Type"), "application/json")
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", b, err)
	}
	return fields
}

// checkFields compares the request's fields, as compact JSON, with want.
func checkFields(t *testing.T, got map[string]json.RawMessage, want map[string]string) {
	t.Helper()
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected field %q in the request", name)
		}
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("field %q is missing from the request", name)
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, g); err != nil {
			t.Fatal(err)
		}
		equal(t, "field "+name, buf.String(), w)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  smsir.Config
		want string // "" for success
	}{
		{"minimal", smsir.Config{APIKey: key}, ""},
		{"everything", smsir.Config{APIKey: key, LineNumber: "30007732", ParamNames: []string{"CODE", "NAME"},
			BaseURL: "http://localhost:1/v1/", HTTPClient: &http.Client{}}, ""},
		{"no key", smsir.Config{LineNumber: "30007732"}, "smsir: Config.APIKey is required"},
		{"line with letters", smsir.Config{APIKey: key, LineNumber: "3000x"}, "smsir: Config.LineNumber must be a line number, digits only"},
		{"line with sign", smsir.Config{APIKey: key, LineNumber: "+3000"}, "smsir: Config.LineNumber must be a line number, digits only"},
		{"line too big", smsir.Config{APIKey: key, LineNumber: "99999999999999999999"}, "smsir: Config.LineNumber must be a line number, digits only"},
		{"empty param name", smsir.Config{APIKey: key, ParamNames: []string{"CODE", ""}}, "smsir: Config.ParamNames[1] is empty"},
		{"relative base", smsir.Config{APIKey: key, BaseURL: "api.sms.ir/v1"}, "smsir: Config.BaseURL must be an absolute http or https URL"},
		{"ftp base", smsir.Config{APIKey: key, BaseURL: "ftp://api.sms.ir/v1"}, "smsir: Config.BaseURL must be an absolute http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := smsir.New(tt.cfg)
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

func TestDefaultBaseURL(t *testing.T) {
	t.Parallel()
	equal(t, "DefaultBaseURL", smsir.DefaultBaseURL, "https://api.sms.ir/v1")
	equal(t, "Provider", smsir.Provider, "smsir")
}

func TestSendText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		to, text string
		base     string // suffix after the server URL
		data     string
		wantID   string
		parts    int
	}{
		{"latin", "+98 912 123 4567", "Your code: 01234567", "/v1",
			`{"packId":"8b5e9c4e-6f5e-4b1c-9d33-1d0b1f0c2a11","messageIds":[89545112],"cost":1.0}`, "89545112", 1},
		{"trailing slash in BaseURL", "09121234567", "hi", "/v1/",
			`{"packId":"8b5e9c4e-6f5e-4b1c-9d33-1d0b1f0c2a11","messageIds":[89545113],"cost":1.0}`, "89545113", 1},
		{"persian, two parts", "۰۹۳۵۱۱۱۲۲۳۳", strings.Repeat("سلام ", 15), "/v1",
			`{"packId":"8b5e9c4e-6f5e-4b1c-9d33-1d0b1f0c2a11","messageIds":[89545114],"cost":2.0}`, "89545114", 2},
		{"id beyond 2^53", "09121234567", "hi", "/v1",
			`{"packId":"8b5e9c4e-6f5e-4b1c-9d33-1d0b1f0c2a11","messageIds":[9007199254740993],"cost":1.0}`, "9007199254740993", 1},
		{"id as a string", "09121234567", "hi", "/v1",
			`{"packId":"8b5e9c4e-6f5e-4b1c-9d33-1d0b1f0c2a11","messageIds":["89545115"],"cost":1.0}`, "89545115", 1},
		{"null id", "09121234567", "hi", "/v1",
			`{"packId":"8b5e9c4e-6f5e-4b1c-9d33-1d0b1f0c2a11","messageIds":[null],"cost":1.0}`, "", 1},
		{"no ids", "09121234567", "hi", "/v1",
			`{"packId":"8b5e9c4e-6f5e-4b1c-9d33-1d0b1f0c2a11","messageIds":[],"cost":0}`, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mobile, err := sms.ParseMobile(tt.to)
			noError(t, err)
			text, _ := json.Marshal(tt.text)
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				fields := checkRequest(t, r, http.MethodPost, "/v1/send/bulk")
				checkFields(t, fields, map[string]string{
					"lineNumber":   "30007732",
					"messageText":  string(text),
					"mobiles":      `["` + mobile.String() + `"]`,
					"sendDateTime": "null",
				})
				answer(w, http.StatusOK, `{"status":1,"message":"`+ok+`","data":`+tt.data+`}`)
			}))
			t.Cleanup(srv.Close)
			c, err := smsir.New(smsir.Config{APIKey: key, LineNumber: "30007732", BaseURL: srv.URL + tt.base})
			noError(t, err)
			r, err := c.Send(context.Background(), sms.Message{To: tt.to, Text: tt.text})
			noError(t, err)
			equal(t, "calls", calls.Load(), 1)
			equal(t, "Receipt", r, sms.Receipt{Provider: "smsir", MessageID: tt.wantID, Parts: tt.parts})
		})
	}
}

func TestSendTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		names      []string
		template   string
		params     []string
		wantParams string
		data       string
		wantID     string
	}{
		{"default name", nil, "123456", []string{"01234567"},
			`[{"name":"CODE","value":"01234567"}]`, `{"messageId":89547,"cost":1.0}`, "89547"},
		{"two names", []string{"CODE", "NAME"}, "100", []string{"4821", "علی"},
			`[{"name":"CODE","value":"4821"},{"name":"NAME","value":"علی"}]`, `{"messageId":89548,"cost":1.0}`, "89548"},
		{"fewer params than names", []string{"CODE", "NAME"}, "100", []string{"4821"},
			`[{"name":"CODE","value":"4821"}]`, `{"messageId":89549,"cost":1.0}`, "89549"},
		{"no params", nil, "7", nil, `[]`, `{"messageId":89550,"cost":1.0}`, "89550"},
		{"id beyond 2^53", nil, "123456", []string{"1"},
			`[{"name":"CODE","value":"1"}]`, `{"messageId":9223372036854775807,"cost":1.0}`, "9223372036854775807"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				fields := checkRequest(t, r, http.MethodPost, "/v1/send/verify")
				checkFields(t, fields, map[string]string{
					"mobile":     `"09121234567"`,
					"templateId": tt.template,
					"parameters": tt.wantParams,
				})
				answer(w, http.StatusOK, `{"status":1,"message":"`+ok+`","data":`+tt.data+`}`)
			}, func(cfg *smsir.Config) {
				cfg.ParamNames = tt.names
				cfg.LineNumber = "" // templates need no line
			})
			r, err := c.Send(context.Background(), sms.Message{To: "9121234567", Template: tt.template, Params: tt.params})
			noError(t, err)
			equal(t, "Receipt", r, sms.Receipt{Provider: "smsir", MessageID: tt.wantID, Parts: 1})
		})
	}
}

func TestParamNamesCopied(t *testing.T) {
	t.Parallel()
	names := []string{"CODE"}
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		fields := checkRequest(t, r, http.MethodPost, "/v1/send/verify")
		equal(t, "parameters", string(fields["parameters"]), `[{"name":"CODE","value":"1"}]`)
		answer(w, http.StatusOK, `{"status":1,"message":"ok","data":{"messageId":1,"cost":1}}`)
	}, func(cfg *smsir.Config) { cfg.ParamNames = names })
	names[0] = "CHANGED"
	_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "1", Params: []string{"1"}})
	noError(t, err)
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		noLine bool
		m      sms.Message
		field  string
	}{
		{"text without a line", true, sms.Message{To: "09121234567", Text: "hi"}, "text"},
		{"template name", false, sms.Message{To: "09121234567", Template: "otp", Params: []string{"1"}}, "template"},
		{"template with a sign", false, sms.Message{To: "09121234567", Template: "+12"}, "template"},
		{"negative template", false, sms.Message{To: "09121234567", Template: "-12"}, "template"},
		{"template zero", false, sms.Message{To: "09121234567", Template: "0"}, "template"},
		{"template with a space", false, sms.Message{To: "09121234567", Template: "12 3"}, "template"},
		{"template beyond int32", false, sms.Message{To: "09121234567", Template: "2147483648"}, "template"},
		{"more params than names", false, sms.Message{To: "09121234567", Template: "12", Params: []string{"1", "2"}}, "params"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, noRequest(t), func(cfg *smsir.Config) {
				if tt.noLine {
					cfg.LineNumber = ""
				}
			})
			r, err := c.Send(context.Background(), tt.m)
			validationError(t, err, tt.field)
			equal(t, "Receipt", r, sms.Receipt{})
		})
	}
}

func TestSendInvalidMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    sms.Message
		want error // nil: just an error
	}{
		{"bad number", sms.Message{To: "02112345678", Text: "hi"}, sms.ErrInvalidNumber},
		{"empty", sms.Message{To: "09121234567"}, sms.ErrEmptyMessage},
		{"text and template", sms.Message{To: "09121234567", Text: "hi", Template: "1"}, nil},
		{"params without template", sms.Message{To: "09121234567", Text: "hi", Params: []string{"1"}}, nil},
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

// TestErrorCodes replays every status code of SMS.ir's table with the HTTP
// status its API answers it with, and again inside an HTTP 200.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code int
		http int
		kind error
	}{
		{0, 500, sms.ErrTemporary},
		{10, 401, sms.ErrBadCredentials},
		{11, 401, sms.ErrAccessDenied},
		{12, 403, sms.ErrAccessDenied},
		{13, 403, sms.ErrAccessDenied},
		{14, 403, sms.ErrAccessDenied},
		{20, 429, sms.ErrRateLimited},
		{101, 400, sms.ErrInvalidSender},
		{102, 400, sms.ErrInsufficientCredit},
		{103, 400, sms.ErrMessageRejected},
		{104, 400, sms.ErrInvalidReceiver},
		{105, 400, sms.ErrRejected},
		{106, 400, sms.ErrRejected},
		{107, 400, sms.ErrInvalidReceiver},
		{108, 400, sms.ErrMessageRejected},
		{109, 400, sms.ErrRejected},
		{110, 400, sms.ErrRejected},
		{111, 400, sms.ErrRejected},
		{112, 400, sms.ErrRejected},
		{113, 400, sms.ErrTemplateRejected},
		// Codes SMS.ir does not list: the HTTP status decides.
		{999, 400, sms.ErrRejected},
		{999, 401, sms.ErrBadCredentials},
		{999, 403, sms.ErrAccessDenied},
		{999, 429, sms.ErrRateLimited},
		{999, 500, sms.ErrTemporary},
		{999, 200, sms.ErrRejected},
		{-1, 400, sms.ErrRejected},
		// Success code with a failed HTTP status.
		{1, 500, sms.ErrTemporary},
		{1, 401, sms.ErrBadCredentials},
	}
	for _, tt := range tests {
		for _, httpStatus := range []int{tt.http, http.StatusOK} {
			if tt.code == 1 && httpStatus == http.StatusOK || tt.code == 999 && httpStatus != tt.http {
				continue
			}
			code := strconv.Itoa(tt.code)
			t.Run(code+"/"+strconv.Itoa(httpStatus), func(t *testing.T) {
				t.Parallel()
				msg := "خطا " + code + " for key " + key
				for _, m := range []sms.Message{
					{To: "09121234567", Text: "hi"},
					{To: "09121234567", Template: "123456", Params: []string{"1"}},
				} {
					c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
						answer(w, httpStatus, `{"status":`+code+`,"message":"`+msg+`","data":null}`)
					})
					_, err := c.Send(context.Background(), m)
					perr := providerError(t, err, tt.kind, code)
					equal(t, "HTTPStatus", perr.HTTPStatus, httpStatus)
					equal(t, "Message", perr.Message, "خطا "+code+" for key ***")
				}
			})
		}
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		kind   error
	}{
		{"HTML page 200", 200, "<html><body>Welcome " + key + "</body></html>", sms.ErrTransport},
		{"HTML page 404", 404, "<!DOCTYPE html><html><body>Not Found</body></html>", sms.ErrTransport},
		{"HTML page 502", 502, "<html><body>Bad Gateway</body></html>", sms.ErrTemporary},
		{"empty 200", 200, "", sms.ErrTransport},
		{"truncated JSON", 200, `{"status":1,"message":"ok","data":{"messageIds":[89`, sms.ErrTransport},
		{"not JSON", 200, "OK", sms.ErrTransport},
		{"no status", 200, `{"message":"ok","data":{"messageIds":[1]}}`, sms.ErrTransport},
		{"ASP.NET fault 500", 500, `{"Message":"An unexpected error occured"}`, sms.ErrTemporary},
		{"wrong data shape", 200, `{"status":1,"message":"ok","data":{"messageIds":{"a":1}}}`, sms.ErrTransport},
		{"500 without body", 500, "", sms.ErrTemporary},
		{"502 without body", 502, "", sms.ErrTemporary},
		{"503 without body", 503, "", sms.ErrTemporary},
		{"500 with JSON", 500, `{"status":0,"message":"خطای سیستمی","data":null}`, sms.ErrTemporary},
		{"502 with JSON", 502, `{"status":0,"message":"خطای سیستمی","data":null}`, sms.ErrTemporary},
		{"503 with JSON", 503, `{"status":0,"message":"خطای سیستمی","data":null}`, sms.ErrTemporary},
		{"503 with unknown JSON code", 503, `{"status":555,"message":"maintenance","data":null}`, sms.ErrTemporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
			noSecret(t, err)
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v does not match %v", err, tt.kind)
			}
			var perr *sms.ProviderError
			if !errors.As(err, &perr) {
				t.Fatalf("error %v (%T) is not an *sms.ProviderError", err, err)
			}
			equal(t, "Provider", perr.Provider, "smsir")
			equal(t, "HTTPStatus", perr.HTTPStatus, tt.status)
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, func(cfg *smsir.Config) { cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
	defer close(release)
	_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
	providerError(t, err, sms.ErrTransport, "")
	if !wire.IsTimeout(err) {
		t.Errorf("error %v is not a timeout", err)
	}
}

func TestContextDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, sms.Message{To: "09121234567", Template: "1", Params: []string{"1"}})
	providerError(t, err, sms.ErrTransport, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
}

func TestContextCanceled(t *testing.T) {
	t.Parallel()
	c := newClient(t, noRequest(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Send(ctx, sms.Message{To: "09121234567", Text: "hi"})
	providerError(t, err, sms.ErrTransport, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + "/" + key // the key in the URL shows redaction of transport errors
	srv.Close()
	c, err := smsir.New(smsir.Config{APIKey: key, LineNumber: "30007732", BaseURL: base})
	noError(t, err)
	_, err = c.Send(context.Background(), sms.Message{To: "09121234567", Text: "hi"})
	providerError(t, err, sms.ErrTransport, "")
	_, err = c.Status(context.Background(), "1")
	providerError(t, err, sms.ErrTransport, "")
	_, err = c.Credit(context.Background())
	providerError(t, err, sms.ErrTransport, "")
}

func TestStatus(t *testing.T) {
	t.Parallel()
	const report = `"messageId":%s,"mobile":9121234567,"messageText":"hi","sendDateTime":1700000000,"lineNumber":30007732,"cost":1.0`
	tests := []struct {
		state, at string
		want      sms.Delivery
		code      string
		wantAt    time.Time
	}{
		{"1", "1700000060", sms.DeliveryDelivered, "1", time.Unix(1700000060, 0)},
		{"2", "1700000060", sms.DeliveryUndelivered, "2", time.Unix(1700000060, 0)},
		{"3", "null", sms.DeliverySent, "3", time.Time{}},
		{"4", "1700000060", sms.DeliveryFailed, "4", time.Unix(1700000060, 0)},
		{"5", "1700000060", sms.DeliverySent, "5", time.Unix(1700000060, 0)},
		{"6", "1700000060", sms.DeliveryFailed, "6", time.Unix(1700000060, 0)},
		{"7", "1700000060", sms.DeliveryFailed, "7", time.Unix(1700000060, 0)},
		{"null", "null", sms.DeliveryUnknown, "", time.Time{}},
		{"99", "null", sms.DeliveryUnknown, "99", time.Time{}},
	}
	for _, tt := range tests {
		t.Run("state "+tt.state, func(t *testing.T) {
			t.Parallel()
			const id = "9007199254740993"
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, http.MethodGet, "/v1/send/"+id)
				data := strings.Replace(report, "%s", id, 1) + `,"deliveryState":` + tt.state + `,"deliveryDateTime":` + tt.at
				answer(w, http.StatusOK, `{"status":1,"message":"`+ok+`","data":{`+data+`}}`)
			})
			st, err := c.Status(context.Background(), id)
			noError(t, err)
			equal(t, "MessageID", st.MessageID, id)
			equal(t, "Delivery", st.Delivery, tt.want)
			equal(t, "Code", st.Code, tt.code)
			if !st.At.Equal(tt.wantAt) {
				t.Errorf("At = %v, want %v", st.At, tt.wantAt)
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	t.Run("unknown id", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			answer(w, http.StatusBadRequest, `{"status":111,"message":"پیامی با این شناسه ارسال نشده","data":null}`)
		})
		_, err := c.Status(context.Background(), "42")
		perr := providerError(t, err, sms.ErrRejected, "111")
		equal(t, "HTTPStatus", perr.HTTPStatus, 400)
	})
	t.Run("bad key", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			answer(w, http.StatusUnauthorized, `{"status":10,"message":"کلید نامعتبر","data":null}`)
		})
		_, err := c.Status(context.Background(), "42")
		providerError(t, err, sms.ErrBadCredentials, "10")
	})
	t.Run("HTML page", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>Bad Gateway</html>")
		})
		_, err := c.Status(context.Background(), "42")
		providerError(t, err, sms.ErrTemporary, "")
	})
	t.Run("null data", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			answer(w, http.StatusOK, `{"status":1,"message":"ok","data":null}`)
		})
		_, err := c.Status(context.Background(), "42")
		providerError(t, err, sms.ErrTransport, "")
	})
	for _, id := range []string{"", "abc", "-1", "1 2", "../credit", "１２"} {
		t.Run("invalid id "+strconv.Quote(id), func(t *testing.T) {
			t.Parallel()
			c := newClient(t, noRequest(t))
			_, err := c.Status(context.Background(), id)
			if err == nil {
				t.Fatal("no error")
			}
			equal(t, "error", err.Error(), "smsir: status: the message id must be a decimal number")
		})
	}
}

func TestCredit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data string
		want float64
	}{
		{"12345", 12345},
		{"12345.5", 12345.5},
		{"0", 0},
		{`"250"`, 250},
	}
	for _, tt := range tests {
		t.Run(tt.data, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, http.MethodGet, "/v1/credit")
				answer(w, http.StatusOK, `{"status":1,"message":"`+ok+`","data":`+tt.data+`}`)
			})
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
		{"bad key", 401, `{"status":10,"message":"کلید نامعتبر","data":null}`, sms.ErrBadCredentials, "10"},
		{"account suspended", 403, `{"status":14,"message":"حساب معلق","data":null}`, sms.ErrAccessDenied, "14"},
		{"rate limited", 429, `{"status":20,"message":"تعداد درخواست زیاد","data":null}`, sms.ErrRateLimited, "20"},
		{"null data", 200, `{"status":1,"message":"ok","data":null}`, sms.ErrTransport, ""},
		{"text data", 200, `{"status":1,"message":"ok","data":"a lot"}`, sms.ErrTransport, ""},
		{"HTML", 200, `<html></html>`, sms.ErrTransport, ""},
		{"503", 503, ``, sms.ErrTemporary, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				answer(w, tt.status, tt.body)
			})
			_, err := c.Credit(context.Background())
			providerError(t, err, tt.kind, tt.code)
		})
	}
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Parameters []struct{ Value string }
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Parameters) != 1 {
			t.Errorf("bad body: %v", err)
			return
		}
		mu.Lock()
		seen = append(seen, body.Parameters[0].Value)
		mu.Unlock()
		answer(w, http.StatusOK, `{"status":1,"message":"ok","data":{"messageId":`+body.Parameters[0].Value+`,"cost":1}}`)
	})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			v := strconv.Itoa(i + 1)
			r, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "5", Params: []string{v}})
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
	equal(t, "requests", len(seen), 20)
	slices.Sort(seen)
	equal(t, "unique", len(slices.Compact(seen)), 20)
}
