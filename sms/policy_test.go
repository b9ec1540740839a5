package sms_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
)

// fake is a provider that fails with errs in turn, then accepts.
type fake struct {
	name  string
	errs  []error
	calls atomic.Int32
}

func (f *fake) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	n := int(f.calls.Add(1))
	if n <= len(f.errs) {
		return sms.Receipt{}, f.errs[n-1]
	}
	return sms.Receipt{Provider: f.name, MessageID: "1", Parts: 1}, nil
}

func perr(provider string, kind error) error {
	return &sms.ProviderError{Provider: provider, Kind: kind, Code: "42", Message: "said no"}
}

var msg = sms.Message{To: "09120000001", Text: "hi"}

func TestRetry(t *testing.T) {
	t.Parallel()
	fast := sms.RetryConfig{Attempts: 3, Backoff: time.Millisecond}
	cases := []struct {
		name      string
		errs      []error
		wantCalls int32
		wantErr   error
	}{
		{"success at once", nil, 1, nil},
		{"temporary then success", []error{perr("a", sms.ErrTemporary)}, 2, nil},
		{"transport twice then success", []error{perr("a", sms.ErrTransport), perr("a", sms.ErrTransport)}, 3, nil},
		{"temporary three times: gives up", []error{perr("a", sms.ErrTemporary), perr("a", sms.ErrTemporary), perr("a", sms.ErrTemporary)}, 3, sms.ErrTemporary},
		{"bad credentials: no retry", []error{perr("a", sms.ErrBadCredentials)}, 1, sms.ErrBadCredentials},
		{"no credit: no retry", []error{perr("a", sms.ErrInsufficientCredit)}, 1, sms.ErrInsufficientCredit},
		{"bad receiver: no retry", []error{perr("a", sms.ErrInvalidReceiver)}, 1, sms.ErrInvalidReceiver},
		{"rate limited: no retry", []error{perr("a", sms.ErrRateLimited)}, 1, sms.ErrRateLimited},
		{"not a provider error: no retry", []error{sms.ErrInvalidNumber}, 1, sms.ErrInvalidNumber},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := &fake{name: "a", errs: c.errs}
			_, err := sms.Retry(f, fast).Send(context.Background(), msg)
			if got := f.calls.Load(); got != c.wantCalls {
				t.Errorf("%d calls, want %d", got, c.wantCalls)
			}
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("err %v, want %v", err, c.wantErr)
			}
		})
	}
}

func TestRetryStopsWhenContextIsDone(t *testing.T) {
	t.Parallel()
	f := &fake{name: "a", errs: []error{perr("a", sms.ErrTemporary), perr("a", sms.ErrTemporary)}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := sms.Retry(f, sms.RetryConfig{Attempts: 5, Backoff: time.Hour}).Send(ctx, msg)
	if !errors.Is(err, sms.ErrTemporary) || f.calls.Load() != 1 || time.Since(start) > 10*time.Second {
		t.Errorf("err %v after %d calls", err, f.calls.Load())
	}
}

func TestFailover(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		first      []error
		wantSecond int32
		wantBy     string
		wantErr    error
	}{
		{"temporary: the second sends", []error{perr("a", sms.ErrTemporary)}, 1, "b", nil},
		{"transport: the second sends", []error{perr("a", sms.ErrTransport)}, 1, "b", nil},
		{"no credit: the second sends", []error{perr("a", sms.ErrInsufficientCredit)}, 1, "b", nil},
		{"bad credentials: the second sends", []error{perr("a", sms.ErrBadCredentials)}, 1, "b", nil},
		{"template only: the second sends", []error{perr("a", sms.ErrTemplateRequired)}, 1, "b", nil},
		{"rate limited: the second sends", []error{perr("a", sms.ErrRateLimited)}, 1, "b", nil},
		{"bad receiver: stop", []error{perr("a", sms.ErrInvalidReceiver)}, 0, "", sms.ErrInvalidReceiver},
		{"text rejected: stop", []error{perr("a", sms.ErrMessageRejected)}, 0, "", sms.ErrMessageRejected},
		{"validation: stop", []error{&sms.ValidationError{Provider: "a", Field: "text", Reason: "long"}}, 0, "", sms.ErrInvalidMessage},
		{"first accepts", nil, 0, "a", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, b := &fake{name: "a", errs: c.first}, &fake{name: "b"}
			r, err := sms.Failover(a, b).Send(context.Background(), msg)
			if b.calls.Load() != c.wantSecond || r.Provider != c.wantBy {
				t.Errorf("second called %d times, sent by %q", b.calls.Load(), r.Provider)
			}
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("err %v, want %v", err, c.wantErr)
			}
		})
	}
}

