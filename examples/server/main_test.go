package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	env := map[string]string{"CHELSERU_ADDR": ":9000", "CHELSERU_PREFIX": "/v1/", "CHELSERU_DB": "x.db"}
	getenv := func(k string) string { return env[k] }
	o, err := parseFlags([]string{"-db", "flag.db"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := options{addr: ":9000", db: "flag.db", prefix: "/v1/", smsProvider: "console", rateLimits: "on", broker: "memory"}
	if o != want {
		t.Errorf("options %+v, want %+v (flags beat variables, variables beat defaults)", o, want)
	}
	o, err = parseFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o != (options{addr: ":8000", db: "chelseru.db", prefix: "/api/", smsProvider: "console", rateLimits: "on", broker: "memory"}) {
		t.Errorf("defaults %+v", o)
	}
	if _, err := parseFlags([]string{"-nope"}, getenv, io.Discard); err == nil {
		t.Error("unknown flag accepted")
	}
	if _, err := parseFlags([]string{"extra"}, getenv, io.Discard); err == nil {
		t.Error("stray argument accepted")
	}
}

// syncBuffer is a log sink the test reads while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServer runs the example server on a SQLite file and logs in the way
// the README's walkthrough does, reading the code from the server's log.
func TestServer(t *testing.T) {
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	db := filepath.Join(t.TempDir(), "test.db")
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db}, func(string) string { return "" }, logger, ready)
	}()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr + "/api/"
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}

	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	if status, _ := post("otp/send/", `{"mobile_number":"09120000001"}`); status != http.StatusOK {
		t.Fatalf("send: %d", status)
	}
	m := regexp.MustCompile(`msg="sms \(console\)" to=09120000001 text="Your code: (\d{8})"`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no code in the log:\n%s", logs)
	}
	if status, _ := post("otp/send/", `{"mobile_number":"09120000001"}`); status != http.StatusConflict {
		t.Errorf("second send: %d, want 409", status)
	}
	status, body := post("authenticate/", `{"mobile_number":"09120000001","code":"`+m[1]+`"}`)
	if status != http.StatusOK {
		t.Fatalf("authenticate: %d %v", status, body)
	}
	for _, want := range []string{"no -jwt-secret", "SMS provider is console"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not warn %q", want)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
}

func TestBadSecret(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "x.db"), "-jwt-secret", "short"},
		func(string) string { return "" }, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Errorf("err %v, want one naming the 32-byte minimum", err)
	}
}

func TestOpenDBRefusesOtherURLs(t *testing.T) {
	for _, dsn := range []string{"mysql://root@localhost/x", "redis://localhost:6379"} {
		if _, err := openDB(dsn); err == nil || !strings.Contains(err.Error(), "neither") {
			t.Errorf("%s: %v", dsn, err)
		}
	}
	for dsn, want := range map[string]bool{
		"postgres://u@h/db": true, "postgresql://u@h/db": true, "host=127.0.0.1 user=postgres dbname=test": true,
		"chelseru.db": false, "file:x.db?mode=memory": false, "/var/lib/app/db.sqlite": false,
	} {
		if isPostgres(dsn) != want {
			t.Errorf("isPostgres(%q) = %v", dsn, !want)
		}
	}
}

// start runs the server with args and env until the test ends, and
// returns its API's base URL and its log.
func start(t *testing.T, args []string, env map[string]string) (string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	args = append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "test.db")}, args...)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(logs, nil)), ready)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case addr := <-ready:
		return "http://" + addr + "/api/", logs
	case err := <-done:
		t.Fatalf("server stopped: %v\n%s", err, logs)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	return "", nil
}

