package kavenegar_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/kavenegar"
)

const (
	sendOK = `{"return":{"status":200,"message":"تایید شد"},
 "entries":[{"messageid":1001,"message":"Hi","status":1,"statustext":"در صف ارسال","sender":"10004346","receptor":"09121234567","date":1700000000,"cost":120}]}`
	lookupOK = `{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":1003,"message":"code 123456","status":5,"statustext":"ارسال به مخابرات","sender":"10008663","receptor":"09121234567","date":1700000000,"cost":120}]}`
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  kavenegar.Config
		want string // "" for success
	}{
		{"ok", kavenegar.Config{APIKey: key}, ""},
		{"ok with base URL and slash", kavenegar.Config{APIKey: key, BaseURL: "http://127.0.0.1:1/"}, ""},
		{"no key", kavenegar.Config{}, "kavenegar: Config.APIKey is required"},
		{"blank key", kavenegar.Config{APIKey: "  "}, "kavenegar: Config.APIKey is required"},
		{"relative base URL", kavenegar.Config{APIKey: key, BaseURL: "api.kavenegar.com"}, "Config.BaseURL"},
		{"ftp base URL", kavenegar.Config{APIKey: key, BaseURL: "ftp://api.kavenegar.com"}, "Config.BaseURL"},
		{"base URL with query", kavenegar.Config{APIKey: key, BaseURL: "https://api.kavenegar.com/?x=1"}, "Config.BaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := kavenegar.New(tt.cfg)
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
			noSecret(t, err, key)
		})
	}
}

func TestSendText(t *testing.T) {
	t.Parallel()
	persian := strings.Repeat("سلام ", 20) // 100 UCS-2 units: 2 parts
	tests := []struct {
		name      string
		sender    string
		text      string
		wantForm  map[string]string
		wantParts int
	}{
		{"with sender", "10004346", "Hi", map[string]string{"receptor": "09121234567", "message": "Hi", "sender": "10004346"}, 1},
		{"default line", "", "Hi", map[string]string{"receptor": "09121234567", "message": "Hi"}, 1},
		{"persian two parts", "", persian, map[string]string{"receptor": "09121234567", "message": persian}, 2},
		{"900 characters", "", strings.Repeat("a", 900), map[string]string{"receptor": "09121234567", "message": strings.Repeat("a", 900)}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, "/v1/"+key+"/sms/send.json", tt.wantForm)
				reply(w, http.StatusOK, sendOK)
			}, func(cfg *kavenegar.Config) { cfg.Sender = tt.sender })
			r, err := c.Send(context.Background(), sms.Message{To: "+98 912 123 4567", Text: tt.text})
			noError(t, err)
			equal(t, "Receipt", r, sms.Receipt{Provider: kavenegar.Provider, MessageID: "1001", Parts: tt.wantParts})
		})
	}
}

func TestSendTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		params   []string
		wantForm map[string]string
	}{
		{"one token", []string{"123456"},
			map[string]string{"receptor": "09121234567", "template": "otp", "token": "123456"}},
		{"five tokens", []string{"123456", "Ali", "x-1", "a b c d e f", "1 2 3 4 5 6 7 8 9"},
			map[string]string{"receptor": "09121234567", "template": "otp", "token": "123456", "token2": "Ali", "token3": "x-1",
				"token10": "a b c d e f", "token20": "1 2 3 4 5 6 7 8 9"}},
		{"empty optional token left out", []string{"123456", "", "z"},
			map[string]string{"receptor": "09121234567", "template": "otp", "token": "123456", "token3": "z"}},
		{"persian token", []string{"۱۲۳۴"},
			map[string]string{"receptor": "09121234567", "template": "otp", "token": "۱۲۳۴"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, "/v1/"+key+"/verify/lookup.json", tt.wantForm)
				reply(w, http.StatusOK, lookupOK)
			}, func(cfg *kavenegar.Config) { cfg.Sender = "10004346" }) // not sent with a lookup
			r, err := c.Send(context.Background(), sms.Message{To: "09121234567", Template: "otp", Params: tt.params, Secret: true})
			noError(t, err)
			equal(t, "Receipt", r, sms.Receipt{Provider: kavenegar.Provider, MessageID: "1003", Parts: 1})
		})
	}
}

func TestSendAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		wantID string
	}{
		{"id above 2^53", `{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":9007199254740993,"status":1}]}`, "9007199254740993"},
		{"id as a string", `{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":"1001","status":1}]}`, "1001"},
		{"entries as an object", `{"return":{"status":200,"message":"تایید شد"},"entries":{"messageid":1003,"status":5}}`, "1003"},
		{"no entries", `{"return":{"status":200,"message":"تایید شد"},"entries":null}`, ""},
		{"entries absent", `{"return":{"status":200,"message":"تایید شد"}}`, ""},
		{"empty entries", `{"return":{"status":200,"message":"تایید شد"},"entries":[]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, http.StatusOK, tt.body) })
			r, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
			noError(t, err)
			equal(t, "MessageID", r.MessageID, tt.wantID)
		})
	}
}

func TestBaseURLTrailingSlash(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		equal(t, "path", r.URL.Path, "/v1/"+key+"/sms/send.json")
		reply(w, http.StatusOK, sendOK)
	}))
	t.Cleanup(srv.Close)
	c, err := kavenegar.New(kavenegar.Config{APIKey: key, BaseURL: srv.URL + "/"})
	noError(t, err)
	_, err = c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
	noError(t, err)
}

// codeTable is every return.status code of providers/README.md §1.5 but
// 200, with the kind it must map to.
var codeTable = []struct {
	code int
	kind error
}{
	{400, sms.ErrRejected},
	{401, sms.ErrAccessDenied},
	{402, sms.ErrRejected},
	{403, sms.ErrBadCredentials},
	{404, sms.ErrRejected},
	{405, sms.ErrRejected},
	{406, sms.ErrRejected},
	{407, sms.ErrAccessDenied},
	{409, sms.ErrTemporary},
	{411, sms.ErrInvalidReceiver},
	{412, sms.ErrInvalidSender},
	{413, sms.ErrMessageRejected},
	{414, sms.ErrRejected},
	{415, sms.ErrRejected},
	{416, sms.ErrAccessDenied},
	{417, sms.ErrRejected},
	{418, sms.ErrInsufficientCredit},
	{419, sms.ErrRejected},
	{420, sms.ErrMessageRejected},
	{422, sms.ErrMessageRejected},
	{424, sms.ErrTemplateRejected},
	{426, sms.ErrAccessDenied},
	{427, sms.ErrAccessDenied},
	{428, sms.ErrTemplateRejected},
	{429, sms.ErrAccessDenied},
	{431, sms.ErrTemplateRejected},
	{432, sms.ErrTemplateRejected},
	{451, sms.ErrRateLimited},
	{501, sms.ErrAccessDenied},
	{607, sms.ErrRejected},
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for _, tt := range codeTable {
		for _, inBody200 := range []bool{false, true} {
			name := strconv.Itoa(tt.code)
			status := tt.code
			if inBody200 {
				name += " in HTTP 200"
				status = http.StatusOK
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				msg := "پیام خطا " + strconv.Itoa(tt.code)
				body := fmt.Sprintf(`{"return":{"status":%d,"message":%q},"entries":null}`, tt.code, msg)
				c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, status, body) })
				for _, m := range []sms.Message{
					{To: "09121234567", Text: "Hi"},
					{To: "09121234567", Template: "otp", Params: []string{"1234"}},
				} {
					_, err := c.Send(context.Background(), m)
					perr := providerError(t, err, tt.kind, key)
					equal(t, "Code", perr.Code, strconv.Itoa(tt.code))
					equal(t, "Message", perr.Message, msg)
					equal(t, "HTTPStatus", perr.HTTPStatus, status)
				}
			})
		}
	}
}

func TestUnknownCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		code   int
		kind   error
	}{
		{"unknown 4xx", 433, 433, sms.ErrRejected},
		{"unknown 5xx", 500, 500, sms.ErrTemporary},
		{"unknown code in 503", 503, 999, sms.ErrTemporary},
		{"unknown code in 200", 200, 999, sms.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) {
				reply(w, tt.status, fmt.Sprintf(`{"return":{"status":%d,"message":"x"},"entries":null}`, tt.code))
			})
			_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
			perr := providerError(t, err, tt.kind, key)
			equal(t, "Code", perr.Code, strconv.Itoa(tt.code))
		})
	}
}

func TestBadAnswers(t *testing.T) {
	t.Parallel()
	html := "<html><body><h1>502 Bad Gateway</h1></body></html>"
	tests := []struct {
		name     string
		status   int
		body     string
		kind     error
		wantCode string
	}{
		{"HTML page in 200", 200, html, sms.ErrTransport, ""},
		{"empty body in 200", 200, "", sms.ErrTransport, ""},
		{"truncated JSON in 200", 200, `{"return":{"status":200,"message":"تایید`, sms.ErrTransport, ""},
		{"plain text in 200", 200, "OK", sms.ErrTransport, ""},
		{"JSON without return", 200, `{"foo":1}`, sms.ErrTransport, ""},
		{"entries of the wrong shape", 200, `{"return":{"status":200,"message":"ok"},"entries":"x"}`, sms.ErrTransport, ""},
		{"message id not a number", 200, `{"return":{"status":200,"message":"ok"},"entries":[{"messageid":"abc"}]}`, sms.ErrTransport, ""},
		{"500 JSON", 500, `{"return":{"status":500,"message":"internal"},"entries":null}`, sms.ErrTemporary, "500"},
		{"502 JSON", 502, `{"return":{"status":502,"message":"bad gateway"},"entries":null}`, sms.ErrTemporary, "502"},
		{"503 JSON", 503, `{"return":{"status":503,"message":"maintenance"},"entries":null}`, sms.ErrTemporary, "503"},
		{"500 empty", 500, "", sms.ErrTemporary, ""},
		{"502 HTML", 502, html, sms.ErrTemporary, ""},
		{"503 HTML", 503, html, sms.ErrTemporary, ""},
		{"503 truncated JSON", 503, `{"return":`, sms.ErrTemporary, ""},
		{"418 HTML falls back to the HTTP status", 418, html, sms.ErrInsufficientCredit, "418"},
		{"403 empty falls back to the HTTP status", 403, "", sms.ErrBadCredentials, "403"},
		{"error status with an empty return", 411, `{"return":{},"entries":null}`, sms.ErrInvalidReceiver, "411"},
		{"unknown error status, HTML", 499, html, sms.ErrRejected, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			_, err := c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
			perr := providerError(t, err, tt.kind, key)
			equal(t, "Code", perr.Code, tt.wantCode)
			equal(t, "HTTPStatus", perr.HTTPStatus, tt.status)
		})
	}
}

// TestTransport covers failures to get any answer, each with the API key
// (which is in the URL, and so in url.Error's text) redacted. The odd key
// checks that its URL-escaped form is redacted too.
func TestTransport(t *testing.T) {
	t.Parallel()
	for _, k := range []string{key, "SECRET KEY/123+é"} {
		t.Run("closed server/"+k, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(noRequest(t))
			srv.Close()
			c, err := kavenegar.New(kavenegar.Config{APIKey: k, BaseURL: srv.URL})
			noError(t, err)
			_, err = c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
			providerError(t, err, sms.ErrTransport, k)
			noSecret(t, err, "SECRET")
		})
		t.Run("client timeout/"+k, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(hang))
			t.Cleanup(srv.Close)
			c, err := kavenegar.New(kavenegar.Config{APIKey: k, BaseURL: srv.URL, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
			noError(t, err)
			_, err = c.Send(context.Background(), sms.Message{To: "09121234567", Text: "Hi"})
			perr := providerError(t, err, sms.ErrTransport, k)
			noSecret(t, err, "SECRET")
			if !perr.Retryable() {
				t.Error("a timeout is not Retryable")
			}
		})
	}
	t.Run("ctx deadline", func(t *testing.T) {
		t.Parallel()
		c := fake(t, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, sms.Message{To: "09121234567", Template: "otp", Params: []string{"1234"}})
		providerError(t, err, sms.ErrTransport, key)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want one matching context.DeadlineExceeded", err)
		}
	})
	t.Run("ctx cancelled", func(t *testing.T) {
		t.Parallel()
		c := fake(t, noRequest(t))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, sms.Message{To: "09121234567", Text: "Hi"})
		providerError(t, err, sms.ErrTransport, key)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want one matching context.Canceled", err)
		}
	})
}

