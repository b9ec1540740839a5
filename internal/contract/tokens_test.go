package contract

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRefreshRotationGraceAndReuse(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		first := e.login("09120000020")
		e.clock.Advance(2 * time.Second)

		second := e.post("/api/token/refresh/", map[string]string{"refresh": first.str("refresh")})
		wantStatus(t, second, http.StatusOK)
		if second.str("access") == first.str("access") || second.str("refresh") == first.str("refresh") {
			t.Fatal("refresh returned the old pair")
		}
		if second.str("session_id") != first.str("session_id") || second.body["created"] != false {
			t.Errorf("refresh body %s", second.raw)
		}

		// Within the grace window the rotated-out token returns the very
		// same pair: a retry or a second tab.
		e.clock.Advance(9 * time.Second)
		retry := e.post("/api/token/refresh/", map[string]string{"refresh": first.str("refresh")})
		wantStatus(t, retry, http.StatusOK)
		if retry.str("access") != second.str("access") || retry.str("refresh") != second.str("refresh") {
			t.Errorf("grace retry gave another pair")
		}
		// The new access token works.
		wantStatus(t, e.get("/api/sessions/", second.str("access")), http.StatusOK)

		// After the window it is reuse: the session is revoked.
		e.clock.Advance(2 * time.Second)
		r := e.post("/api/token/refresh/", map[string]string{"refresh": first.str("refresh")})
		wantError(t, r, http.StatusUnauthorized, "token_reused")
		r = e.post("/api/token/refresh/", map[string]string{"refresh": second.str("refresh")})
		wantError(t, r, http.StatusUnauthorized, "token_invalid")
		r = e.get("/api/sessions/", second.str("access"))
		wantError(t, r, http.StatusUnauthorized, "unauthorized")
	})
}

func TestRefreshOfAnOlderGenerationIsReuse(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		g0 := e.login("09120000021")
		g1 := e.post("/api/token/refresh/", map[string]string{"refresh": g0.str("refresh")})
		wantStatus(t, g1, http.StatusOK)
		e.clock.Advance(time.Second)
		g2 := e.post("/api/token/refresh/", map[string]string{"refresh": g1.str("refresh")})
		wantStatus(t, g2, http.StatusOK)
		// g0 is two generations old: reuse even inside the window.
		r := e.post("/api/token/refresh/", map[string]string{"refresh": g0.str("refresh")})
		wantError(t, r, http.StatusUnauthorized, "token_reused")
		wantError(t, e.post("/api/token/refresh/", map[string]string{"refresh": g2.str("refresh")}), http.StatusUnauthorized, "token_invalid")
	})
}

func TestTokensAreNotInterchangeable(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		r := e.login("09120000022")
		// An access token is no refresh token, and the other way round.
		wantError(t, e.post("/api/token/refresh/", map[string]string{"refresh": r.str("access")}), http.StatusUnauthorized, "token_invalid")
		wantError(t, e.get("/api/sessions/", r.str("refresh")), http.StatusUnauthorized, "unauthorized")
		// Garbage and tampering.
		for _, tok := range []string{"x", "a.b.c", tamper(r.str("access")), r.str("access") + "x"} {
			wantError(t, e.get("/api/sessions/", tok), http.StatusUnauthorized, "unauthorized")
		}
		wantError(t, e.post("/api/token/refresh/", map[string]string{"refresh": tamper(r.str("refresh"))}), http.StatusUnauthorized, "token_invalid")
		// Expired access token.
		e.clock.Advance(5*time.Minute + time.Second)
		wantError(t, e.get("/api/sessions/", r.str("access")), http.StatusUnauthorized, "unauthorized")
		// The refresh token outlives it.
		wantStatus(t, e.post("/api/token/refresh/", map[string]string{"refresh": r.str("refresh")}), http.StatusOK)
	})
}

