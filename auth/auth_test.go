package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/internal/testclock"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/smstest"
	"github.com/chelseru/chelseru-go/store"
)

var secret = []byte("auth-test-secret-of-at-least-32-bytes")

type fixture struct {
	svc   *auth.Service
	st    *store.Store
	sms   *smstest.Recorder
	clock *testclock.Clock
}

func newFixture(t testing.TB, st *store.Store, mod func(*auth.Config)) *fixture {
	t.Helper()
	f := &fixture{st: st, sms: &smstest.Recorder{}, clock: testclock.New(time.Now().Truncate(time.Second))}
	sessions, err := session.New(session.Config{Store: st, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.Config{Secret: secret, Users: st, Codes: st, Sessions: sessions, Sender: f.sms, Now: f.clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	if f.svc, err = auth.New(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) login(t testing.TB, mobile string) *auth.Login {
	t.Helper()
	ctx := context.Background()
	if err := f.svc.SendCode(ctx, mobile); err != nil {
		t.Fatal(err)
	}
	m, _ := f.sms.LastTo(mobile)
	l, err := f.svc.Verify(ctx, auth.VerifyRequest{Mobile: mobile, Code: smstest.Code(m.Text)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// claims decodes a token of ours without checking it.
func claims(t testing.TB, token string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTokenClaims(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), nil)
	l := f.login(t, "09120000001")
	for _, c := range []struct {
		token, typ string
		life       time.Duration
	}{{l.Access, "access", 5 * time.Minute}, {l.Refresh, "refresh", 24 * time.Hour}} {
		m := claims(t, c.token)
		want := map[string]any{
			"sub": "1", "user_id": float64(1), "sid": l.Session.ID, "token_type": c.typ,
			"iss": "chelseru", "aud": "chelseru",
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s token: %s = %v, want %v", c.typ, k, m[k], v)
			}
		}
		iat, _ := m["iat"].(float64)
		exp, _ := m["exp"].(float64)
		if int64(iat) != f.clock.Now().Unix() || time.Duration(exp-iat)*time.Second != c.life {
			t.Errorf("%s token: iat %v exp %v", c.typ, iat, exp)
		}
		if jti, _ := m["jti"].(string); jti == "" {
			t.Errorf("%s token: no jti", c.typ)
		}
		if len(m) != 9 {
			t.Errorf("%s token has %d claims, want 9: %v", c.typ, len(m), m)
		}
	}
	if claims(t, l.Access)["jti"] == claims(t, l.Refresh)["jti"] {
		t.Error("access and refresh share a jti")
	}
}

// TestAuthenticateRefusesForgedTokens: every way of getting a token wrong
// is ErrInvalidToken.
func TestAuthenticateRefusesForgedTokens(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), nil)
	l := f.login(t, "09120000002")
	good := claims(t, l.Access)
	now := f.clock.Now()

	with := func(changes map[string]any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range good {
			c[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	hs := func(m jwt.SigningMethod, key []byte, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := jwt.NewWithClaims(jwt.SigningMethodRS256, good).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, good).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}

	// The good token, re-signed by the test, passes: the cases below fail
	// for their one change only.
	if _, _, err := f.svc.Authenticate(context.Background(), hs(jwt.SigningMethodHS256, secret, with(nil))); err != nil {
		t.Fatalf("re-signed good token: %v", err)
	}
	cases := map[string]string{
		"alg none":             none,
		"HS384, same secret":   hs(jwt.SigningMethodHS384, secret, good),
		"HS512, same secret":   hs(jwt.SigningMethodHS512, secret, good),
		"RS256":                rs,
		"another secret":       hs(jwt.SigningMethodHS256, []byte("another-secret-of-at-least-32-bytes!"), good),
		"refresh token":        l.Refresh,
		"expired":              hs(jwt.SigningMethodHS256, secret, with(map[string]any{"exp": now.Add(-time.Second).Unix()})),
		"no exp":               hs(jwt.SigningMethodHS256, secret, with(map[string]any{"exp": nil})),
		"iat in the future":    hs(jwt.SigningMethodHS256, secret, with(map[string]any{"iat": now.Add(time.Hour).Unix()})),
		"no iat":               hs(jwt.SigningMethodHS256, secret, with(map[string]any{"iat": nil})),
		"wrong issuer":         hs(jwt.SigningMethodHS256, secret, with(map[string]any{"iss": "evil"})),
		"no issuer":            hs(jwt.SigningMethodHS256, secret, with(map[string]any{"iss": nil})),
		"wrong audience":       hs(jwt.SigningMethodHS256, secret, with(map[string]any{"aud": "other"})),
		"audience as array":    hs(jwt.SigningMethodHS256, secret, with(map[string]any{"aud": []string{"chelseru"}})),
		"no token type":        hs(jwt.SigningMethodHS256, secret, with(map[string]any{"token_type": nil})),
		"subject mismatch":     hs(jwt.SigningMethodHS256, secret, with(map[string]any{"sub": "2"})),
		"other user, same sid": hs(jwt.SigningMethodHS256, secret, with(map[string]any{"sub": "2", "user_id": 2})),
		"unknown session":      hs(jwt.SigningMethodHS256, secret, with(map[string]any{"sid": session.NewID()})),
		"no session":           hs(jwt.SigningMethodHS256, secret, with(map[string]any{"sid": nil})),
		"user_id as string":    hs(jwt.SigningMethodHS256, secret, with(map[string]any{"user_id": "1"})),
		"NUL in the session":   hs(jwt.SigningMethodHS256, secret, with(map[string]any{"sid": "a\x00b"})),
		"NUL in the jti":       hs(jwt.SigningMethodHS256, secret, with(map[string]any{"jti": "a\x00b"})),
		"huge session id":      hs(jwt.SigningMethodHS256, secret, with(map[string]any{"sid": strings.Repeat("a", 65)})),
		"non-canonical base64": l.Access[:len(l.Access)-1] + flipLast(l.Access),
		"not a JWT":            "not.a.jwt",
		"empty":                "",
	}
	for name, token := range cases {
		if _, _, err := f.svc.Authenticate(context.Background(), token); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s: err %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestRefreshRefusesAccessTokens(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), nil)
	l := f.login(t, "09120000003")
	if _, err := f.svc.Refresh(context.Background(), l.Access); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("refresh with an access token: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	st := testdb.SQLite(t)
	sessions, _ := session.New(session.Config{Store: st})
	ok := auth.Config{Secret: secret, Users: st, Codes: st, Sessions: sessions, Sender: &smstest.Recorder{}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	cases := map[string]func(*auth.Config){
		"short secret":        func(c *auth.Config) { c.Secret = []byte("short") },
		"no users":            func(c *auth.Config) { c.Users = nil },
		"no codes":            func(c *auth.Config) { c.Codes = nil },
		"no sessions":         func(c *auth.Config) { c.Sessions = nil },
		"no sender":           func(c *auth.Config) { c.Sender = nil },
		"code length 2":       func(c *auth.Config) { c.CodeLength = 2 },
		"code length 11":      func(c *auth.Config) { c.CodeLength = 11 },
		"negative lifetime":   func(c *auth.Config) { c.CodeLifetime = -time.Second },
		"negative resend":     func(c *auth.Config) { c.ResendInterval = -time.Second },
		"negative attempts":   func(c *auth.Config) { c.MaxAttempts = -1 },
		"short code key":      func(c *auth.Config) { c.CodeKey = []byte("x") },
		"refresh < access":    func(c *auth.Config) { c.AccessLifetime = time.Hour; c.RefreshLifetime = time.Minute },
		"negative body limit": func(c *auth.Config) { c.BodyLimit = -1 },
	}
	for name, mod := range cases {
		c := ok
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := auth.New(c); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	for _, n := range []int{3, 10} {
		c := ok
		c.CodeLength = n
		if err := c.Validate(); err != nil {
			t.Errorf("code length %d: %v", n, err)
		}
	}
}

func TestRequireAndAccessors(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), nil)
	l := f.login(t, "09120000004")
	var got *auth.Identity
	h := f.svc.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok1 := auth.UserFrom(r.Context())
		s, ok2 := auth.SessionFrom(r.Context())
		id, ok3 := auth.IdentityFrom(r.Context())
		if !ok1 || !ok2 || !ok3 || u != id.User || s.ID != id.Session.ID {
			t.Error("accessors disagree")
		}
		got = id
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+l.Access)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || got == nil {
		t.Fatalf("status %d", rec.Code)
	}
	if got.User.ID != l.User.ID || got.User.MobileNumber != "09120000004" || got.Session.ID != l.Session.ID {
		t.Errorf("identity %+v", got)
	}
	if _, ok := auth.UserFrom(context.Background()); ok {
		t.Error("UserFrom of an empty context")
	}

	// Optional lets anonymous requests through but not bad tokens.
	var anon bool
	opt := f.svc.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, authed := auth.UserFrom(r.Context())
		anon = !authed
	}))
	rec = httptest.NewRecorder()
	opt.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || !anon {
		t.Errorf("anonymous: status %d, anon %v", rec.Code, anon)
	}
	req = httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer nope")
	rec = httptest.NewRecorder()
	opt.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("bad token through Optional: status %d", rec.Code)
	}
}

// TestRevocationAcrossInstances: a session revoked through another
// instance stops working within SessionCheckInterval; on the instance that
// revoked it, at once.
func TestRevocationAcrossInstances(t *testing.T) {
	st := testdb.SQLite(t)
	a := newFixture(t, st, nil)
	sessions, _ := session.New(session.Config{Store: st, Now: a.clock.Now})
	bsvc, err := auth.New(auth.Config{Secret: secret, Users: st, Codes: st, Sessions: sessions, Sender: &smstest.Recorder{}, Now: a.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	l := a.login(t, "09120000005")
	ctx := context.Background()
	if _, _, err := bsvc.Authenticate(ctx, l.Access); err != nil {
		t.Fatal(err)
	}
	if err := a.svc.Revoke(ctx, l.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.Authenticate(ctx, l.Access); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("revoking instance still accepts: %v", err)
	}
	if _, _, err := bsvc.Authenticate(ctx, l.Access); err != nil {
		t.Errorf("other instance within the check interval: %v (it may trust its cache)", err)
	}
	a.clock.Advance(auth.DefaultSessionCheckInterval)
	if _, _, err := bsvc.Authenticate(ctx, l.Access); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("other instance after the check interval: %v", err)
	}
}

func TestSessionCheckEveryRequest(t *testing.T) {
	st := testdb.SQLite(t)
	f := newFixture(t, st, func(c *auth.Config) { c.SessionCheckInterval = -1 })
	l := f.login(t, "09120000006")
	ctx := context.Background()
	if _, _, err := f.svc.Authenticate(ctx, l.Access); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeSession(ctx, l.Session.ID, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Authenticate(ctx, l.Access); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("revoked behind the service's back: %v", err)
	}
}

func TestSendCodeErrors(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), nil)
	ctx := context.Background()
	var wait *auth.WaitError
	if err := f.svc.SendCode(ctx, "0912"); err == nil {
		t.Error("short number accepted")
	}
	if err := f.svc.SendCode(ctx, "09120000007"); err != nil {
		t.Fatal(err)
	}
	err := f.svc.SendCode(ctx, "09120000007")
	if !errors.Is(err, auth.ErrCooldown) || !errors.As(err, &wait) || wait.Seconds() != 240 {
		t.Errorf("second send: %v", err)
	}
	f.clock.Advance(4 * time.Minute)
	f.sms.SetErr(errors.New("down"))
	if err := f.svc.SendCode(ctx, "09120000007"); !errors.Is(err, auth.ErrSendFailed) {
		t.Errorf("failing sender: %v", err)
	}
}

