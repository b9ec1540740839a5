package wire_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/wire"
)

const key = "SECRET/KEY 123"

func caller(c *http.Client) *wire.Caller {
	return &wire.Caller{Provider: "p", Client: c, Secrets: []string{key}}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	c := caller(nil)
	cases := []struct {
		name   string
		status int
		body   string
		kind   error
	}{
		{"ok", 200, `{"a":1}`, nil},
		{"empty", 200, ``, sms.ErrTransport},
		{"html page", 200, `<html>oops</html>`, sms.ErrTransport},
		{"html 502", 502, `<html>bad gateway</html>`, sms.ErrTemporary},
		{"truncated", 200, `{"a":`, sms.ErrTransport},
		{"not json", 200, `OK`, sms.ErrTransport},
		{"empty 503", 503, ``, sms.ErrTemporary},
	}
	for _, tc := range cases {
		var v map[string]any
		err := c.Decode(tc.status, []byte(tc.body), &v)
		var pe *sms.ProviderError
		switch {
		case tc.kind == nil && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.kind != nil && (!errors.Is(err, tc.kind) || !errors.As(err, &pe) || pe.Provider != "p" || pe.HTTPStatus != tc.status):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
		}
	}
}

func TestDoRedactsAndTimesOut(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer slow.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for name, u := range map[string]string{"timeout": slow.URL, "refused": closed.URL} {
		c := caller(&http.Client{Timeout: 50 * time.Millisecond})
		req, err := wire.Form(context.Background(), u+"/v1/"+url.PathEscape(key)+"/send?k="+url.QueryEscape(key), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Do(req)
		if !errors.Is(err, sms.ErrTransport) {
			t.Errorf("%s: %v", name, err)
		}
		if s := err.Error(); strings.Contains(s, "SECRET") || strings.Contains(s, "KEY") {
			t.Errorf("%s: the key leaked: %s", name, s)
		}
	}
}

func TestNewHTTPClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.com/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	c := caller(wire.NewHTTPClient())
	req, _ := wire.NewRequest(context.Background(), http.MethodGet, srv.URL, nil, "")
	status, _, err := c.Do(req)
	if err != nil || status != http.StatusFound {
		t.Errorf("status %d, %v", status, err)
	}
	if req.Header.Get("User-Agent") != wire.UserAgent {
		t.Errorf("User-Agent %q", req.Header.Get("User-Agent"))
	}
}

func TestByHTTPStatus(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]error{401: sms.ErrBadCredentials, 403: sms.ErrAccessDenied, 429: sms.ErrRateLimited,
		402: sms.ErrInsufficientCredit, 500: sms.ErrTemporary, 503: sms.ErrTemporary, 400: sms.ErrRejected, 404: sms.ErrRejected} {
		if got := wire.ByHTTPStatus(status); got != want {
			t.Errorf("%d: %v, want %v", status, got, want)
		}
	}
}