func TestValidation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("۱", 101)
	tests := []struct {
		name  string
		m     sms.Message
		field string // "" for an error of Message.Validate
		is    error
	}{
		{"invalid number", sms.Message{To: "0211234567", Text: "Hi"}, "", sms.ErrInvalidNumber},
		{"empty message", sms.Message{To: "09121234567"}, "", sms.ErrEmptyMessage},
		{"text over 900", sms.Message{To: "09121234567", Text: strings.Repeat("a", 901)}, "text", nil},
		{"persian text over 900", sms.Message{To: "09121234567", Text: strings.Repeat("س", 901)}, "text", nil},
		{"no params", sms.Message{To: "09121234567", Template: "otp"}, "params[0]", nil},
		{"empty first token", sms.Message{To: "09121234567", Template: "otp", Params: []string{"", "x"}}, "params[0]", nil},
		{"six params", sms.Message{To: "09121234567", Template: "otp", Params: []string{"1", "2", "3", "4", "5", "6"}}, "params", nil},
		{"space in token", sms.Message{To: "09121234567", Template: "otp", Params: []string{"12 34"}}, "params[0]", nil},
		{"newline in token2", sms.Message{To: "09121234567", Template: "otp", Params: []string{"1", "a\nb"}}, "params[1]", nil},
		{"tab in token3", sms.Message{To: "09121234567", Template: "otp", Params: []string{"1", "2", "a\tb"}}, "params[2]", nil},
		{"underscore in token", sms.Message{To: "09121234567", Template: "otp", Params: []string{"a_b"}}, "params[0]", nil},
		{"underscore in token3", sms.Message{To: "09121234567", Template: "otp", Params: []string{"1", "2", "a_b"}}, "params[2]", nil},
		{"six spaces in token10", sms.Message{To: "09121234567", Template: "otp", Params: []string{"1", "2", "3", "a b c d e f g"}}, "params[3]", nil},
		{"nine spaces in token20", sms.Message{To: "09121234567", Template: "otp", Params: []string{"1", "2", "3", "4", "a b c d e f g h i j"}}, "params[4]", nil},
		{"token over 100", sms.Message{To: "09121234567", Template: "otp", Params: []string{long}}, "params[0]", nil},
		{"token20 over 100", sms.Message{To: "09121234567", Template: "otp", Params: []string{"1", "2", "3", "4", long}}, "params[4]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, noRequest(t))
			_, err := c.Send(context.Background(), tt.m)
			if tt.field == "" {
				if !errors.Is(err, tt.is) {
					t.Fatalf("error = %v, want one matching %v", err, tt.is)
				}
				return
			}
			var verr *sms.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error = %v, want an *sms.ValidationError", err)
			}
			if !errors.Is(err, sms.ErrInvalidMessage) {
				t.Errorf("error = %v, want one matching sms.ErrInvalidMessage", err)
			}
			equal(t, "Provider", verr.Provider, kavenegar.Provider)
			equal(t, "Field", verr.Field, tt.field)
			for _, p := range tt.m.Params {
				if len(p) > 2 && strings.Contains(err.Error(), p) {
					t.Errorf("error %q quotes a token", err)
				}
			}
		})
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code int
		want sms.Delivery
	}{
		{1, sms.DeliveryPending},
		{2, sms.DeliveryPending},
		{4, sms.DeliverySent},
		{5, sms.DeliverySent},
		{6, sms.DeliveryFailed},
		{10, sms.DeliveryDelivered},
		{11, sms.DeliveryUndelivered},
		{13, sms.DeliveryFailed},
		{14, sms.DeliveryFailed},
		{50, sms.DeliveryUnknown},
		{100, sms.DeliveryUnknown},
		{77, sms.DeliveryUnknown},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, "/v1/"+key+"/sms/status.json", map[string]string{"messageid": "9007199254740993"})
				reply(w, http.StatusOK, fmt.Sprintf(`{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":9007199254740993,"status":%d,"statustext":"..."}]}`, tt.code))
			})
			st, err := c.Status(context.Background(), "9007199254740993")
			noError(t, err)
			equal(t, "Status", st, sms.Status{MessageID: "9007199254740993", Delivery: tt.want, Code: strconv.Itoa(tt.code)})
		})
	}
	t.Run("no entries", func(t *testing.T) {
		t.Parallel()
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			reply(w, http.StatusOK, `{"return":{"status":200,"message":"تایید شد"},"entries":[]}`)
		})
		st, err := c.Status(context.Background(), "1")
		noError(t, err)
		equal(t, "Status", st, sms.Status{MessageID: "1", Delivery: sms.DeliveryUnknown})
	})
	t.Run("bad key", func(t *testing.T) {
		t.Parallel()
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			reply(w, http.StatusForbidden, `{"return":{"status":403,"message":"کلید نامعتبر"},"entries":null}`)
		})
		_, err := c.Status(context.Background(), "1")
		perr := providerError(t, err, sms.ErrBadCredentials, key)
		equal(t, "Code", perr.Code, "403")
	})
	t.Run("HTML page", func(t *testing.T) {
		t.Parallel()
		c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, http.StatusOK, "<html></html>") })
		_, err := c.Status(context.Background(), "1")
		providerError(t, err, sms.ErrTransport, key)
	})
	for _, id := range []string{"", "1,2", "abc", "-1", "1 "} {
		t.Run("invalid id "+strconv.Quote(id), func(t *testing.T) {
			t.Parallel()
			c := fake(t, noRequest(t))
			if _, err := c.Status(context.Background(), id); err == nil {
				t.Fatal("Status accepted an invalid id")
			}
		})
	}
}

