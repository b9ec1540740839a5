package contract

import (
	"bytes"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/store"
)

func TestSendCode(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		r := e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000001"})
		wantStatus(t, r, http.StatusOK)
		if got := r.str("details"); got != "The OTP code was sent correctly." {
			t.Errorf("details %q", got)
		}
		msg, ok := e.sms.Last()
		if !ok || msg.To != "09120000001" {
			t.Fatalf("SMS %+v, %v", msg, ok)
		}
		if !strings.Contains(msg.Text, "Your code: ") || len(codeOf(msg)) != 8 {
			t.Errorf("SMS text %q: want an 8-digit code", msg.Text)
		}
	})
}

func codeOf(m sms.Message) string {
	i := strings.LastIndex(m.Text, " ")
	return m.Text[i+1:]
}

func TestResendCooldown(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.sendCode("09120000001")
		e.clock.Advance(10 * time.Second)
		// The same number in every accepted spelling is the same cooldown.
		for _, mobile := range []string{"09120000001", "۰۹۱۲۰۰۰۰۰۰۱", "+989120000001", "0098 912 000 0001", "9120000001", "٠٩١٢٠٠٠٠٠٠١"} {
			r := e.post("/api/otp/send/", map[string]string{"mobile_number": mobile})
			wantError(t, r, http.StatusConflict, "otp_cooldown")
			want := "An OTP code has already been sent. Please wait 230 seconds before trying again."
			if r.str("details") != want || r.str("error") != want {
				t.Errorf("%s: details %q error %q, want %q", mobile, r.str("details"), r.str("error"), want)
			}
			if r.header.Get("Retry-After") != "230" || r.body["retry_after"] != float64(230) {
				t.Errorf("%s: Retry-After %q retry_after %v, want 230", mobile, r.header.Get("Retry-After"), r.body["retry_after"])
			}
		}
		if n := e.sms.Len(); n != 1 {
			t.Errorf("%d SMS sent, want 1", n)
		}
		// After the interval a new code replaces the old one.
		old := codeOf(e.sms.Messages()[0])
		e.clock.Advance(231 * time.Second)
		code := e.sendCode("09120000001")
		if old != code {
			r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000001", "code": old})
			wantError(t, r, http.StatusUnauthorized, "otp_invalid")
		}
		r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000001", "code": code})
		wantStatus(t, r, http.StatusOK)
	})
}

func TestUsedCodeEndsCooldown(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.login("09120000002")
		r := e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000002"})
		wantStatus(t, r, http.StatusOK)
	})
}

func TestAuthenticate(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		code := e.sendCode("09120000001")
		r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000001", "code": wrong(code)})
		wantError(t, r, http.StatusUnauthorized, "otp_invalid")
		if got := r.str("error"); got != "The code sent to this mobile number was not found." {
			t.Errorf("error %q", got)
		}

		r = e.post("/api/authenticate/", map[string]string{"mobile_number": "۰۹۱۲۰۰۰۰۰۰۱", "code": code})
		wantStatus(t, r, http.StatusOK)
		for _, k := range []string{"access", "refresh", "session_id"} {
			if r.str(k) == "" {
				t.Errorf("no %q in %s", k, r.raw)
			}
		}
		if r.str("token_type") != "Bearer" || r.body["expires_in"] != float64(300) || r.body["created"] != true {
			t.Errorf("token_type, expires_in, created: %s", r.raw)
		}
		user, _ := r.body["user"].(map[string]any)
		want := map[string]any{"id": user["id"], "username": "G0-09120000001", "mobile_number": "09120000001", "group": float64(0)}
		if fmt.Sprint(user) != fmt.Sprint(want) {
			t.Errorf("user %v, want %v", user, want)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
		}

		// The code is used: again is 401.
		r = e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000001", "code": code})
		wantError(t, r, http.StatusUnauthorized, "otp_invalid")

		// Another spelling of the number is the same user.
		again := e.login("+989120000001")
		if u, _ := again.body["user"].(map[string]any); u["id"] != user["id"] || again.body["created"] != false {
			t.Errorf("second login %s, want user %v not created", again.raw, user["id"])
		}
	})
}

// wrong returns a code of the same length that is not code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestAuthenticateGroups(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		first := e.login("09120000003")
		code := e.sendCode("09120000003")
		r := e.postForm("/api/authenticate/", url.Values{"mobile_number": {"09120000003"}, "code": {code}, "group": {"7"}})
		wantStatus(t, r, http.StatusOK)
		u0, _ := first.body["user"].(map[string]any)
		u7, _ := r.body["user"].(map[string]any)
		if u0["id"] == u7["id"] || u7["username"] != "G7-09120000003" || u7["group"] != float64(7) || r.body["created"] != true {
			t.Errorf("group 7 user %v, group 0 user %v", u7, u0)
		}
		// A JSON number works for group as well.
		code = e.sendCode("09120000003")
		r = e.post("/api/authenticate/", map[string]any{"mobile_number": "09120000003", "code": code, "group": 7})
		wantStatus(t, r, http.StatusOK)
		if u, _ := r.body["user"].(map[string]any); u["id"] != u7["id"] {
			t.Errorf("group 7 again is user %v, want %v", u["id"], u7["id"])
		}
	})
}

func TestExpiredCode(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		code := e.sendCode("09120000004")
		e.clock.Advance(4*time.Minute + time.Second)
		r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000004", "code": code})
		wantError(t, r, http.StatusUnauthorized, "otp_invalid")
		if got := r.str("error"); got != "The code sent to this mobile number was not found." {
			t.Errorf("error %q", got)
		}
	})
}

