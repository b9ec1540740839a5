package smstest

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/chelseru/chelseru-go/sms"
)

// Provider is the name a Recorder puts in every [sms.Receipt].
const Provider = "smstest"

// Recorder is an [sms.Sender] that keeps every message in memory instead of
// sending it. It is safe for concurrent use, and its zero value is ready to
// use.
type Recorder struct {
	mu     sync.Mutex
	msgs   []sms.Message
	lastTo map[sms.Mobile]int // receiver -> index in msgs of the newest message
	err    error
	seq    uint64
}

var _ sms.Sender = (*Recorder)(nil)

// Send checks m as a real provider client would, then records it.
//
// An invalid message gets the error of [sms.Message.Validate], a done ctx
// gets ctx.Err(), and, when an error has been set with [Recorder.SetErr],
// Send returns that error; in all three cases nothing is recorded.
// Otherwise the message is recorded with To in canonical form (09XXXXXXXXX)
// and a copy of Params, and the receipt has Provider "smstest", a
// MessageID counting up from "1", and Parts from [sms.Parts] (1 for a
// template message).
func (r *Recorder) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if err := m.Validate(); err != nil {
		return sms.Receipt{}, err
	}
	if err := ctx.Err(); err != nil {
		return sms.Receipt{}, err
	}
	to, err := sms.ParseMobile(m.To)
	if err != nil { // unreachable: Validate parsed it
		return sms.Receipt{}, err
	}
	m.To = to.String()
	m.Params = slices.Clone(m.Params)
	parts := 1
	if m.Template == "" {
		_, parts = sms.Parts(m.Text)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return sms.Receipt{}, r.err
	}
	if r.lastTo == nil {
		r.lastTo = make(map[sms.Mobile]int)
	}
	r.seq++
	r.lastTo[to] = len(r.msgs)
	r.msgs = append(r.msgs, m)
	return sms.Receipt{Provider: Provider, MessageID: strconv.FormatUint(r.seq, 10), Parts: parts}, nil
}

// SetErr makes every following Send fail with err, recording nothing, to
// simulate a provider failure. A nil err
// makes Send succeed again.
func (r *Recorder) SetErr(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// Messages returns a copy of the recorded messages, oldest first.
func (r *Recorder) Messages() []sms.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]sms.Message, len(r.msgs))
	for i, m := range r.msgs {
		out[i] = clone(m)
	}
	return out
}

// Last returns the newest recorded message, and false if there is none.
func (r *Recorder) Last() (sms.Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		return sms.Message{}, false
	}
	return clone(r.msgs[len(r.msgs)-1]), true
}

// LastTo returns the newest recorded message to the number to, given in any
// form [sms.ParseMobile] accepts, and false if there is none (or to is not a
// valid number).
func (r *Recorder) LastTo(to string) (sms.Message, bool) {
	mob, err := sms.ParseMobile(to)
	if err != nil {
		return sms.Message{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.lastTo[mob]
	if !ok {
		return sms.Message{}, false
	}
	return clone(r.msgs[i]), true
}

// Len returns the number of recorded messages.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// Reset forgets every recorded message and clears the error set with
// SetErr. Message ids keep counting up, so a receipt id is never repeated
// by one Recorder.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
	r.lastTo = nil
	r.err = nil
}

func clone(m sms.Message) sms.Message {
	m.Params = slices.Clone(m.Params)
	return m
}

// Use installs a new Recorder as the sms package default (see
// [sms.SetDefault]) and restores the previous default when t and its
// subtests finish.
//
// Use changes process-wide state: do not use it in parallel tests (tests
// that call t.Parallel, or whose parent does). Give the code under test its
// own Recorder as an sms.Sender instead.
func Use(t testing.TB) *Recorder {
	t.Helper()
	prev := sms.Default()
	r := new(Recorder)
	sms.SetDefault(r)
	t.Cleanup(func() { sms.SetDefault(prev) })
	return r
}