// TestRetryThenFailover: retries spent on the first provider, then the
// second; a credit error skips the retries and names its provider.
func TestRetryThenFailover(t *testing.T) {
	t.Parallel()
	fast := sms.RetryConfig{Attempts: 2, Backoff: time.Millisecond}
	a := &fake{name: "kavenegar", errs: []error{perr("kavenegar", sms.ErrTemporary), perr("kavenegar", sms.ErrTemporary)}}
	b := &fake{name: "smsir"}
	r, err := sms.Failover(sms.Retry(a, fast), sms.Retry(b, fast)).Send(context.Background(), msg)
	if err != nil || r.Provider != "smsir" || a.calls.Load() != 2 {
		t.Errorf("receipt %+v err %v after %d calls to the first", r, err, a.calls.Load())
	}

	a = &fake{name: "kavenegar", errs: []error{perr("kavenegar", sms.ErrInsufficientCredit)}}
	b = &fake{name: "smsir", errs: []error{perr("smsir", sms.ErrBadCredentials)}}
	_, err = sms.Failover(sms.Retry(a, fast), sms.Retry(b, fast)).Send(context.Background(), msg)
	if a.calls.Load() != 1 || b.calls.Load() != 1 {
		t.Errorf("retried a permanent failure: %d and %d calls", a.calls.Load(), b.calls.Load())
	}
	var pe *sms.ProviderError
	if !errors.Is(err, sms.ErrInsufficientCredit) || !errors.Is(err, sms.ErrBadCredentials) || !errors.As(err, &pe) ||
		!strings.Contains(err.Error(), "kavenegar") || !strings.Contains(err.Error(), "smsir") {
		t.Errorf("err %v: want both failures, each naming its provider", err)
	}
}

func TestFailoverOfNone(t *testing.T) {
	t.Parallel()
	if _, err := sms.Failover().Send(context.Background(), msg); !errors.Is(err, sms.ErrNoSender) {
		t.Errorf("err %v", err)
	}
}

func TestWithTemplates(t *testing.T) {
	t.Parallel()
	var got string
	s := sms.WithTemplates(sms.SenderFunc(func(_ context.Context, m sms.Message) (sms.Receipt, error) {
		got = m.Template
		return sms.Receipt{}, nil
	}), map[string]string{"T1": "100"})
	for in, want := range map[string]string{"T1": "100", "200": "200", "otp": "otp"} {
		_, _ = s.Send(context.Background(), sms.Message{To: "09120000001", Template: in, Params: []string{"1"}})
		if got != want {
			t.Errorf("%s went as %s, want %s", in, got, want)
		}
	}
}

func TestProviderError(t *testing.T) {
	t.Parallel()
	e := &sms.ProviderError{Provider: "kavenegar", Kind: sms.ErrInsufficientCredit, Code: "418", Message: "اعتبار کافی نیست", HTTPStatus: 418}
	if !errors.Is(e, sms.ErrInsufficientCredit) || errors.Is(e, sms.ErrTemporary) || e.Retryable() {
		t.Error("kind")
	}
	if e.CodeValue() != int64(418) || (&sms.ProviderError{Code: "InvalidData"}).CodeValue() != "InvalidData" || (&sms.ProviderError{}).CodeValue() != nil {
		t.Error("CodeValue")
	}
	if s := e.Error(); !strings.Contains(s, "kavenegar") || !strings.Contains(s, "418") || !strings.Contains(s, "insufficient credit") {
		t.Errorf("Error() = %q", s)
	}
	for _, k := range sms.Kinds() {
		if !errors.Is(&sms.ProviderError{Kind: k}, k) {
			t.Errorf("%v does not match itself", k)
		}
	}
	v := &sms.ValidationError{Provider: "kavenegar", Field: "params[0]", Reason: "has a space"}
	if !errors.Is(v, sms.ErrInvalidMessage) || !strings.Contains(v.Error(), "params[0]") {
		t.Errorf("ValidationError %v", v)
	}
}

func TestKindNames(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, k := range sms.Kinds() {
		name := sms.KindName(&sms.ProviderError{Kind: k})
		if name == "" || seen[name] || sms.KindByName(name) != k {
			t.Errorf("%v: name %q", k, name)
		}
		seen[name] = true
	}
	if sms.KindName(&sms.ValidationError{}) != "invalid_message" || sms.KindName(errors.New("x")) != "" || sms.KindByName("nope") != nil {
		t.Error("edge cases")
	}
}