// flipLast returns a base64url character that decodes to the same bytes
// as the last one of s when it ends a 256-bit signature (43 characters:
// the last carries 4 bits and 2 padding bits), but is not the same.
func flipLast(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return string(alphabet[i^1])
}

func TestWriteErrorMapsEverySentinel(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), nil)
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("x: %w", sms.ErrInvalidNumber), 400, "invalid_mobile"},
		{auth.ErrMalformedCode, 400, "invalid_request"},
		{auth.ErrInvalidGroup, 400, "invalid_request"},
		{&auth.WaitError{Err: auth.ErrCooldown, Wait: 3 * time.Second}, 409, "otp_cooldown"},
		{&auth.WaitError{Err: auth.ErrTooManyAttempts, Wait: time.Minute}, 429, "otp_attempts_exceeded"},
		{auth.ErrInvalidCode, 401, "otp_invalid"},
		{fmt.Errorf("%w: %w", auth.ErrSendFailed, errors.New("provider-xyz-failed")), 502, "provider_error"},
		{auth.ErrInvalidToken, 401, "token_invalid"},
		{auth.ErrTokenReused, 401, "token_reused"},
		{errors.New("disk on fire"), 500, "internal"},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		f.svc.WriteError(w, httptest.NewRequest(http.MethodPost, "/", nil), c.err)
		var body map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != c.status || body["code"] != c.code || body["error"] == "" {
			t.Errorf("%v: %d %s, want %d %s", c.err, w.Code, w.Body, c.status, c.code)
		}
		if strings.Contains(w.Body.String(), "fire") || strings.Contains(w.Body.String(), "xyz") {
			t.Errorf("%v: the cause leaked: %s", c.err, w.Body)
		}
	}
	// The host's own handler: a second send is a 409 with Retry-After.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f.svc.SendCode(r.Context(), r.FormValue("phone")); err != nil {
			f.svc.WriteError(w, r, err)
		}
	})
	for i, want := range []int{200, 409} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/?phone=09120000009", nil))
		if w.Code != want || (i == 1 && w.Header().Get("Retry-After") != "240") {
			t.Errorf("send %d: %d %v", i+1, w.Code, w.Header())
		}
	}
}

