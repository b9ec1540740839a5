package sms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMessageValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		m       Message
		wantErr error // nil: valid; errAny: any error
	}{
		{"text", Message{To: "09120000001", Text: "hi"}, nil},
		{"template", Message{To: "+989120000001", Template: "verify", Params: []string{"1234"}}, nil},
		{"template without params", Message{To: "9120000001", Template: "42"}, nil},
		{"any accepted receiver form", Message{To: withDigits("۰۹۱۲ ۰۰۰ ۰۰۰۱", '\u06f0'), Text: "hi"}, nil},
		{"bad receiver", Message{To: "0912000000", Text: "hi"}, ErrInvalidNumber},
		{"no receiver", Message{Text: "hi"}, ErrInvalidNumber},
		{"bad receiver and empty", Message{To: "x"}, ErrInvalidNumber},
		{"empty", Message{To: "09120000001"}, ErrEmptyMessage},
		{"params only", Message{To: "09120000001", Params: []string{"1"}}, ErrEmptyMessage},
		{"text and template", Message{To: "09120000001", Text: "hi", Template: "verify"}, errAny},
		{"text and params", Message{To: "09120000001", Text: "hi", Params: []string{"1"}}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.m.Validate()
			switch {
			case tt.wantErr == nil:
				noError(t, err)
			case tt.wantErr == errAny:
				if err == nil {
					t.Fatal("Validate() = nil, want an error")
				}
				if errors.Is(err, ErrInvalidNumber) || errors.Is(err, ErrEmptyMessage) {
					t.Errorf("Validate() = %v, want neither sentinel", err)
				}
				if !strings.HasPrefix(err.Error(), "sms: ") {
					t.Errorf("error %q does not start with the package name", err)
				}
			default:
				errorIs(t, err, tt.wantErr)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestMessageLogValueHidesContent(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	logger.Info("a", "msg", Message{To: "+989121234567", Text: "Your code: 98765432"})
	logger.Info("b", "msg", Message{To: "09121234567", Template: "verify", Params: []string{"98765432"}})
	logger.Info("c", "msg", Message{To: "bad 0912123456", Text: "x"})
	out := buf.String()
	for _, secret := range []string{"98765432", "1234567", "123456"} {
		if strings.Contains(out, secret) {
			t.Errorf("log output %q contains %q", out, secret)
		}
	}
	for _, want := range []string{"msg.to=0912***4567", "msg.text_len=19", "msg.template=verify", "msg.params=1", "msg.to=***"} {
		if !strings.Contains(out, want) {
			t.Errorf("log output %q lacks %q", out, want)
		}
	}
}

func TestSenderFunc(t *testing.T) {
	t.Parallel()
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	wantErr := errors.New("boom")
	var gotCtx context.Context
	var gotMsg Message
	var s Sender = SenderFunc(func(ctx context.Context, m Message) (Receipt, error) {
		gotCtx, gotMsg = ctx, m
		return Receipt{Provider: "func", MessageID: "7", Parts: 2}, wantErr
	})
	m := Message{To: "09120000001", Text: "hi"}
	r, err := s.Send(ctx, m)
	errorIs(t, err, wantErr)
	equal(t, "Receipt", r, Receipt{Provider: "func", MessageID: "7", Parts: 2})
	equal(t, "ctx value", gotCtx.Value(key{}), any("v"))
	equal(t, "message text", gotMsg.Text, m.Text)
	equal(t, "message to", gotMsg.To, m.To)
}
