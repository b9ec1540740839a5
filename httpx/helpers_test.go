package httpx_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chelseru/chelseru-go/httpx"
)

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

// httpError asserts that err is an *httpx.Error (anywhere in its chain)
// with the given status and code, and returns it.
func httpError(t *testing.T, err error, status int, code string) *httpx.Error {
	t.Helper()
	var e *httpx.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want an *httpx.Error", err, err)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("error = %d %s (%q), want %d %s", e.Status, e.Code, e.Message, status, code)
	}
	return e
}

// mustPanic runs f and fails unless it panics; it returns the panic text.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		t.Helper()
		v := recover()
		if v == nil {
			t.Errorf("did not panic")
			return
		}
		if s, ok := v.(string); ok {
			msg = s
		}
	}()
	f()
	return ""
}

// decodeBody parses a recorded response as a JSON object, failing the test
// when it is not one or when Content-Type is not application/json.
func decodeBody(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", w.Body.String(), err)
	}
	return m
}

// keys returns the sorted keys of m joined by commas.
func keys(m map[string]any) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ",")
}

// post returns a POST request with body and Content-Type ct ("" for none).
func post(ct, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	return r
}
