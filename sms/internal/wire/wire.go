// Package wire is what the provider clients of chelseru-go share: an HTTP
// client with sane defaults, bounded reads, and the turning of transport
// trouble (a timeout, an HTML error page, an empty or truncated body) into
// *sms.ProviderError with every credential redacted.
package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chelseru/chelseru-go/sms"
)

// Defaults of every provider client.
const (
	DefaultTimeout = 10 * time.Second
	// MaxBody bounds what is read of a provider's answer.
	MaxBody   = 1 << 20
	UserAgent = "chelseru-go (+https://github.com/chelseru/chelseru-go)"
)

// NewHTTPClient returns the default client of a provider: a 10 s timeout,
// no redirects (an API that redirects is misconfigured, and a redirect
// could carry a credential elsewhere), and a connection pool of its own.
func NewHTTPClient() *http.Client {
	var transport http.RoundTripper = http.DefaultTransport
	if t, ok := transport.(*http.Transport); ok {
		transport = t.Clone()
	}
	return &http.Client{
		Transport: transport,
		Timeout:   DefaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Caller makes the HTTP calls of one provider client.
type Caller struct {
	Provider string
	Client   *http.Client
	// Secrets are redacted from every error text (API keys, passwords,
	// whether they appear in a URL path, a query or anywhere else).
	Secrets []string
}

// Redact replaces every secret in s, raw or URL-escaped, with "***".
func (c *Caller) Redact(s string) string {
	for _, secret := range c.Secrets {
		if secret == "" {
			continue
		}
		s = strings.ReplaceAll(s, secret, "***")
		if esc := url.PathEscape(secret); esc != secret {
			s = strings.ReplaceAll(s, esc, "***")
		}
		if esc := url.QueryEscape(secret); esc != secret {
			s = strings.ReplaceAll(s, esc, "***")
		}
	}
	return s
}

// Fail returns a ProviderError of this provider.
func (c *Caller) Fail(kind error, code, message string, httpStatus int) *sms.ProviderError {
	return &sms.ProviderError{Provider: c.Provider, Kind: kind, Code: code, Message: c.Redact(message), HTTPStatus: httpStatus}
}

// redactedError carries a cause whose text had credentials in it.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// Transport wraps a failure to get an answer at all.
func (c *Caller) Transport(err error) *sms.ProviderError {
	return &sms.ProviderError{Provider: c.Provider, Kind: sms.ErrTransport, Err: &redactedError{msg: c.Redact(err.Error()), cause: err}}
}

// NewRequest builds a request with the library's User-Agent.
func NewRequest(ctx context.Context, method, u string, body io.Reader, contentType string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// Form builds a POST of form values.
func Form(ctx context.Context, u string, form url.Values) (*http.Request, error) {
	return NewRequest(ctx, http.MethodPost, u, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// JSON builds a request with v as its JSON body (no body when v is nil).
func JSON(ctx context.Context, method, u string, v any) (*http.Request, error) {
	if v == nil {
		return NewRequest(ctx, method, u, nil, "")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return NewRequest(ctx, method, u, bytes.NewReader(b), "application/json")
}

// Do sends req and reads at most MaxBody of the answer. A failure to get
// one is an ErrTransport ProviderError.
func (c *Caller) Do(req *http.Request) (status int, body []byte, err error) {
	client := c.Client
	if client == nil {
		client = NewHTTPClient()
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, c.Transport(err)
	}
	defer res.Body.Close()
	body, err = io.ReadAll(io.LimitReader(res.Body, MaxBody))
	if err != nil {
		return res.StatusCode, nil, c.Transport(err)
	}
	return res.StatusCode, body, nil
}

// Decode unmarshals a JSON answer into v. An empty body, a body that is
// not JSON (an HTML error page) or truncated JSON is ErrTemporary for a
// 5xx answer and ErrTransport otherwise, with the HTTP status kept.
func (c *Caller) Decode(status int, body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	var reason string
	switch {
	case len(trimmed) == 0:
		reason = "empty answer"
	case trimmed[0] != '{' && trimmed[0] != '[':
		reason = "answer is not JSON"
		if trimmed[0] == '<' {
			reason = "answer is an HTML page"
		}
	default:
		if err := json.Unmarshal(trimmed, v); err != nil {
			reason = "answer is not the expected JSON: " + err.Error()
		}
	}
	if reason == "" {
		return nil
	}
	kind := sms.ErrTransport
	if status >= 500 {
		kind = sms.ErrTemporary
	}
	return &sms.ProviderError{Provider: c.Provider, Kind: kind, Message: reason, HTTPStatus: status}
}

// ByHTTPStatus is the kind of a failed answer that carries nothing but
// its HTTP status.
func ByHTTPStatus(status int) error {
	switch {
	case status == http.StatusUnauthorized:
		return sms.ErrBadCredentials
	case status == http.StatusForbidden:
		return sms.ErrAccessDenied
	case status == http.StatusTooManyRequests:
		return sms.ErrRateLimited
	case status == http.StatusPaymentRequired:
		return sms.ErrInsufficientCredit
	case status >= 500:
		return sms.ErrTemporary
	}
	return sms.ErrRejected
}

// IsTimeout reports whether err is a timeout, of the client or of ctx.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
