package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/internal/testdb"
)

// discard is a ResponseWriter that allocates nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkRequire is the middleware's cost per request: parse and check
// the access token, find the session (cached), and put the identity in
// the request context. Compare with BenchmarkJWTParse.
func BenchmarkRequire(b *testing.B) {
	f := newFixture(b, testdb.SQLite(b), nil)
	l := f.login(b, "09120000001")
	var seen bool
	h := f.svc.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = true }))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+l.Access)
	w := &discard{h: http.Header{}}
	h.ServeHTTP(w, req) // warm the session cache
	if !seen {
		b.Fatal("request refused")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkJWTParse is a bare jwt.Parse of the same token: the floor any
// JWT middleware stands on.
func BenchmarkJWTParse(b *testing.B) {
	f := newFixture(b, testdb.SQLite(b), nil)
	l := f.login(b, "09120000001")
	key := func(*jwt.Token) (any, error) { return secret, nil }
	if _, err := jwt.Parse(l.Access, key); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := jwt.Parse(l.Access, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJWTParseClaims is the parse Require itself does: the same
// token into auth.Claims, HS256 only. Require minus this is what the
// middleware adds around the library.
func BenchmarkJWTParseClaims(b *testing.B) {
	f := newFixture(b, testdb.SQLite(b), nil)
	l := f.login(b, "09120000001")
	key := func(*jwt.Token) (any, error) { return secret, nil }
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var c auth.Claims
		if _, err := p.ParseWithClaims(l.Access, &c, key); err != nil {
			b.Fatal(err)
		}
	}
}