// TestTimedOutCodeStillWorks: a send that timed out may have reached the
// phone; the number may ask again at once, and the code works meanwhile.
func TestTimedOutCodeStillWorks(t *testing.T) {
	var got sms.Message
	slow := sms.SenderFunc(func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
		got = m
		<-ctx.Done() // the provider never answers
		return sms.Receipt{}, &sms.ProviderError{Provider: "p", Kind: sms.ErrTransport, Err: ctx.Err()}
	})
	f := newFixture(t, testdb.SQLite(t), func(c *auth.Config) { c.Sender = slow; c.SendTimeout = 50 * time.Millisecond })
	ctx := context.Background()
	start := time.Now()
	err := f.svc.SendCode(ctx, "09120000011")
	if !errors.Is(err, auth.ErrSendFailed) || !errors.Is(err, sms.ErrTransport) || time.Since(start) > 5*time.Second {
		t.Fatalf("send: %v after %v", err, time.Since(start))
	}
	code := smstest.Code(got.Text)
	if _, err := f.svc.Verify(ctx, auth.VerifyRequest{Mobile: "09120000011", Code: code}); err != nil {
		t.Errorf("the code that may have arrived: %v", err)
	}
	if !got.Secret {
		t.Error("a code message not marked Secret")
	}
}

func TestOTPTemplate(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), func(c *auth.Config) { c.OTPTemplate = "T1" })
	ctx := context.Background()
	if err := f.svc.SendCode(ctx, "09120000012"); err != nil {
		t.Fatal(err)
	}
	m, _ := f.sms.Last()
	if m.Template != "T1" || len(m.Params) != 1 || len(m.Params[0]) != 8 || m.Text != "" || !m.Secret {
		t.Fatalf("sent %+v", m)
	}
	if _, err := f.svc.Verify(ctx, auth.VerifyRequest{Mobile: "09120000012", Code: m.Params[0]}); err != nil {
		t.Error(err)
	}
}
