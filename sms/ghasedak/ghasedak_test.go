package ghasedak_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/ghasedak"
)

const otpOK = `{"isSuccess":true,"statusCode":200,"message":"با موفقیت انجام شد",
 "data":{"lineNumber":"30005088","messageBody":"کد شما 123456","items":[{"receptor":"09121234567","cost":1150,"messageId":"2366799","sendDate":"2024-07-11T18:16:05.952Z","clientReferenceId":"ref"}],"totalCost":1150}}`

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  ghasedak.Config
		want string // "" for success
	}{
		{"ok", ghasedak.Config{APIKey: key}, ""},
		{"ok with names and slash", ghasedak.Config{APIKey: key, ParamNames: []string{"Name", "Code"}, BaseURL: "http://127.0.0.1:1/x/"}, ""},
		{"no key", ghasedak.Config{}, "ghasedak: Config.APIKey is required"},
		{"blank key", ghasedak.Config{APIKey: " \t"}, "ghasedak: Config.APIKey is required"},
		{"key with a line break", ghasedak.Config{APIKey: key + "\r\nX: y"}, "Config.APIKey"},
		{"empty param name", ghasedak.Config{APIKey: key, ParamNames: []string{"Code", ""}}, "Config.ParamNames[1]"},
		{"repeated param name", ghasedak.Config{APIKey: key, ParamNames: []string{"Code", "Code"}}, "Config.ParamNames"},
		{"relative base URL", ghasedak.Config{APIKey: key, BaseURL: "gw.ghasedak.me"}, "Config.BaseURL"},
		{"base URL with query", ghasedak.Config{APIKey: key, BaseURL: "https://gw.ghasedak.me/?a=1"}, "Config.BaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := ghasedak.New(tt.cfg)
			if tt.want == "" {
				noError(t, err)
				if c == nil {
					t.Fatal("New returned a nil Client")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
			noSecret(t, err)
		})
	}
}

// otpBody is SendOtpSMS's body with every field kept raw, to check names.
type otpBody struct {
	SendDate     string `json:"sendDate"`
	Receptors    []map[string]string
	TemplateName string `json:"templateName"`
	Inputs       []map[string]string
	UDH          *bool `json:"udh"`
}

// checkOtpBody asserts that r's body is exactly the spec's SendOtpSMS
// shape for one receiver and the given inputs.
func checkOtpBody(t *testing.T, r *http.Request, template string, inputs [][2]string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("reading body: %v", err)
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Errorf("body %s is not a JSON object: %v", raw, err)
		return
	}
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	equal(t, "body fields", strings.Join(names, ","), "inputs,receptors,sendDate,templateName,udh")

	var b otpBody
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Errorf("body %s: %v", raw, err)
		return
	}
	if d, err := time.Parse(time.RFC3339, b.SendDate); err != nil {
		t.Errorf("sendDate %q is not ISO 8601: %v", b.SendDate, err)
	} else if since := time.Since(d); since < -time.Minute || since > time.Minute {
		t.Errorf("sendDate %q is not now", b.SendDate)
	}
	if len(b.Receptors) != 1 {
		t.Errorf("receptors = %v, want one", b.Receptors)
	} else {
		rc := b.Receptors[0]
		equal(t, "receptor fields", len(rc), 2)
		equal(t, "mobile", rc["mobile"], "09121234567")
		if rc["clientReferenceId"] == "" {
			t.Error("clientReferenceId is empty")
		}
	}
	equal(t, "templateName", b.TemplateName, template)
	if !strings.Contains(string(fields["inputs"]), "[") {
		t.Errorf("inputs = %s, want an array", fields["inputs"])
	}
	equal(t, "inputs count", len(b.Inputs), len(inputs))
	for i, in := range b.Inputs {
		if i >= len(inputs) {
			break
		}
		equal(t, "input fields", len(in), 2)
		equal(t, "inputs["+strconv.Itoa(i)+"].param", in["param"], inputs[i][0])
		equal(t, "inputs["+strconv.Itoa(i)+"].value", in["value"], inputs[i][1])
	}
	if b.UDH == nil || *b.UDH {
		t.Errorf("udh = %s, want false", fields["udh"])
	}
}

func TestSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		names  []string
		params []string
		inputs [][2]string
	}{
		{"default name", nil, []string{"123456"}, [][2]string{{"Code", "123456"}}},
		{"two names", []string{"Name", "Code"}, []string{"علی", "123456"}, [][2]string{{"Name", "علی"}, {"Code", "123456"}}},
		{"fewer params than names", []string{"Name", "Code"}, []string{"علی"}, [][2]string{{"Name", "علی"}}},
		{"no params", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) {
				checkCall(t, r, http.MethodPost, "SendOtpSMS")
				equal(t, "query", r.URL.RawQuery, "")
				checkOtpBody(t, r, "newOTP", tt.inputs)
				reply(w, http.StatusOK, otpOK)
			}, func(cfg *ghasedak.Config) { cfg.ParamNames = tt.names })
			r, err := c.Send(context.Background(), sms.Message{To: "+98 912 123 4567", Template: "newOTP", Params: tt.params, Secret: true})
			noError(t, err)
			equal(t, "Receipt", r, sms.Receipt{Provider: ghasedak.Provider, MessageID: "2366799", Parts: 1})
		})
	}
}

func TestSendReferenceIDs(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		refs []string
	)
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		var b otpBody
		_ = json.NewDecoder(r.Body).Decode(&b)
		if len(b.Receptors) == 1 {
			mu.Lock()
			refs = append(refs, b.Receptors[0]["clientReferenceId"])
			mu.Unlock()
		}
		reply(w, http.StatusOK, otpOK)
	})
	for range 2 {
		_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "t", Params: []string{"1"}})
		noError(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(refs) != 2 || refs[0] == refs[1] {
		t.Errorf("clientReferenceIds = %q, want two different ones", refs)
	}
}

func TestSendAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		wantID string
	}{
		{"id as a number above 2^53", `{"isSuccess":true,"statusCode":200,"message":"ok","data":{"items":[{"messageId":9007199254740993}]}}`, "9007199254740993"},
		{"id as a long string", `{"isSuccess":true,"statusCode":200,"message":"ok","data":{"items":[{"messageId":"9007199254740993"}]}}`, "9007199254740993"},
		{"null data", `{"isSuccess":true,"statusCode":200,"message":"ok","data":null}`, ""},
		{"no items", `{"isSuccess":true,"statusCode":200,"message":"ok","data":{"items":[]}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, http.StatusOK, tt.body) })
			r, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "t", Params: []string{"1"}})
			noError(t, err)
			equal(t, "MessageID", r.MessageID, tt.wantID)
		})
	}
}

// codeTable is every result code of providers/README.md §5.1 but 200,
// with the kind it must map to.
var codeTable = []struct {
	code int
	kind error
}{
	{400, sms.ErrRejected},
	{401, sms.ErrBadCredentials},
	{402, sms.ErrTemporary},
	{406, sms.ErrAccessDenied},
	{412, sms.ErrAccessDenied},
	{413, sms.ErrMessageRejected},
	{418, sms.ErrInsufficientCredit},
	{419, sms.ErrRejected},
	{420, sms.ErrMessageRejected},
	{422, sms.ErrMessageRejected},
	{426, sms.ErrAccessDenied},
	{428, sms.ErrTemplateRejected},
	{451, sms.ErrRejected},
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for _, tt := range codeTable {
		for _, status := range []int{http.StatusOK, http.StatusBadRequest, tt.code} {
			t.Run(fmt.Sprintf("%d in HTTP %d", tt.code, status), func(t *testing.T) {
				t.Parallel()
				msg := "پیام خطا " + strconv.Itoa(tt.code)
				body := fmt.Sprintf(`{"isSuccess":false,"statusCode":%d,"message":%q,"data":null}`, tt.code, msg)
				c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, status, body) })
				_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "t", Params: []string{"1"}})
				perr := providerError(t, err, tt.kind)
				equal(t, "Code", perr.Code, strconv.Itoa(tt.code))
				equal(t, "Message", perr.Message, msg)
				equal(t, "HTTPStatus", perr.HTTPStatus, status)
			})
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	html := "<html><body><h1>502 Bad Gateway</h1></body></html>"
	tests := []struct {
		name    string
		status  int
		body    string
		kind    error
		code    string
		message string // checked when set
	}{
		{"unknown code in 200", 200, `{"isSuccess":false,"statusCode":999,"message":"x","data":null}`, sms.ErrRejected, "999", "x"},
		{"isSuccess false with 200", 200, `{"isSuccess":false,"statusCode":200,"message":"failed","data":null}`, sms.ErrRejected, "200", "failed"},
		{"isSuccess absent", 200, `{"statusCode":200,"message":"?"}`, sms.ErrRejected, "200", ""},
		{"code 429 by HTTP rules", 200, `{"isSuccess":false,"statusCode":429,"message":"slow down","data":null}`, sms.ErrRateLimited, "429", ""},
		{"code 403 by HTTP rules", 403, `{"isSuccess":false,"statusCode":403,"message":"forbidden","data":null}`, sms.ErrAccessDenied, "403", ""},
		{"no code in 401", 401, `{"isSuccess":false,"message":"unauthorized"}`, sms.ErrBadCredentials, "", "unauthorized"},
		{"no code in 429", 429, `{"isSuccess":false}`, sms.ErrRateLimited, "", ""},
		{"unknown code in 500", 500, `{"isSuccess":false,"statusCode":404,"message":"x"}`, sms.ErrTemporary, "404", ""},
		{"isSuccess true in 500", 500, `{"isSuccess":true,"statusCode":200,"message":"?"}`, sms.ErrTemporary, "200", ""},
		{"problem details", 400, `{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more validation errors occurred.","status":400,"errors":{"Receptors":["required"]}}`,
			sms.ErrRejected, "", "One or more validation errors occurred."},
		{"500 JSON", 500, `{"isSuccess":false,"statusCode":500,"message":"internal error","data":null}`, sms.ErrTemporary, "500", ""},
		{"502 JSON", 502, `{"isSuccess":false,"statusCode":502,"message":"bad gateway","data":null}`, sms.ErrTemporary, "502", ""},
		{"503 JSON", 503, `{"isSuccess":false,"statusCode":503,"message":"maintenance","data":null}`, sms.ErrTemporary, "503", ""},
		{"500 empty", 500, "", sms.ErrTemporary, "", ""},
		{"502 HTML", 502, html, sms.ErrTemporary, "", ""},
		{"503 HTML", 503, html, sms.ErrTemporary, "", ""},
		{"401 empty", 401, "", sms.ErrBadCredentials, "", ""},
		{"404 HTML", 404, html, sms.ErrRejected, "", ""},
		{"HTML page in 200", 200, html, sms.ErrTransport, "", ""},
		{"empty body in 200", 200, "", sms.ErrTransport, "", ""},
		{"truncated JSON in 200", 200, `{"isSuccess":true,"statusCode":200,"data":{"items":[{"messageId":"1`, sms.ErrTransport, "", ""},
		{"statusCode not a number", 200, `{"isSuccess":true,"statusCode":"OK"}`, sms.ErrTransport, "", ""},
		{"data of the wrong shape", 200, `{"isSuccess":true,"statusCode":200,"data":[1,2]}`, sms.ErrTransport, "", ""},
		{"message id of the wrong type", 200, `{"isSuccess":true,"statusCode":200,"data":{"items":[{"messageId":{}}]}}`, sms.ErrTransport, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, tt.status, tt.body) })
			_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "t", Params: []string{"1"}})
			perr := providerError(t, err, tt.kind)
			equal(t, "Code", perr.Code, tt.code)
			equal(t, "HTTPStatus", perr.HTTPStatus, tt.status)
			if tt.message != "" {
				equal(t, "Message", perr.Message, tt.message)
			}
		})
	}
}

