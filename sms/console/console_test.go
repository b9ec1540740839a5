package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/console"
)

func equal[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", name, got, want)
	}
}

func contains(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("log output %q lacks %q", out, want)
	}
}

// lockedBuffer is a bytes.Buffer safe for the concurrent test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newSender(t *testing.T, level slog.Level) (*console.Sender, *lockedBuffer) {
	t.Helper()
	var buf lockedBuffer
	return console.New(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))), &buf
}

func TestSendText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, to, text, wantTo string
		parts                  int
	}{
		{"latin", "+98 912 123 4567", "Your code: 01234567", "09121234567", 1},
		{"persian", "۰۹۳۵۱۱۱۲۲۳۳", "کد ورود شما: ۱۲۳۴", "09351112233", 1},
		{"long", "9120000001", strings.Repeat("x ", 80) + "y", "09120000001", 2},
		{"newlines stay on one line", "09120000001", "line one\nline two\n", "09120000001", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, buf := newSender(t, slog.LevelInfo)
			r, err := s.Send(context.Background(), sms.Message{To: tt.to, Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "Receipt", r, sms.Receipt{Provider: "console", MessageID: "1", Parts: tt.parts})

			out := buf.String()
			equal(t, "lines logged", strings.Count(out, "\n"), 1)
			contains(t, out, "level=INFO")
			contains(t, out, `msg="sms (console)"`)
			contains(t, out, "to="+tt.wantTo+" ")
			contains(t, out, "text="+strconv.Quote(tt.text))
			contains(t, out, "message_id=1")
			contains(t, out, "parts="+strconv.Itoa(tt.parts))
		})
	}
}

func TestSendTextUnquoted(t *testing.T) {
	t.Parallel()
	s, buf := newSender(t, slog.LevelInfo)
	if _, err := s.Send(context.Background(), sms.Message{To: "09120000001", Text: "01234567"}); err != nil {
		t.Fatal(err)
	}
	contains(t, buf.String(), "text=01234567")
}

func TestSendTemplate(t *testing.T) {
	t.Parallel()
	s, buf := newSender(t, slog.LevelInfo)
	r, err := s.Send(context.Background(), sms.Message{To: "09120000001", Template: "verify", Params: []string{"1234", "Ali"}})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Receipt", r, sms.Receipt{Provider: "console", MessageID: "1", Parts: 1})
	out := buf.String()
	equal(t, "lines logged", strings.Count(out, "\n"), 1)
	contains(t, out, "to=09120000001")
	contains(t, out, "template=verify")
	contains(t, out, `params="[1234 Ali]"`)
	if strings.Contains(out, "text=") {
		t.Errorf("template message logged a text: %q", out)
	}
}

func TestSendJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := console.New(slog.New(slog.NewJSONHandler(&buf, nil)))
	if _, err := s.Send(context.Background(), sms.Message{To: "+989120000001", Template: "otp", Params: []string{"42"}}); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Msg       string   `json:"msg"`
		To        string   `json:"to"`
		Template  string   `json:"template"`
		Params    []string `json:"params"`
		MessageID string   `json:"message_id"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v in %q", err, buf.String())
	}
	equal(t, "msg", rec.Msg, "sms (console)")
	equal(t, "to", rec.To, "09120000001")
	equal(t, "template", rec.Template, "otp")
	equal(t, "message_id", rec.MessageID, "1")
	if len(rec.Params) != 1 || rec.Params[0] != "42" {
		t.Errorf("params = %q, want [42]", rec.Params)
	}
}

func TestSendRefuses(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		m    sms.Message
		want error
	}{
		{"bad number", context.Background(), sms.Message{To: "0912000000", Text: "hi"}, sms.ErrInvalidNumber},
		{"empty", context.Background(), sms.Message{To: "09120000001"}, sms.ErrEmptyMessage},
		{"canceled", canceled, sms.Message{To: "09120000001", Text: "hi"}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, buf := newSender(t, slog.LevelDebug)
			r, err := s.Send(tt.ctx, tt.m)
			if !errors.Is(err, tt.want) {
				t.Errorf("Send error = %v, want %v", err, tt.want)
			}
			equal(t, "Receipt", r, sms.Receipt{})
			equal(t, "log output", buf.String(), "")
		})
	}
}

func TestSendConcurrentUniqueIDs(t *testing.T) {
	t.Parallel()
	s, buf := newSender(t, slog.LevelInfo)
	const goroutines, each = 8, 50
	var (
		mu  sync.Mutex
		ids = make(map[string]bool)
		wg  sync.WaitGroup
	)
	for range goroutines {
		wg.Go(func() {
			for range each {
				r, err := s.Send(context.Background(), sms.Message{To: "09120000001", Text: "hi"})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids[r.MessageID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	equal(t, "unique ids", len(ids), goroutines*each)
	equal(t, "lines logged", strings.Count(buf.String(), "\n"), goroutines*each)
}

// TestNilLogger changes slog's default, so it is not parallel.
func TestNilLogger(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))

	for _, s := range []*console.Sender{console.New(nil), new(console.Sender)} {
		if _, err := s.Send(context.Background(), sms.Message{To: "09120000001", Text: "via default"}); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "lines logged", strings.Count(buf.String(), `text="via default"`), 2)
}
