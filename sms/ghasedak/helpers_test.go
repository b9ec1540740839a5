package ghasedak_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/ghasedak"
)

// key is the API key of every test: distinctive, so that a leak shows.
const key = "SECRET-KEY-123"

// basePath is where the fakes serve, as on the real gateway.
const basePath = "/Rest/api/v1/WebService"

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

// providerError asserts that err is an *sms.ProviderError of kind with
// Provider set, that it matches kind with errors.Is, and that the API key
// is not in its text. It returns the ProviderError.
func providerError(t *testing.T, err, kind error) *sms.ProviderError {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error = %v, want one matching %v", err, kind)
	}
	var perr *sms.ProviderError
	if !errors.As(err, &perr) {
		t.Fatalf("error %T %v is not an *sms.ProviderError", err, err)
	}
	equal(t, "Provider", perr.Provider, ghasedak.Provider)
	noSecret(t, err)
	return perr
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), key) {
		t.Errorf("error text %q holds the API key", err.Error())
	}
}

// fake starts a test server with h and returns a client pointed at it.
// edit, when given, changes the Config first.
func fake(t *testing.T, h http.HandlerFunc, edit ...func(*ghasedak.Config)) *ghasedak.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := ghasedak.Config{APIKey: key, BaseURL: srv.URL + basePath}
	for _, f := range edit {
		f(&cfg)
	}
	c, err := ghasedak.New(cfg)
	noError(t, err)
	return c
}

// noRequest is a handler that fails the test on any request.
func noRequest(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}
}

// hang answers only after the client has gone (or after 5 s). It reads
// the body first: the server notices a closed connection only then.
func hang(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// reply writes body with the given status, as JSON.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// checkCall asserts the method and path of r and that the API key is in
// the ApiKey header and nowhere else.
func checkCall(t *testing.T, r *http.Request, method, op string) {
	t.Helper()
	equal(t, "method", r.Method, method)
	equal(t, "path", r.URL.Path, basePath+"/"+op)
	equal(t, "ApiKey header", r.Header.Get("ApiKey"), key)
	if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "chelseru-go") {
		t.Errorf("User-Agent = %q, want one naming chelseru-go", ua)
	}
	if strings.Contains(r.URL.RawQuery, key) {
		t.Error("the query holds the API key")
	}
	for name, values := range r.Header {
		if http.CanonicalHeaderKey(name) == "Apikey" {
			continue
		}
		for _, v := range values {
			if strings.Contains(v, key) {
				t.Errorf("header %s holds the API key", name)
			}
		}
	}
}
