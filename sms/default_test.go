package sms

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// The tests in this file change the package default, so none of them is
// parallel, and no parallel test in this package uses the default.

func TestDefaultInitiallyFails(t *testing.T) {
	SetDefault(nil)
	t.Cleanup(func() { SetDefault(nil) })

	if Default() != Default() { // comparable, so this must not panic
		t.Error("Default() differs between calls")
	}
	for _, s := range []Sender{Default(), Default()} {
		r, err := s.Send(context.Background(), Message{To: "09120000001", Text: "hi"})
		errorIs(t, err, ErrNoSender)
		equal(t, "Receipt", r, Receipt{})
	}
	_, err := Send(context.Background(), Message{To: "09120000001", Text: "hi"})
	errorIs(t, err, ErrNoSender)
	if !strings.HasPrefix(ErrNoSender.Error(), "sms: ") {
		t.Errorf("ErrNoSender = %q, want the package prefix", ErrNoSender)
	}
}

func TestSetDefault(t *testing.T) {
	t.Cleanup(func() { SetDefault(nil) })

	var got []Message
	s := SenderFunc(func(_ context.Context, m Message) (Receipt, error) {
		got = append(got, m)
		return Receipt{Provider: "test", MessageID: "1", Parts: 1}, nil
	})
	SetDefault(s)

	r, err := Send(context.Background(), Message{To: "09120000001", Text: "hello"})
	noError(t, err)
	equal(t, "Receipt", r, Receipt{Provider: "test", MessageID: "1", Parts: 1})
	if len(got) != 1 || got[0].Text != "hello" {
		t.Fatalf("sender got %v, want the one message", got)
	}

	SetDefault(nil)
	_, err = Send(context.Background(), Message{To: "09120000001", Text: "hello"})
	errorIs(t, err, ErrNoSender)
	equal(t, "messages sent after reset", len(got), 1)
}

func TestSetDefaultConcurrent(t *testing.T) {
	t.Cleanup(func() { SetDefault(nil) })

	ok := SenderFunc(func(context.Context, Message) (Receipt, error) { return Receipt{Provider: "ok"}, nil })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				if i%2 == 0 {
					SetDefault(ok)
				} else {
					r, err := Send(context.Background(), Message{})
					if err == nil && r.Provider != "ok" {
						t.Errorf("Send = %+v, nil from an unknown sender", r)
					}
				}
			}
		})
	}
	wg.Wait()
}
