package smstest_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/smstest"
)

func equal[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", name, got, want)
	}
}

func equalMessage(t *testing.T, name string, got, want sms.Message) {
	t.Helper()
	if got.To != want.To || got.Text != want.Text || got.Template != want.Template || !equalStrings(got.Params, want.Params) {
		t.Errorf("%s = %+v, want %+v", name, got, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func send(t *testing.T, s sms.Sender, m sms.Message) sms.Receipt {
	t.Helper()
	r, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send(%+v): %v", m, err)
	}
	return r
}

func TestRecorderZeroValue(t *testing.T) {
	t.Parallel()
	var r smstest.Recorder
	equal(t, "Len", r.Len(), 0)
	if _, ok := r.Last(); ok {
		t.Error("Last reports a message on an empty recorder")
	}
	if _, ok := r.LastTo("09120000001"); ok {
		t.Error("LastTo reports a message on an empty recorder")
	}
	if got := r.Messages(); len(got) != 0 {
		t.Errorf("Messages = %v, want none", got)
	}
}

func TestRecorderSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   sms.Message
		want sms.Message
		rcpt sms.Receipt
	}{
		{
			"text normalised receiver",
			sms.Message{To: "+98 912 000 0001", Text: "Your code: 01234567"},
			sms.Message{To: "09120000001", Text: "Your code: 01234567"},
			sms.Receipt{Provider: "smstest", MessageID: "1", Parts: 1},
		},
		{
			"persian long text",
			sms.Message{To: "۰۹۳۵۱۱۱۲۲۳۳", Text: strings.Repeat("س", 71)},
			sms.Message{To: "09351112233", Text: strings.Repeat("س", 71)},
			sms.Receipt{Provider: "smstest", MessageID: "1", Parts: 2},
		},
		{
			"template",
			sms.Message{To: "9120000001", Template: "verify", Params: []string{"1234"}},
			sms.Message{To: "09120000001", Template: "verify", Params: []string{"1234"}},
			sms.Receipt{Provider: "smstest", MessageID: "1", Parts: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r smstest.Recorder
			equal(t, "Receipt", send(t, &r, tt.in), tt.rcpt)
			equal(t, "Len", r.Len(), 1)
			last, ok := r.Last()
			equal(t, "Last ok", ok, true)
			equalMessage(t, "Last", last, tt.want)
			msgs := r.Messages()
			if len(msgs) != 1 {
				t.Fatalf("Messages = %v, want one", msgs)
			}
			equalMessage(t, "Messages[0]", msgs[0], tt.want)
		})
	}
}

func TestRecorderOrderAndLastTo(t *testing.T) {
	t.Parallel()
	var r smstest.Recorder
	for i, to := range []string{"09120000001", "+989120000002", "09120000001", "00989120000003"} {
		rcpt := send(t, &r, sms.Message{To: to, Text: "msg " + strconv.Itoa(i)})
		equal(t, "MessageID", rcpt.MessageID, strconv.Itoa(i+1))
	}
	msgs := r.Messages()
	if len(msgs) != 4 {
		t.Fatalf("Messages has %d, want 4", len(msgs))
	}
	for i, m := range msgs {
		equal(t, "Messages text "+strconv.Itoa(i), m.Text, "msg "+strconv.Itoa(i))
	}
	last, _ := r.Last()
	equal(t, "Last text", last.Text, "msg 3")

	tests := []struct {
		to, text string
		ok       bool
	}{
		{"09120000001", "msg 2", true},
		{"+98 912 000 0001", "msg 2", true},
		{"۰۹۱۲۰۰۰۰۰۰۲", "msg 1", true},
		{"9120000003", "msg 3", true},
		{"09120000009", "", false},
		{"not a number", "", false},
	}
	for _, tt := range tests {
		m, ok := r.LastTo(tt.to)
		equal(t, "LastTo("+tt.to+") ok", ok, tt.ok)
		equal(t, "LastTo("+tt.to+") text", m.Text, tt.text)
	}
}

func TestRecorderCopies(t *testing.T) {
	t.Parallel()
	var r smstest.Recorder
	params := []string{"a", "b"}
	send(t, &r, sms.Message{To: "09120000001", Template: "t", Params: params})
	params[0] = "changed by caller"

	msgs := r.Messages()
	msgs[0].Params[1] = "changed by reader"
	msgs[0].Text = "x"
	last, _ := r.Last()
	last.Params[0] = "changed again"
	to, _ := r.LastTo("09120000001")
	to.Params[0] = "and again"

	got, _ := r.Last()
	equalMessage(t, "stored message", got, sms.Message{To: "09120000001", Template: "t", Params: []string{"a", "b"}})
}

func TestRecorderRefuses(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		m    sms.Message
		want error
	}{
		{"bad number", context.Background(), sms.Message{To: "08120000001", Text: "hi"}, sms.ErrInvalidNumber},
		{"empty", context.Background(), sms.Message{To: "09120000001"}, sms.ErrEmptyMessage},
		{"canceled", canceled, sms.Message{To: "09120000001", Text: "hi"}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r smstest.Recorder
			rcpt, err := r.Send(tt.ctx, tt.m)
			if !errors.Is(err, tt.want) {
				t.Errorf("Send error = %v, want %v", err, tt.want)
			}
			equal(t, "Receipt", rcpt, sms.Receipt{})
			equal(t, "Len", r.Len(), 0)
		})
	}
}