// tamper changes the user id in a token's claims and keeps the signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(raw, &claims)
	claims["user_id"] = claims["user_id"].(float64) + 1
	claims["sub"] = "999"
	raw, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func TestAuthorizationHeader(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		access := e.login("09120000023").str("access")
		for _, h := range []string{"", "Bearer", "Bearer ", "Token " + access, "Basic " + access, access, "Bearer " + access + " extra"} {
			req := e.request(http.MethodGet, "/api/sessions/", "", nil)
			if h != "" {
				req.Header.Set("Authorization", h)
			}
			r := e.do(req)
			wantError(t, r, http.StatusUnauthorized, "unauthorized")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%q: no WWW-Authenticate", h)
			}
		}
		req := e.request(http.MethodGet, "/api/sessions/", "", nil)
		req.Header.Set("Authorization", "bearer "+access)
		wantStatus(t, e.do(req), http.StatusOK)
	})
}

func TestSessions(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		desk := e.login("09120000024")
		list := e.sessions(desk.str("access"))
		if len(list) != 1 {
			t.Fatalf("%d sessions, want 1", len(list))
		}
		s := list[0]
		want := map[string]any{
			"id": desk.str("session_id"), "device": "Desktop", "browser": "Chrome 120.0", "os": "Windows 10",
			"ip_address": "127.0.0.1", "current": true,
		}
		for k, v := range want {
			if s[k] != v {
				t.Errorf("%s = %v, want %v", k, s[k], v)
			}
		}
		for _, k := range []string{"user_agent", "last_seen", "created_at"} {
			if v, _ := s[k].(string); v == "" {
				t.Errorf("no %s in %v", k, s)
			}
		}
		if ts, _ := s["created_at"].(string); !strings.HasSuffix(ts, "Z") {
			t.Errorf("created_at %q is not UTC with a Z", ts)
		}
		for k := range s {
			switch k {
			case "id", "user_agent", "ip_address", "device", "browser", "os", "last_seen", "created_at", "current":
			default:
				t.Errorf("unexpected key %q in a session", k)
			}
		}

		// A second device of the same user.
		e.clock.Advance(2 * time.Minute)
		code := e.sendCode("09120000024")
		req := e.request(http.MethodPost, "/api/authenticate/", "application/json",
			strings.NewReader(`{"mobile_number":"09120000024","code":"`+code+`"}`))
		req.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36")
		phone := e.do(req)
		wantStatus(t, phone, http.StatusOK)
		list = e.sessions(phone.str("access"))
		if len(list) != 2 {
			t.Fatalf("%d sessions, want 2", len(list))
		}
		if list[0]["id"] != phone.str("session_id") || list[0]["current"] != true || list[0]["device"] != "Mobile" || list[0]["os"] != "Android 14" {
			t.Errorf("newest session %v", list[0])
		}
		if list[1]["id"] != desk.str("session_id") || list[1]["current"] != false {
			t.Errorf("older session %v", list[1])
		}

		// Another user sees only their own.
		other := e.login("09120000025")
		list = e.sessions(other.str("access"))
		if len(list) != 1 || list[0]["id"] != other.str("session_id") {
			t.Errorf("other user's sessions %v", list)
		}
		wantError(t, e.get("/api/sessions/", ""), http.StatusUnauthorized, "unauthorized")
	})
}

func (e *env) sessions(access string) []map[string]any {
	e.t.Helper()
	r := e.get("/api/sessions/", access)
	wantStatus(e.t, r, http.StatusOK)
	var list []map[string]any
	if err := json.Unmarshal(r.raw, &list); err != nil {
		e.t.Fatalf("sessions body %s: %v", r.raw, err)
	}
	return list
}

// TestHostileUserAgent: whatever bytes a client sends as its User-Agent,
// the login succeeds and the session stores valid text.
func TestHostileUserAgent(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		for i, ua := range []string{"bad \xff\xfe bytes", strings.Repeat("é", 600), strings.Repeat("a", 511) + "é"} {
			mobile := "0912000005" + string(rune('0'+i))
			code := e.sendCode(mobile)
			req := e.request(http.MethodPost, "/api/authenticate/", "application/json",
				strings.NewReader(`{"mobile_number":"`+mobile+`","code":"`+code+`"}`))
			req.Header.Set("User-Agent", ua)
			r := e.do(req)
			wantStatus(t, r, http.StatusOK)
			list := e.sessions(r.str("access"))
			if got, _ := list[0]["user_agent"].(string); !utf8.ValidString(got) || len(got) > 512 {
				t.Errorf("stored user agent %q", got)
			}
		}
	})
}
