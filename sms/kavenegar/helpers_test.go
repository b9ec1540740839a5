package kavenegar_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/kavenegar"
)

// key is the API key of every test: distinctive, so that a leak shows.
const key = "SECRET-KEY-123"

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
// Provider set, that it matches kind with errors.Is, and that secret is
// not in its text. It returns the ProviderError.
func providerError(t *testing.T, err, kind error, secret string) *sms.ProviderError {
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
	equal(t, "Provider", perr.Provider, kavenegar.Provider)
	noSecret(t, err, secret)
	return perr
}

func noSecret(t *testing.T, err error, secret string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error text %q holds the API key", err.Error())
	}
}

// fake starts a test server with h and returns a client pointed at it.
// edit, when given, changes the Config first.
func fake(t *testing.T, h http.HandlerFunc, edit ...func(*kavenegar.Config)) *kavenegar.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := kavenegar.Config{APIKey: key, BaseURL: srv.URL}
	for _, f := range edit {
		f(&cfg)
	}
	c, err := kavenegar.New(cfg)
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

// checkRequest asserts that r is a form POST to path whose fields are
// exactly want, with the API key nowhere but in the path.
func checkRequest(t *testing.T, r *http.Request, path string, want map[string]string) {
	t.Helper()
	equal(t, "method", r.Method, http.MethodPost)
	equal(t, "path", r.URL.Path, path)
	equal(t, "query", r.URL.RawQuery, "")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", ct)
	}
	if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "chelseru-go") {
		t.Errorf("User-Agent = %q, want one naming chelseru-go", ua)
	}
	for name, values := range r.Header {
		for _, v := range values {
			if strings.Contains(v, key) {
				t.Errorf("header %s holds the API key", name)
			}
		}
	}
	if err := r.ParseForm(); err != nil {
		t.Errorf("ParseForm: %v", err)
		return
	}
	for name, values := range r.PostForm {
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("unexpected form field %s=%q", name, values)
		case len(values) != 1 || values[0] != w:
			t.Errorf("form field %s = %q, want %q", name, values, w)
		}
	}
	for name := range want {
		if _, ok := r.PostForm[name]; !ok {
			t.Errorf("form field %s missing", name)
		}
	}
}
