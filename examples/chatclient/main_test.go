package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms/smstest"
)

// TestREADMECopy: the README's Go chat client is this file.
func TestREADMECopy(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	code := string(src)
	code = code[strings.Index(code, "package main"):]
	if !strings.Contains(string(readme), "```go\n"+code+"```") {
		t.Error("README.md's Go chat client differs from examples/chatclient/main.go")
	}
}

// syncBuffer collects what the client prints.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// TestChat runs the client against a server: it logs in with the code
// the SMS carried, opens the direct room with another user, and chats.
func TestChat(t *testing.T) {
	st := testdb.SQLite(t)
	phone := &smstest.Recorder{}
	sessions, _ := session.New(session.Config{Store: st})
	authn, err := auth.New(auth.Config{Secret: []byte("chat-client-test-secret-of-32-bytes"), Users: st, Codes: st, Sessions: sessions, Sender: phone})
	if err != nil {
		t.Fatal(err)
	}
	rooms, err := chat.New(chat.Config{Auth: authn, Store: st, Users: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rooms.Run(ctx)
	mux := http.NewServeMux()
	mux.Handle("/api/", httpx.Router("/api/", authn, rooms))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer rooms.Close(context.Background())

	// The peer, user 1, logs in first.
	if err := authn.SendCode(ctx, "09120000002"); err != nil {
		t.Fatal(err)
	}
	m, _ := phone.Last()
	peer, err := authn.Verify(ctx, auth.VerifyRequest{Mobile: "09120000002", Code: smstest.Code(m.Text)})
	if err != nil {
		t.Fatal(err)
	}

	in, typing := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, srv.URL+"/api/", "09120000001", peer.User.ID, in, out) }()
	wait := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s; the client printed %q", what, out.String())
			}
		}
	}
	wait("code SMS", func() bool { m, ok := phone.LastTo("09120000001"); return ok && m.Text != "" })
	m, _ = phone.LastTo("09120000001")
	io.WriteString(typing, smstest.Code(m.Text)+"\n")
	io.WriteString(typing, "سلام\n")
	wait("echo of the message", func() bool { return strings.Contains(out.String(), "G0-09120000001: سلام") })
	typing.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
