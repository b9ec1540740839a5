package httpx_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chelseru/chelseru-go/httpx"
)

func TestWriteError(t *testing.T) {
	t.Parallel()
	mobile := httpx.FieldError(httpx.CodeInvalidMobile, map[string]string{"mobile_number": "must be an Iranian mobile number"})
	cause := errors.New(`pq: password authentication failed for user "chelseru" at 10.0.0.5`)
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		message    string // "" to skip
		keys       string // sorted top-level keys
		retryAfter string // the Retry-After header, "" for none
		check      func(t *testing.T, body map[string]any)
	}{
		{name: "field error", err: mobile, status: 400, code: httpx.CodeInvalidMobile,
			message: "mobile_number: must be an Iranian mobile number", keys: "code,error,fields",
			check: func(t *testing.T, body map[string]any) {
				fields, _ := body["fields"].(map[string]any)
				equal(t, "fields.mobile_number", fields["mobile_number"], any("must be an Iranian mobile number"))
			}},
		{name: "field error with several fields", status: 400, code: httpx.CodeInvalidRequest,
			err:     httpx.FieldError(httpx.CodeInvalidRequest, map[string]string{"group": "must be an integer", "user": "must be an integer"}),
			message: "Some fields are invalid.", keys: "code,error,fields"},
		{name: "plain client error", err: httpx.NewError(401, httpx.CodeUnauthorized, "Log in first."),
			status: 401, code: httpx.CodeUnauthorized, message: "Log in first.", keys: "code,error"},
		{name: "empty fields are left out", err: &httpx.Error{Status: 400, Code: "c", Message: "m", Fields: map[string]string{}},
			status: 400, code: "c", keys: "code,error"},
		{name: "details repeats the message",
			err:    &httpx.Error{Status: 409, Code: "code_not_expired", Message: "Wait before asking again.", Details: true, RetryAfter: 90},
			status: 409, code: "code_not_expired", message: "Wait before asking again.",
			keys: "code,details,error,retry_after", retryAfter: "90",
			check: func(t *testing.T, body map[string]any) {
				equal(t, "details", body["details"], any("Wait before asking again."))
				equal(t, "retry_after", body["retry_after"], any(float64(90)))
			}},
		{name: "429 carries retry after", err: &httpx.Error{Status: 429, Code: httpx.CodeRateLimited, Message: "Slow down.", RetryAfter: 30},
			status: 429, code: httpx.CodeRateLimited, keys: "code,error,retry_after", retryAfter: "30",
			check: func(t *testing.T, body map[string]any) {
				equal(t, "retry_after", body["retry_after"], any(float64(30)))
			}},
		{name: "409 without a wait says zero", err: httpx.NewError(409, "conflict", "Taken."),
			status: 409, code: "conflict", keys: "code,error,retry_after", retryAfter: "0"},
		{name: "negative retry after becomes zero", err: &httpx.Error{Status: 429, Code: httpx.CodeRateLimited, Message: "m", RetryAfter: -5},
			status: 429, code: httpx.CodeRateLimited, keys: "code,error,retry_after", retryAfter: "0",
			check: func(t *testing.T, body map[string]any) {
				equal(t, "retry_after", body["retry_after"], any(float64(0)))
			}},
		{name: "retry after only on 409 and 429", err: &httpx.Error{Status: 400, Code: "c", Message: "m", RetryAfter: 10},
			status: 400, code: "c", keys: "code,error"},
		{name: "wrapped error is found", err: fmt.Errorf("auth: send: %w", mobile),
			status: 400, code: httpx.CodeInvalidMobile, keys: "code,error,fields"},
		{name: "twice wrapped and joined", err: errors.Join(errors.New("other"), fmt.Errorf("a: %w", fmt.Errorf("b: %w", mobile))),
			status: 400, code: httpx.CodeInvalidMobile, keys: "code,error,fields"},
		{name: "cause of a client error is not shown", err: &httpx.Error{Status: 403, Code: httpx.CodeForbidden, Message: "No.", Err: cause},
			status: 403, code: httpx.CodeForbidden, message: "No.", keys: "code,error"},
		{name: "max bytes error", err: &http.MaxBytesError{Limit: 10},
			status: 413, code: httpx.CodeBodyTooLarge, keys: "code,error"},
		{name: "wrapped max bytes error", err: fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}),
			status: 413, code: httpx.CodeBodyTooLarge, keys: "code,error"},
		{name: "plain error is a bare 500", err: cause,
			status: 500, code: httpx.CodeInternal, keys: "code,error"},
		{name: "wrapped plain error is a bare 500", err: fmt.Errorf("store: %w", cause),
			status: 500, code: httpx.CodeInternal, keys: "code,error"},
		{name: "nil error is a bare 500", err: nil,
			status: 500, code: httpx.CodeInternal, keys: "code,error"},
		{name: "5xx keeps only error, code and provider keys",
			err: &httpx.Error{Status: 502, Code: "provider_error", Message: "The SMS provider failed.",
				Details: true, Fields: map[string]string{"receptor": "bad"}, RetryAfter: 5, Err: cause,
				Extra: map[string]any{"provider": "kavenegar", "provider_code": 418, "api_key": "s3cr3t"}},
			status: 502, code: "provider_error", message: "The SMS provider failed.",
			keys: "code,error,provider,provider_code",
			check: func(t *testing.T, body map[string]any) {
				equal(t, "provider", body["provider"], any("kavenegar"))
				equal(t, "provider_code", body["provider_code"], any(float64(418)))
			}},
		{name: "5xx with a string provider code", err: &httpx.Error{Status: 502, Code: "provider_error", Message: "m",
			Extra: map[string]any{"provider": "parsian", "provider_code": "E12"}},
			status: 502, code: "provider_error", keys: "code,error,provider,provider_code",
			check: func(t *testing.T, body map[string]any) {
				equal(t, "provider_code", body["provider_code"], any("E12"))
			}},
		{name: "503 has no retry after", err: &httpx.Error{Status: 503, Code: "unavailable", Message: "m", RetryAfter: 5},
			status: 503, code: "unavailable", keys: "code,error"},
		{name: "extra keys never replace the envelope",
			err: &httpx.Error{Status: 400, Code: "c", Message: "m",
				Extra: map[string]any{"error": "other", "code": "other", "hint": "h"}},
			status: 400, code: "c", message: "m", keys: "code,error,hint"},
		{name: "empty code is internal", err: &httpx.Error{Status: 400, Message: "m"},
			status: 400, code: httpx.CodeInternal, keys: "code,error"},
		{name: "status below 400 is a 500", err: &httpx.Error{Status: 200, Code: "c", Message: "m", Fields: map[string]string{"a": "b"}},
			status: 500, code: httpx.CodeInternal, keys: "code,error"},
		{name: "zero status is a 500", err: &httpx.Error{Code: "c", Message: "m"},
			status: 500, code: httpx.CodeInternal, keys: "code,error"},
		{name: "status over 599 is a 500", err: &httpx.Error{Status: 600, Code: "c", Message: "m"},
			status: 500, code: httpx.CodeInternal, keys: "code,error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			httpx.WriteError(w, httptest.NewRequest(http.MethodPost, "/", nil), tt.err)
			equal(t, "status", w.Code, tt.status)
			body := decodeBody(t, w)
			equal(t, "keys", keys(body), tt.keys)
			equal(t, "code", body["code"], any(tt.code))
			msg, _ := body["error"].(string)
			if msg == "" {
				t.Error(`"error" is missing or empty`)
			}
			if tt.message != "" {
				equal(t, "error", msg, tt.message)
			}
			equal(t, "Retry-After", w.Header().Get("Retry-After"), tt.retryAfter)
			for _, secret := range []string{"pq:", "password", "10.0.0.5", "s3cr3t", "api_key", "receptor"} {
				if strings.Contains(w.Body.String(), secret) {
					t.Errorf("body %q leaks %q", w.Body, secret)
				}
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

func TestWriteErrorInternalMessage(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	httpx.WriteError(w, httptest.NewRequest(http.MethodGet, "/", nil), errors.New("boom"))
	equal(t, "body", w.Body.String(), `{"code":"internal","error":"An internal error occurred."}`+"\n")
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	t.Run("value", func(t *testing.T) {
		t.Parallel()
		w := httptest.NewRecorder()
		httpx.WriteJSON(w, http.StatusCreated, map[string]any{"details": "Sent.", "n": 1})
		equal(t, "status", w.Code, http.StatusCreated)
		equal(t, "body", w.Body.String(), `{"details":"Sent.","n":1}`+"\n")
		equal(t, "Content-Type", w.Header().Get("Content-Type"), "application/json")
		equal(t, "Content-Length", w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()))
	})
	t.Run("array", func(t *testing.T) {
		t.Parallel()
		w := httptest.NewRecorder()
		httpx.WriteJSON(w, http.StatusOK, []int{})
		equal(t, "body", w.Body.String(), "[]\n")
	})
	t.Run("unencodable value", func(t *testing.T) {
		t.Parallel()
		w := httptest.NewRecorder()
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"c": make(chan int)})
		equal(t, "status", w.Code, http.StatusInternalServerError)
		body := decodeBody(t, w)
		equal(t, "keys", keys(body), "code,error")
		equal(t, "code", body["code"], any(httpx.CodeInternal))
		equal(t, "Content-Length", w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()))
	})
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk full")
	e := &httpx.Error{Status: 400, Code: httpx.CodeInvalidRequest, Message: "Bad.", Err: cause}
	equal(t, "Error()", e.Error(), "400 invalid_request: Bad.: disk full")
	equal(t, "errors.Is(cause)", errors.Is(e, cause), true)
	equal(t, "Unwrap", e.Unwrap(), cause)

	bare := httpx.NewError(404, httpx.CodeNotFound, "Not found.")
	equal(t, "Error()", bare.Error(), "404 not_found: Not found.")
	equal(t, "Unwrap", bare.Unwrap(), error(nil))
}

func TestFieldError(t *testing.T) {
	t.Parallel()
	e := httpx.FieldError(httpx.CodeInvalidRequest, map[string]string{"group": "must be an integer"})
	equal(t, "Status", e.Status, http.StatusBadRequest)
	equal(t, "Code", e.Code, httpx.CodeInvalidRequest)
	equal(t, "Message", e.Message, "group: must be an integer")

	none := httpx.FieldError(httpx.CodeInvalidRequest, nil)
	equal(t, "Message", none.Message, "Some fields are invalid.")
}

func TestWriteErrorTypedNil(t *testing.T) {
	t.Parallel()
	var e *httpx.Error
	var err error = e
	w := httptest.NewRecorder()
	httpx.WriteError(w, httptest.NewRequest("GET", "/", nil), err)
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"code":"internal"`) {
		t.Errorf("typed nil: %d %s", w.Code, w.Body)
	}
}
