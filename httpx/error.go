package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/chelseru/chelseru-go/sms"
)

// Machine-readable error codes shared by every endpoint: the "code" key of
// an error body. Endpoints add their own.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeInvalidRequest       = "invalid_request"
	CodeInvalidMobile        = "invalid_mobile"
	CodeBodyTooLarge         = "body_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeRateLimited          = "rate_limited"
	CodeInternal             = "internal"
)

// Error is a failure a client may see. WriteError renders it as
//
//	{"error": Message, "code": Code, "fields": Fields, "retry_after": RetryAfter}
//
// with the HTTP status Status. It is meant to be returned from handlers and
// service methods that know how the failure looks on the wire.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is the stable machine-readable word of the "code" key.
	Code string
	// Message is the sentence of the "error" key.
	Message string
	// Details, when true, repeats Message under the "details" key, where
	// the seed put its failure sentence (the 409 of otp/send/).
	Details bool
	// Fields maps a request field to what is wrong with it.
	Fields map[string]string
	// RetryAfter is in whole seconds. It is written as the Retry-After
	// header and the "retry_after" key when Status is 409 or 429.
	RetryAfter int
	// Extra holds further top-level keys, such as "provider" and
	// "provider_code" of a 502. They never replace the keys above.
	Extra map[string]any
	// Err is the underlying cause. It is never shown to clients.
	Err error
}

// Error returns the message with the code, and the cause if there is one.
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// NewError returns an Error with a status, a code and a sentence.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// FieldError returns a 400 for a field problem: Code is code (use
// [CodeInvalidRequest] or [CodeInvalidMobile]) and Fields holds field →
// problem. The sentence names the field when there is only one.
func FieldError(code string, fields map[string]string) *Error {
	msg := "Some fields are invalid."
	if len(fields) == 1 {
		for name, problem := range fields {
			msg = name + ": " + problem
		}
	}
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg, Fields: fields}
}

// internalMessage is the only sentence a 500 ever carries.
const internalMessage = "An internal error occurred."

// WriteError writes err as the contract's error envelope. An [*Error]
// anywhere in err's chain is written as it is (unless its Status is not a
// 4xx or 5xx); an [*http.MaxBytesError] becomes 413; anything else is a
// fault and becomes a bare 500, so no SQL, stack or credential can leak.
// Logging faults is the caller's job.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &e) && e != nil && e.Status >= 400 && e.Status <= 599:
	case errors.As(err, &tooBig):
		e = tooLarge(tooBig.Limit)
	default:
		e = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: internalMessage}
	}
	writeError(w, e)
}

func writeError(w http.ResponseWriter, e *Error) {
	status := e.Status
	body := make(map[string]any, 4+len(e.Extra))
	if status >= 500 {
		// 5xx bodies carry only error and code (and a 502's provider keys).
		for _, k := range []string{"provider", "provider_code", "kind"} {
			if v, ok := e.Extra[k]; ok {
				body[k] = v
			}
		}
	} else {
		for k, v := range e.Extra {
			body[k] = v
		}
		if e.Details {
			body["details"] = e.Message
		}
		if len(e.Fields) > 0 {
			body["fields"] = e.Fields
		}
		if status == http.StatusConflict || status == http.StatusTooManyRequests {
			secs := max(e.RetryAfter, 0)
			body["retry_after"] = secs
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
	}
	body["error"] = e.Message
	body["code"] = e.Code
	if e.Code == "" {
		body["code"] = CodeInternal
	}
	WriteJSON(w, status, body)
}

// WriteJSON writes v as a JSON body with the given status. v is encoded
// before anything is written, so an encoding failure still yields a clean
// 500 envelope.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":"` + internalMessage + `","code":"` + CodeInternal + `"}`)
		status = http.StatusInternalServerError
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func tooLarge(limit int64) *Error {
	return &Error{
		Status:  http.StatusRequestEntityTooLarge,
		Code:    CodeBodyTooLarge,
		Message: fmt.Sprintf("The request body is larger than the limit of %d bytes.", limit),
	}
}

// CodeProviderError is the code of a 502 for an SMS provider's failure.
const CodeProviderError = "provider_error"

// ProviderError returns the contract's 502 for a failed SMS send: the
// sentence msg, code provider_error, and the provider's name and own code
// (provider_code: a number when numeric, the HTTP status of a failed
// answer that gave no code, else null), read from the *sms.ProviderError or
// *sms.ValidationError in err's chain, and (ours) the failure kind's word
// as "kind" ("insufficient_credit", "transport", …; see sms.KindName). err
// is kept as the cause and never shown.
func ProviderError(msg string, err error) *Error {
	e := &Error{Status: http.StatusBadGateway, Code: CodeProviderError, Message: msg, Err: err,
		Extra: map[string]any{"provider": nil, "provider_code": nil}}
	if kind := sms.KindName(err); kind != "" {
		e.Extra["kind"] = kind
	}
	var perr *sms.ProviderError
	var verr *sms.ValidationError
	switch {
	case errors.As(err, &perr):
		e.Extra["provider"] = perr.Provider
		code := perr.CodeValue()
		if code == nil && perr.HTTPStatus >= 300 {
			code = perr.HTTPStatus // an error page says no more than its status
		}
		e.Extra["provider_code"] = code
	case errors.As(err, &verr):
		e.Extra["provider"] = verr.Provider
	}
	return e
}
