package contract

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInput: every client mistake is a 4xx with error, code and, for
// fields, fields: never a 5xx.
func TestBadInput(t *testing.T) {
	big := `{"mobile_number":"09120000001","pad":"` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name        string
		path        string
		contentType string
		body        string
		status      int
		code        string
		fields      []string
	}{
		{"send: empty object", "otp/send/", "application/json", `{}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: empty body", "otp/send/", "application/json", ``, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: empty string", "otp/send/", "application/json", `{"mobile_number":""}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: number not string", "otp/send/", "application/json", `{"mobile_number":9120000001}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: null", "otp/send/", "application/json", `{"mobile_number":null}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: array value", "otp/send/", "application/json", `{"mobile_number":["09120000001"]}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: a digit short", "otp/send/", "application/json", `{"mobile_number":"0912000000"}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: a digit over", "otp/send/", "application/json", `{"mobile_number":"091200000012"}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: landline", "otp/send/", "application/json", `{"mobile_number":"02112345678"}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: not a mobile 081", "otp/send/", "application/json", `{"mobile_number":"08120000001"}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: letters", "otp/send/", "application/json", `{"mobile_number":"0912abc0001"}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: form empty", "otp/send/", "application/x-www-form-urlencoded", `mobile_number=`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"send: malformed JSON", "otp/send/", "application/json", `{"mobile_number":`, 400, "invalid_json", nil},
		{"send: trailing garbage", "otp/send/", "application/json", `{"mobile_number":"09120000001"} x`, 400, "invalid_json", nil},
		{"send: JSON array", "otp/send/", "application/json", `["09120000001"]`, 400, "invalid_json", nil},
		{"send: JSON string", "otp/send/", "application/json", `"09120000001"`, 400, "invalid_json", nil},
		{"send: unknown content type", "otp/send/", "text/plain", `mobile_number=09120000001`, 415, "unsupported_media_type", nil},
		{"send: xml", "otp/send/", "application/xml", `<m>09120000001</m>`, 415, "unsupported_media_type", nil},
		{"send: bad content type", "otp/send/", "application/json; charset", `{}`, 415, "unsupported_media_type", nil},
		{"send: body without content type", "otp/send/", "", `{"mobile_number":"09120000001"}`, 415, "unsupported_media_type", nil},
		{"send: oversize body", "otp/send/", "application/json", big, 413, "body_too_large", nil},
		{"send: bad form encoding", "otp/send/", "application/x-www-form-urlencoded", `mobile_number=%zz`, 400, "invalid_request", nil},
		{"send: multipart without boundary", "otp/send/", "multipart/form-data", `x`, 400, "invalid_request", nil},
		{"send: broken multipart", "otp/send/", "multipart/form-data; boundary=zz", `--zz\r\nbroken`, 400, "invalid_request", nil},

		{"auth: empty object", "authenticate/", "application/json", `{}`, 400, "invalid_mobile", []string{"mobile_number", "code"}},
		{"auth: missing code", "authenticate/", "application/json", `{"mobile_number":"09120000001"}`, 400, "invalid_request", []string{"code"}},
		{"auth: empty code", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":""}`, 400, "invalid_request", []string{"code"}},
		{"auth: code as number", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":12345678}`, 400, "invalid_request", []string{"code"}},
		{"auth: code too short", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":"1234567"}`, 400, "invalid_request", []string{"code"}},
		{"auth: code too long", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":"123456789"}`, 400, "invalid_request", []string{"code"}},
		{"auth: code with letters", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":"1234567a"}`, 400, "invalid_request", []string{"code"}},
		{"auth: bad mobile", "authenticate/", "application/json", `{"mobile_number":"0912000000","code":"12345678"}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"auth: mobile as number", "authenticate/", "application/json", `{"mobile_number":9120000001,"code":"12345678"}`, 400, "invalid_mobile", []string{"mobile_number"}},
		{"auth: group not integer", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":"12345678","group":"abc"}`, 400, "invalid_request", []string{"group"}},
		{"auth: group fraction", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":"12345678","group":1.5}`, 400, "invalid_request", []string{"group"}},
		{"auth: group bool", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":"12345678","group":true}`, 400, "invalid_request", []string{"group"}},
		{"auth: group negative", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":"12345678","group":-1}`, 400, "invalid_request", []string{"group"}},
		{"auth: group huge", "authenticate/", "application/json", `{"mobile_number":"09120000001","code":"12345678","group":99999999999999999999}`, 400, "invalid_request", []string{"group"}},
		{"auth: form group letters", "authenticate/", "application/x-www-form-urlencoded", `mobile_number=09120000001&code=12345678&group=x`, 400, "invalid_request", []string{"group"}},
		{"auth: malformed JSON", "authenticate/", "application/json", `{"code":"1"`, 400, "invalid_json", nil},
		{"auth: oversize", "authenticate/", "application/json", big, 413, "body_too_large", nil},
		{"auth: unknown type", "authenticate/", "application/octet-stream", `x`, 415, "unsupported_media_type", nil},

		{"refresh: empty", "token/refresh/", "application/json", `{}`, 400, "invalid_request", []string{"refresh"}},
		{"refresh: number", "token/refresh/", "application/json", `{"refresh":1}`, 400, "invalid_request", []string{"refresh"}},
		{"refresh: garbage", "token/refresh/", "application/json", `{"refresh":"nope"}`, 401, "token_invalid", nil},
		{"refresh: malformed JSON", "token/refresh/", "application/json", `{`, 400, "invalid_json", nil},
	}
	forEach(t, func(t *testing.T, e *env) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.do(e.request(http.MethodPost, "/api/"+c.path, c.contentType, strings.NewReader(c.body)))
				wantError(t, r, c.status, c.code, c.fields...)
			})
		}
		if e.sms.Len() != 0 {
			t.Errorf("%d SMS sent for bad requests", e.sms.Len())
		}
	})
}

// TestBadInputIsNotATry: malformed codes do not count against the code.
func TestBadInputIsNotATry(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		code := e.sendCode("09120000030")
		for range 10 {
			r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000030", "code": "12"})
			wantError(t, r, http.StatusBadRequest, "invalid_request", "code")
		}
		// Persian digits are digits.
		r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000030", "code": persian(code)})
		wantStatus(t, r, http.StatusOK)
	})
}

func persian(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune('۰' + (r - '0'))
	}
	return b.String()
}
