package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
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
	want := options{addr: ":9000", db: "flag.db", prefix: "/v1/"}
	if o != want {
		t.Errorf("options %+v, want %+v (flags beat variables, variables beat defaults)", o, want)
	}
	o, err = parseFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o != (options{addr: ":8000", db: "chelseru.db", prefix: "/api/"}) {
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
