package contract

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chelseru/chelseru-go/sms"
)

// staff logs in a user and makes them staff; the token stays valid, and
// the staff flag is read at the next session check.
func (e *env) staff(mobile string) string {
	e.t.Helper()
	access := e.login(mobile).str("access")
	if _, err := e.st.SetStaff(context.Background(), mobile, true); err != nil {
		e.t.Fatal(err)
	}
	e.clock.Advance(6e9) // past the session check interval
	return access
}

func TestMessageSend(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const path = "/api/message/send/"
		body := map[string]any{"mobile_number": "09120000099", "message_text": "سلام دنیا"}

		wantError(t, e.postAuth(path, "", body), http.StatusUnauthorized, "unauthorized")
		user := e.login("09120000060").str("access")
		wantError(t, e.postAuth(path, user, body), http.StatusForbidden, "forbidden")

		admin := e.staff("09120000061")
		sent := e.sms.Len()
		r := e.postAuth(path, admin, body)
		wantStatus(t, r, http.StatusOK)
		if r.str("details") != "The Message was sent correctly." || r.str("provider") != "smstest" || r.body["parts"] != float64(1) || r.str("message_id") == "" {
			t.Errorf("body %s", r.raw)
		}
		if m, _ := e.sms.Last(); e.sms.Len() != sent+1 || m.To != "09120000099" || m.Text != "سلام دنیا" {
			t.Errorf("sent %+v", m)
		}

		// A template: the text holds its values, separated by ";".
		r = e.postAuth(path, admin, map[string]any{"mobile_number": "+989120000099", "message_text": "12345;Ali", "template_id": 100})
		wantStatus(t, r, http.StatusOK)
		if m, _ := e.sms.Last(); m.Template != "100" || strings.Join(m.Params, "|") != "12345|Ali" || m.Text != "" {
			t.Errorf("template send %+v", m)
		}
		r = e.postAuth(path, admin, map[string]any{"mobile_number": "09120000099", "message_text": "x", "template_id": "otp"})
		wantStatus(t, r, http.StatusOK)

		// Bad input: 400s; nothing sent.
		sent = e.sms.Len()
		for _, c := range []struct {
			body  map[string]any
			code  string
			field string
		}{
			{map[string]any{"message_text": "x"}, "invalid_mobile", "mobile_number"},
			{map[string]any{"mobile_number": "0912000009", "message_text": "x"}, "invalid_mobile", "mobile_number"},
			{map[string]any{"mobile_number": 9120000099, "message_text": "x"}, "invalid_mobile", "mobile_number"},
			{map[string]any{"mobile_number": "09120000099"}, "invalid_request", "message_text"},
			{map[string]any{"mobile_number": "09120000099", "message_text": ""}, "invalid_request", "message_text"},
			{map[string]any{"mobile_number": "09120000099", "message_text": 5}, "invalid_request", "message_text"},
			{map[string]any{"mobile_number": "09120000099", "message_text": strings.Repeat("ب", 291)}, "invalid_request", "message_text"},
			{map[string]any{"mobile_number": "09120000099", "message_text": "x", "template_id": true}, "invalid_request", "template_id"},
			{map[string]any{"mobile_number": "09120000099", "message_text": "x", "template_id": 1.5}, "invalid_request", "template_id"},
		} {
			wantError(t, e.postAuth(path, admin, c.body), http.StatusBadRequest, c.code, c.field)
		}
		for _, bad := range []string{"a\x00b", "bell\a"} {
			wantError(t, e.postAuth(path, admin, map[string]any{"mobile_number": "09120000099", "message_text": bad}), http.StatusBadRequest, "invalid_request", "message_text")
		}
		// 290 characters of Persian is the limit, not over it, once the
		// surrounding spaces are trimmed (and sent trimmed).
		wantStatus(t, e.postAuth(path, admin, map[string]any{"mobile_number": "09120000099", "message_text": "  " + strings.Repeat("ب", 290) + "\n"}), http.StatusOK)
		if m, _ := e.sms.Last(); m.Text != strings.Repeat("ب", 290) {
			t.Errorf("sent %q", m.Text)
		}
		// A null template_id is no template.
		wantStatus(t, e.postAuth(path, admin, map[string]any{"mobile_number": "09120000099", "message_text": "x", "template_id": nil}), http.StatusOK)
		if m, _ := e.sms.Last(); m.Template != "" || m.Text != "x" {
			t.Errorf("sent %+v", m)
		}
		if e.sms.Len() != sent+2 {
			t.Errorf("%d messages sent for bad requests", e.sms.Len()-sent-2)
		}
	})
}

func TestMessageSendProviderErrors(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const path = "/api/message/send/"
		admin := e.staff("09120000062")
		body := map[string]any{"mobile_number": "09120000099", "message_text": "hi"}

		e.sms.SetErr(&sms.ProviderError{Provider: "kavenegar", Kind: sms.ErrInsufficientCredit, Code: "418", Message: "اعتبار کافی نیست", HTTPStatus: 418})
		r := e.postAuth(path, admin, body)
		wantError(t, r, http.StatusBadGateway, "provider_error")
		if r.str("provider") != "kavenegar" || r.body["provider_code"] != float64(418) {
			t.Errorf("502 body %s", r.raw)
		}
		for k := range r.body {
			if k != "error" && k != "code" && k != "provider" && k != "provider_code" && k != "kind" {
				t.Errorf("502 body has %q: %s", k, r.raw)
			}
		}
		e.sms.SetErr(&sms.ProviderError{Provider: "melipayamak", Kind: sms.ErrInvalidReceiver, Code: "InvalidData"})
		if r := e.postAuth(path, admin, body); r.body["provider_code"] != "InvalidData" {
			t.Errorf("string provider code: %s", r.raw)
		}
		e.sms.SetErr(&sms.ProviderError{Provider: "parsian", Kind: sms.ErrTemplateRequired})
		wantError(t, e.postAuth(path, admin, body), http.StatusBadRequest, "invalid_request", "template_id")
		e.sms.SetErr(&sms.ValidationError{Provider: "kavenegar", Field: "params[0]", Reason: "must not contain spaces"})
		wantError(t, e.postAuth(path, admin, body), http.StatusBadRequest, "invalid_request", "message_text")
		e.sms.SetErr(nil)
	})
}

func TestMessageSendLimit(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		admin := e.staff("09120000063")
		body := map[string]any{"mobile_number": "09120000099", "message_text": "hi"}
		for i := range 5 {
			if r := e.postAuth("/api/message/send/", admin, body); r.status != http.StatusOK {
				t.Fatalf("send %d: %s", i+1, r.raw)
			}
		}
		r := e.postAuth("/api/message/send/", admin, body)
		wantError(t, r, http.StatusTooManyRequests, "rate_limited")
		if n, _ := r.body["retry_after"].(float64); n <= 0 || r.header.Get("Retry-After") == "" {
			t.Errorf("429 without a wait: %s", r.raw)
		}
		// Another user has a count of their own.
		wantStatus(t, e.postAuth("/api/message/send/", e.staff("09120000064"), body), http.StatusOK)
	})
}