func TestCredit(t *testing.T) {
	t.Parallel()
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			checkRequest(t, r, "/v1/"+key+"/account/info.json", map[string]string{})
			reply(w, http.StatusOK, `{"return":{"status":200,"message":"تایید شد"},"entries":{"remaincredit":150000,"expiredate":1735689600,"type":"master"}}`)
		})
		credit, err := c.Credit(context.Background())
		noError(t, err)
		equal(t, "credit", credit, 150000.0)
	})
	tests := []struct {
		name   string
		status int
		body   string
		kind   error
		code   string
	}{
		{"account disabled", 401, `{"return":{"status":401,"message":"حساب غیرفعال"},"entries":null}`, sms.ErrAccessDenied, "401"},
		{"IP not allowed", 200, `{"return":{"status":416,"message":"IP"},"entries":null}`, sms.ErrAccessDenied, "416"},
		{"no remaincredit", 200, `{"return":{"status":200,"message":"تایید شد"},"entries":{}}`, sms.ErrTransport, ""},
		{"null entries", 200, `{"return":{"status":200,"message":"تایید شد"},"entries":null}`, sms.ErrTransport, ""},
		{"entries an array", 200, `{"return":{"status":200,"message":"تایید شد"},"entries":[]}`, sms.ErrTransport, ""},
		{"502 HTML", 502, `<html>bad gateway</html>`, sms.ErrTemporary, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, tt.status, tt.body) })
			_, err := c.Credit(context.Background())
			perr := providerError(t, err, tt.kind, key)
			equal(t, "Code", perr.Code, tt.code)
		})
	}
	t.Run("closed server", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(noRequest(t))
		srv.Close()
		c, err := kavenegar.New(kavenegar.Config{APIKey: key, BaseURL: srv.URL})
		noError(t, err)
		_, err = c.Credit(context.Background())
		providerError(t, err, sms.ErrTransport, key)
	})
}