func TestTransport(t *testing.T) {
	t.Parallel()
	t.Run("closed server", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(noRequest(t))
		srv.Close()
		c, err := ghasedak.New(ghasedak.Config{APIKey: key, BaseURL: srv.URL})
		noError(t, err)
		_, err = c.Send(context.Background(), sms.Message{To: "09121234567", Template: "t", Params: []string{"1"}})
		providerError(t, err, sms.ErrTransport)
	})
	t.Run("client timeout", func(t *testing.T) {
		t.Parallel()
		c := fake(t, hang, func(cfg *ghasedak.Config) { cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
		_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "t", Params: []string{"1"}})
		perr := providerError(t, err, sms.ErrTransport)
		if !perr.Retryable() {
			t.Error("a timeout is not Retryable")
		}
	})
	t.Run("ctx deadline", func(t *testing.T) {
		t.Parallel()
		c := fake(t, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, sms.Message{To: "09121234567", Template: "t", Params: []string{"1"}})
		providerError(t, err, sms.ErrTransport)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want one matching context.DeadlineExceeded", err)
		}
	})
	t.Run("ctx cancelled", func(t *testing.T) {
		t.Parallel()
		c := fake(t, noRequest(t))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, sms.Message{To: "09121234567", Template: "t", Params: []string{"1"}})
		providerError(t, err, sms.ErrTransport)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want one matching context.Canceled", err)
		}
	})
}

func TestNoRequest(t *testing.T) {
	t.Parallel()
	t.Run("plain text", func(t *testing.T) {
		t.Parallel()
		c := fake(t, noRequest(t))
		_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
		perr := providerError(t, err, sms.ErrTemplateRequired)
		equal(t, "HTTPStatus", perr.HTTPStatus, 0)
		if perr.Retryable() {
			t.Error("ErrTemplateRequired is Retryable")
		}
	})
	t.Run("too many params", func(t *testing.T) {
		t.Parallel()
		c := fake(t, noRequest(t), func(cfg *ghasedak.Config) { cfg.ParamNames = []string{"Name", "Code"} })
		_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "t", Params: []string{"a", "b", "c"}})
		var verr *sms.ValidationError
		if !errors.As(err, &verr) {
			t.Fatalf("error = %v, want an *sms.ValidationError", err)
		}
		if !errors.Is(err, sms.ErrInvalidMessage) {
			t.Errorf("error = %v, want one matching sms.ErrInvalidMessage", err)
		}
		equal(t, "Provider", verr.Provider, ghasedak.Provider)
		equal(t, "Field", verr.Field, "params")
	})
	t.Run("two params, default name", func(t *testing.T) {
		t.Parallel()
		c := fake(t, noRequest(t))
		_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "t", Params: []string{"a", "b"}})
		if !errors.Is(err, sms.ErrInvalidMessage) {
			t.Errorf("error = %v, want one matching sms.ErrInvalidMessage", err)
		}
	})
	for _, tt := range []struct {
		name string
		m    sms.Message
		is   error
	}{
		{"invalid number", sms.Message{To: "12345", Template: "t", Params: []string{"1"}}, sms.ErrInvalidNumber},
		{"empty message", sms.Message{To: "09121234567"}, sms.ErrEmptyMessage},
		{"invalid number, plain text", sms.Message{To: "12345", Text: "Hi"}, sms.ErrInvalidNumber},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, noRequest(t))
			_, err := c.Send(context.Background(), tt.m)
			if !errors.Is(err, tt.is) {
				t.Errorf("error = %v, want one matching %v", err, tt.is)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status string // JSON value
		want   sms.Delivery
	}{
		{"0", sms.DeliveryPending},
		{"1", sms.DeliveryFailed},
		{"2", sms.DeliveryPending},
		{"3", sms.DeliveryPending},
		{"4", sms.DeliverySent},
		{"5", sms.DeliveryUnknown},
		{"6", sms.DeliveryFailed},
		{"7", sms.DeliveryFailed},
		{"8", sms.DeliveryFailed},
		{"9", sms.DeliveryPending},
		{"10", sms.DeliverySent},
		{"11", sms.DeliverySent},
		{"12", sms.DeliveryFailed},
		{"13", sms.DeliveryUndelivered},
		{"14", sms.DeliveryDelivered},
		{"15", sms.DeliveryFailed},
		{"16", sms.DeliveryFailed},
		{"17", sms.DeliveryPending},
		{"99", sms.DeliveryUnknown},
		{"null", sms.DeliveryUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) {
				checkCall(t, r, http.MethodGet, "CheckSmsStatus")
				q := r.URL.Query()
				equal(t, "query fields", len(q), 2)
				equal(t, "Type", strings.Join(q["Type"], ","), "1")
				equal(t, "Ids", strings.Join(q["Ids"], ","), "2366799")
				reply(w, http.StatusOK, `{"isSuccess":true,"statusCode":200,"message":"ok","data":[{"messageId":"2366799","clientReferenceId":null,"message":"کد شما 123456","lineNumber":"30005088","receptor":"09121234567","status":`+tt.status+`,"price":1150,"sendDate":"2024-07-11T18:16:05"}]}`)
			})
			st, err := c.Status(context.Background(), "2366799")
			noError(t, err)
			want := sms.Status{MessageID: "2366799", Delivery: tt.want}
			if tt.status != "null" {
				want.Code = tt.status
			}
			equal(t, "Status", st, want)
		})
	}
	t.Run("empty data", func(t *testing.T) {
		t.Parallel()
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			reply(w, http.StatusOK, `{"isSuccess":true,"statusCode":200,"message":"ok","data":[]}`)
		})
		st, err := c.Status(context.Background(), "1")
		noError(t, err)
		equal(t, "Status", st, sms.Status{MessageID: "1", Delivery: sms.DeliveryUnknown})
	})
	t.Run("bad key", func(t *testing.T) {
		t.Parallel()
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			reply(w, http.StatusUnauthorized, `{"isSuccess":false,"statusCode":401,"message":"کلید نامعتبر","data":null}`)
		})
		_, err := c.Status(context.Background(), "1")
		perr := providerError(t, err, sms.ErrBadCredentials)
		equal(t, "Code", perr.Code, "401")
	})
	t.Run("HTML page", func(t *testing.T) {
		t.Parallel()
		c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, http.StatusOK, "<html></html>") })
		_, err := c.Status(context.Background(), "1")
		providerError(t, err, sms.ErrTransport)
	})
	t.Run("empty id", func(t *testing.T) {
		t.Parallel()
		c := fake(t, noRequest(t))
		if _, err := c.Status(context.Background(), ""); err == nil {
			t.Fatal("Status accepted an empty id")
		}
	})
}