func TestRecorderSetErr(t *testing.T) {
	t.Parallel()
	var r smstest.Recorder
	boom := errors.New("provider down")
	r.SetErr(boom)
	rcpt, err := r.Send(context.Background(), sms.Message{To: "09120000001", Text: "hi"})
	if !errors.Is(err, boom) {
		t.Errorf("Send error = %v, want %v", err, boom)
	}
	equal(t, "Receipt", rcpt, sms.Receipt{})
	equal(t, "Len", r.Len(), 0)

	// validation still comes first
	_, err = r.Send(context.Background(), sms.Message{To: "bad", Text: "hi"})
	if !errors.Is(err, sms.ErrInvalidNumber) {
		t.Errorf("Send error = %v, want ErrInvalidNumber", err)
	}

	r.SetErr(nil)
	equal(t, "Receipt", send(t, &r, sms.Message{To: "09120000001", Text: "hi"}).MessageID, "1")
	equal(t, "Len", r.Len(), 1)
}

func TestRecorderReset(t *testing.T) {
	t.Parallel()
	var r smstest.Recorder
	send(t, &r, sms.Message{To: "09120000001", Text: "one"})
	r.SetErr(errors.New("x"))
	r.Reset()
	equal(t, "Len", r.Len(), 0)
	if _, ok := r.Last(); ok {
		t.Error("Last reports a message after Reset")
	}
	if _, ok := r.LastTo("09120000001"); ok {
		t.Error("LastTo reports a message after Reset")
	}
	rcpt := send(t, &r, sms.Message{To: "09120000002", Text: "two"})
	equal(t, "MessageID after Reset", rcpt.MessageID, "2")
	if _, ok := r.LastTo("09120000001"); ok {
		t.Error("LastTo finds a message from before Reset")
	}
	m, _ := r.LastTo("09120000002")
	equal(t, "LastTo text", m.Text, "two")
}

func TestRecorderConcurrent(t *testing.T) {
	t.Parallel()
	var r smstest.Recorder
	const goroutines, each = 16, 50
	var (
		mu  sync.Mutex
		ids = make(map[string]bool)
		wg  sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			to := "0912000" + strconv.Itoa(1000+g)
			for i := range each {
				rcpt, err := r.Send(context.Background(), sms.Message{To: to, Text: strconv.Itoa(i)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids[rcpt.MessageID] = true
				mu.Unlock()
				r.Len()
				r.Last()
				r.LastTo(to)
				if i == each/2 {
					r.Messages()
				}
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			r.SetErr(nil)
		}
	})
	wg.Wait()
	equal(t, "Len", r.Len(), goroutines*each)
	equal(t, "unique ids", len(ids), goroutines*each)
	for g := range goroutines {
		m, ok := r.LastTo("0912000" + strconv.Itoa(1000+g))
		equal(t, "LastTo ok", ok, true)
		equal(t, "LastTo text", m.Text, strconv.Itoa(each-1))
	}
}

// The Use tests change the sms default, so they are not parallel.

func TestUse(t *testing.T) {
	sms.SetDefault(nil)
	t.Cleanup(func() { sms.SetDefault(nil) })

	t.Run("installs", func(t *testing.T) {
		rec := smstest.Use(t)
		if sms.Default() != sms.Sender(rec) {
			t.Fatal("Use did not install the recorder as default")
		}
		if _, err := sms.Send(context.Background(), sms.Message{To: "+989120000001", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
		m, ok := rec.LastTo("09120000001")
		equal(t, "LastTo ok", ok, true)
		equal(t, "LastTo text", m.Text, "hi")
	})
	_, err := sms.Send(context.Background(), sms.Message{To: "09120000001", Text: "hi"})
	if !errors.Is(err, sms.ErrNoSender) {
		t.Errorf("after Use's test ended, Send error = %v, want ErrNoSender", err)
	}
}

func TestUseRestoresPrevious(t *testing.T) {
	t.Cleanup(func() { sms.SetDefault(nil) })
	outer := new(smstest.Recorder)
	sms.SetDefault(outer)

	t.Run("inner", func(t *testing.T) {
		inner := smstest.Use(t)
		send(t, sms.Default(), sms.Message{To: "09120000001", Text: "inner"})
		equal(t, "inner Len", inner.Len(), 1)
	})
	if sms.Default() != sms.Sender(outer) {
		t.Fatal("Use did not restore the previous default")
	}
	equal(t, "outer Len", outer.Len(), 0)
}

func TestCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", ""},
		{"no digits", "hello", ""},
		{"code with leading zero", "Your code: 01234567", "01234567"},
		{"whole text", "123", "123"},
		{"too short", "12", ""},
		{"short runs skipped", "Order 42, item 7: code 9876.", "9876"},
		{"first long run wins", "code 1234, ref 567890", "1234"},
		{"at start", "5555 is your code", "5555"},
		{"at end", "code:000", "000"},
		{"persian digits skipped", "کد: ۱۲۳۴", ""},
		{"persian text around ascii", "کد ورود شما: 24680 است", "24680"},
		{"digits around letters", "a1b22c333d", "333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			equal(t, "Code", smstest.Code(tt.text), tt.want)
		})
	}
}