func TestWrongTriesBurnTheCode(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		code := e.sendCode("09120000005")
		for i := range 5 {
			r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000005", "code": wrong(code)})
			if r.status != http.StatusUnauthorized {
				t.Fatalf("wrong try %d: status %d, want 401", i+1, r.status)
			}
		}
		e.clock.Advance(time.Minute)
		// Burned: even the right code is refused until a new one is sent.
		r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000005", "code": code})
		wantError(t, r, http.StatusTooManyRequests, "otp_attempts_exceeded")
		if r.header.Get("Retry-After") != "180" || r.body["retry_after"] != float64(180) {
			t.Errorf("Retry-After %q retry_after %v, want 180", r.header.Get("Retry-After"), r.body["retry_after"])
		}
		// A burned code still holds the resend cooldown.
		r = e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000005"})
		wantError(t, r, http.StatusConflict, "otp_cooldown")
		e.clock.Advance(3 * time.Minute)
		e.login("09120000005")
	})
}

func TestFormAndMultipartBodies(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		r := e.postForm("/api/otp/send/", url.Values{"mobile_number": {"09120000006"}})
		wantStatus(t, r, http.StatusOK)
		code := codeOf(mustLast(t, e))

		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("mobile_number", "09120000006")
		_ = mw.WriteField("code", code)
		_ = mw.Close()
		r = e.do(e.request(http.MethodPost, "/api/authenticate/", mw.FormDataContentType(), &buf))
		wantStatus(t, r, http.StatusOK)

		r = e.postForm("/api/token/refresh/", url.Values{"refresh": {r.str("refresh")}})
		wantStatus(t, r, http.StatusOK)
	})
}

func mustLast(t *testing.T, e *env) sms.Message {
	t.Helper()
	m, ok := e.sms.Last()
	if !ok {
		t.Fatal("no SMS sent")
	}
	return m
}

func TestTrailingSlashOptional(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		r := e.post("/api/otp/send", map[string]string{"mobile_number": "09120000007"})
		wantStatus(t, r, http.StatusOK)
		code := codeOf(mustLast(t, e))
		r = e.post("/api/authenticate", map[string]string{"mobile_number": "09120000007", "code": code})
		wantStatus(t, r, http.StatusOK)
		access := r.str("access")
		r = e.post("/api/token/refresh", map[string]string{"refresh": r.str("refresh")})
		wantStatus(t, r, http.StatusOK)
		wantStatus(t, e.get("/api/sessions", access), http.StatusOK)
	})
}

func TestUnknownPathsAndMethods(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		wantError(t, e.post("/api/nope/", "{}"), http.StatusNotFound, "not_found")
		r := e.get("/api/otp/send/", "")
		wantError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
		if r.header.Get("Allow") != "POST" {
			t.Errorf("Allow %q", r.header.Get("Allow"))
		}
		wantError(t, e.post("/api/sessions/", "{}"), http.StatusMethodNotAllowed, "method_not_allowed")
	})
}

func TestProviderFailureDiscardsTheCode(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.sms.SetErr(&sms.ProviderError{Provider: "kavenegar", Kind: sms.ErrTemporary, Code: "409", Message: "provider down"})
		r := e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000008"})
		wantError(t, r, http.StatusBadGateway, "provider_error")
		if strings.Contains(string(r.raw), "provider down") {
			t.Errorf("the provider's error leaked: %s", r.raw)
		}
		if r.str("provider") != "kavenegar" || r.body["provider_code"] != float64(409) {
			t.Errorf("502 body %s", r.raw)
		}
		// A failure that is not a provider's still answers with the keys.
		e.sms.SetErr(errors.New("no route"))
		r = e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000008"})
		wantError(t, r, http.StatusBadGateway, "provider_error")
		if _, ok := r.body["provider"]; !ok {
			t.Errorf("502 body without provider: %s", r.raw)
		}
		e.sms.SetErr(nil)
		// No cooldown: the failed code never reached the user.
		e.login("09120000008")
	})
}

// TestConcurrentVerify: of 50 concurrent logins with the one right code,
// exactly one gets 200 and none a 5xx.
func TestConcurrentVerify(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		code := e.sendCode("09120000009")
		const n = 50
		statuses := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000009", "code": code})
				statuses[i] = r.status
			})
		}
		close(start)
		wg.Wait()
		counts := map[int]int{}
		for _, s := range statuses {
			counts[s]++
		}
		if counts[http.StatusOK] != 1 || counts[http.StatusUnauthorized] != n-1 {
			t.Errorf("statuses %v, want one 200 and %d 401", counts, n-1)
		}
	})
}

func TestConcurrentSend(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const n = 20
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Go(func() {
				statuses[i] = e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000010"}).status
			})
		}
		wg.Wait()
		counts := map[int]int{}
		for _, s := range statuses {
			counts[s]++
		}
		if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != n-1 || e.sms.Len() != 1 {
			t.Errorf("statuses %v and %d SMS, want one 200, %d 409 and one SMS", counts, e.sms.Len(), n-1)
		}
	})
}

func TestShortCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, func(c *auth.Config) { c.CodeLength = 4; c.ResendInterval = time.Minute })
		code := e.sendCode("09120000011")
		if len(code) != 4 {
			t.Fatalf("code %q, want 4 digits", code)
		}
		r := e.post("/api/authenticate/", map[string]string{"mobile_number": "09120000011", "code": code + "0"})
		wantError(t, r, http.StatusBadRequest, "invalid_request", "code")
		e.clock.Advance(time.Minute)
		e.sendCode("09120000011")
	})
}