func TestCredit(t *testing.T) {
	t.Parallel()
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			checkCall(t, r, http.MethodGet, "GetAccountInformation")
			equal(t, "query", r.URL.RawQuery, "")
			reply(w, http.StatusOK, `{"isSuccess":true,"statusCode":200,"message":"ok","data":{"credit":2500000,"expireDate":"2026-03-20T00:00:00","plan":"Gold"}}`)
		})
		credit, err := c.Credit(context.Background())
		noError(t, err)
		equal(t, "credit", credit, 2500000.0)
	})
	tests := []struct {
		name   string
		status int
		body   string
		kind   error
		code   string
	}{
		{"bad key", 401, `{"isSuccess":false,"statusCode":401,"message":"کلید نامعتبر","data":null}`, sms.ErrBadCredentials, "401"},
		{"failed in 200", 200, `{"isSuccess":false,"statusCode":412,"message":"دسترسی","data":null}`, sms.ErrAccessDenied, "412"},
		{"no credit", 200, `{"isSuccess":true,"statusCode":200,"message":"ok","data":{"plan":"Gold"}}`, sms.ErrTransport, ""},
		{"null data", 200, `{"isSuccess":true,"statusCode":200,"message":"ok","data":null}`, sms.ErrTransport, ""},
		{"503 HTML", 503, `<html>maintenance</html>`, sms.ErrTemporary, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, tt.status, tt.body) })
			_, err := c.Credit(context.Background())
			perr := providerError(t, err, tt.kind)
			equal(t, "Code", perr.Code, tt.code)
		})
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		c := fake(t, hang, func(cfg *ghasedak.Config) { cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
		_, err := c.Credit(context.Background())
		providerError(t, err, sms.ErrTransport)
	})
}
