package sms

import (
	"context"
	"sync/atomic"
)

// senderBox lets an interface value live behind an atomic.Pointer.
type senderBox struct{ s Sender }

// defaultSender is the one sanctioned package-level mutable value (house
// rule 25). nil means "not set".
var defaultSender atomic.Pointer[senderBox]

// noSender is the default until SetDefault is called. It is a comparable
// type, so Default() == s never panics.
type noSender struct{}

func (noSender) Send(context.Context, Message) (Receipt, error) {
	return Receipt{}, ErrNoSender
}

// Default returns the package's default sender: the one last given to
// [SetDefault], or, before that, a sender whose every Send fails with
// [ErrNoSender].
func Default() Sender {
	if b := defaultSender.Load(); b != nil {
		return b.s
	}
	return noSender{}
}

// SetDefault makes s the sender used by [Send]. A nil s restores the initial
// default, which fails with [ErrNoSender]. It is meant to be called once at
// start-up (and by tests, through smstest.Use), but is safe to call at any
// time from any goroutine.
func SetDefault(s Sender) {
	if s == nil {
		defaultSender.Store(nil)
		return
	}
	defaultSender.Store(&senderBox{s: s})
}

// Send sends m with the default sender: it is Default().Send(ctx, m).
func Send(ctx context.Context, m Message) (Receipt, error) {
	return Default().Send(ctx, m)
}