func post(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// fakeKavenegar records what reaches it and answers as Kavenegar does.
type fakeKavenegar struct {
	mu    sync.Mutex
	calls []string // path?form
}

func (f *fakeKavenegar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.calls = append(f.calls, r.URL.Path+"?"+r.PostForm.Encode())
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"message":"x","status":1,"statustext":"در صف ارسال","sender":"10004346","receptor":"09120000001","date":1700000000,"cost":120}]}`)
}

func (f *fakeKavenegar) last(t *testing.T) (path string, form url.Values) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("nothing reached the fake Kavenegar")
	}
	p, q, _ := strings.Cut(f.calls[len(f.calls)-1], "?")
	form, _ = url.ParseQuery(q)
	return p, form
}

// TestServerWithKavenegar: with CHELSERU_SMS_PROVIDER=kavenegar and
// CHELSERU_SMS_BASE_URL at a fake, codes go through verify/lookup when a
// template is set and through sms/send otherwise, and log in.
func TestServerWithKavenegar(t *testing.T) {
	fake := &fakeKavenegar{}
	ks := httptest.NewServer(fake)
	defer ks.Close()
	env := map[string]string{"CHELSERU_SMS_PROVIDER": "kavenegar", "CHELSERU_SMS_BASE_URL": ks.URL, "KAVENEGAR_API_KEY": "TEST-KEY", "KAVENEGAR_SENDER": "10004346"}

	base, _ := start(t, nil, env)
	if status, _ := post(t, base+"otp/send/", "", `{"mobile_number":"09120000001"}`); status != http.StatusOK {
		t.Fatalf("send: %d", status)
	}
	path, form := fake.last(t)
	if path != "/v1/TEST-KEY/sms/send.json" || form.Get("receptor") != "09120000001" || form.Get("sender") != "10004346" ||
		!strings.HasPrefix(form.Get("message"), "Your code: ") {
		t.Fatalf("plain send reached %s with %v", path, form)
	}
	code := strings.TrimPrefix(form.Get("message"), "Your code: ")
	if status, body := post(t, base+"authenticate/", "", `{"mobile_number":"09120000001","code":"`+code+`"}`); status != http.StatusOK {
		t.Fatalf("authenticate: %d %v", status, body)
	}

	env["CHELSERU_OTP_TEMPLATE"] = "T1"
	env["CHELSERU_SMS_TEMPLATES"] = "T1=verify-code"
	base, _ = start(t, nil, env)
	if status, _ := post(t, base+"otp/send/", "", `{"mobile_number":"09120000002"}`); status != http.StatusOK {
		t.Fatalf("send: %d", status)
	}
	path, form = fake.last(t)
	if path != "/v1/TEST-KEY/verify/lookup.json" || form.Get("template") != "verify-code" || form.Get("receptor") != "09120000002" || len(form.Get("token")) != 8 {
		t.Fatalf("template send reached %s with %v", path, form)
	}
	if status, body := post(t, base+"authenticate/", "", `{"mobile_number":"09120000002","code":"`+form.Get("token")+`"}`); status != http.StatusOK {
		t.Fatalf("authenticate with the lookup token: %d %v", status, body)
	}
}

// TestServerNeedsCredentials: a provider without its credentials stops
// the server at start, naming the variable.
func TestServerNeedsCredentials(t *testing.T) {
	for provider, want := range map[string]string{
		"kavenegar": "KAVENEGAR_API_KEY", "melipayamak": "MELIPAYAMAK_USERNAME and MELIPAYAMAK_PASSWORD",
		"parsian": "PARSIAN_API_KEY", "smsir": "SMSIR_API_KEY", "ghasedak": "GHASEDAK_API_KEY",
		"webhook": "CHELSERU_SMS_WEBHOOK_URL and CHELSERU_SMS_WEBHOOK_SECRET",
	} {
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "x.db"), "-sms-provider", provider},
			func(string) string { return "" }, slog.New(slog.DiscardHandler), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", provider, err, want)
		}
	}
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "x.db"), "-sms-provider", "nope"},
		func(string) string { return "" }, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), "kavenegar") {
		t.Errorf("unknown provider: %v", err)
	}
}

// TestServerStaffSend: a -staff number may use message/send/; others not.
func TestServerStaffSend(t *testing.T) {
	base, logs := start(t, []string{"-staff", "+98 912 000 0003"}, nil)
	login := func(mobile string) string {
		post(t, base+"otp/send/", "", `{"mobile_number":"`+mobile+`"}`)
		m := regexp.MustCompile(`to=` + mobile + ` text="Your code: (\d{8})"`).FindStringSubmatch(logs.String())
		if m == nil {
			t.Fatalf("no code for %s in the log", mobile)
		}
		_, body := post(t, base+"authenticate/", "", `{"mobile_number":"`+mobile+`","code":"`+m[1]+`"}`)
		tok, _ := body["access"].(string)
		return tok
	}
	msg := `{"mobile_number":"09120000009","message_text":"hello"}`
	if status, body := post(t, base+"message/send/", login("09120000003"), msg); status != http.StatusOK || body["provider"] != "console" {
		t.Errorf("staff: %d %v", status, body)
	}
	if status, _ := post(t, base+"message/send/", login("09120000004"), msg); status != http.StatusForbidden {
		t.Errorf("not staff: %d", status)
	}
}
