package sms_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms"
)

// memLog is an in-memory sms.LogStore.
type memLog struct {
	mu   sync.Mutex
	recs []sms.LogRecord
	fail error
}

func (l *memLog) AddSMS(_ context.Context, r sms.LogRecord) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	r.ID = int64(len(l.recs) + 1)
	l.recs = append(l.recs, r)
	return r.ID, nil
}

func (l *memLog) SMSRecord(_ context.Context, id int64) (sms.LogRecord, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id < 1 || int(id) > len(l.recs) {
		return sms.LogRecord{}, false, nil
	}
	return l.recs[id-1], true, nil
}

func (l *memLog) SetSMSStatus(_ context.Context, id int64, status string, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs[id-1].Status, l.recs[id-1].UpdatedAt = status, at
	return nil
}

type checker map[string]sms.Delivery

func (c checker) Status(_ context.Context, id string) (sms.Status, error) {
	d, ok := c[id]
	if !ok {
		return sms.Status{}, &sms.ProviderError{Provider: "p", Kind: sms.ErrRejected}
	}
	return sms.Status{MessageID: id, Delivery: d}, nil
}

func TestWithLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := &memLog{}
	ok := sms.SenderFunc(func(_ context.Context, m sms.Message) (sms.Receipt, error) {
		return sms.Receipt{Provider: "p", MessageID: "77", Parts: 2}, nil
	})
	r, err := sms.WithLog(ok, l, nil).Send(ctx, sms.Message{To: "+989120000001", Text: "hello"})
	if err != nil || r.LogID != 1 || r.MessageID != "77" {
		t.Fatalf("receipt %+v, %v", r, err)
	}
	rec := l.recs[0]
	if rec.Provider != "p" || rec.To != "09120000001" || rec.Text != "hello" || rec.Status != sms.LogAccepted || rec.MessageID != "77" || rec.Parts != 2 || rec.CreatedAt.IsZero() {
		t.Errorf("record %+v", rec)
	}

	// A secret's text and parameters are not kept.
	sms.WithLog(ok, l, nil).Send(ctx, sms.Message{To: "09120000001", Text: "Your code: 1234", Secret: true})
	sms.WithLog(ok, l, nil).Send(ctx, sms.Message{To: "09120000001", Template: "otp", Params: []string{"1234"}, Secret: true})
	if l.recs[1].Text != "" || l.recs[2].Params != nil || l.recs[2].Template != "otp" {
		t.Errorf("secrets kept: %+v %+v", l.recs[1], l.recs[2])
	}

	// A failure is logged with its provider and error, and returned.
	bad := sms.SenderFunc(func(context.Context, sms.Message) (sms.Receipt, error) {
		return sms.Receipt{}, &sms.ProviderError{Provider: "kavenegar", Kind: sms.ErrInsufficientCredit, Code: "418"}
	})
	_, err = sms.WithLog(bad, l, nil).Send(ctx, sms.Message{To: "09120000001", Text: "x"})
	if !errors.Is(err, sms.ErrInsufficientCredit) {
		t.Errorf("err %v", err)
	}
	if rec := l.recs[3]; rec.Status != sms.LogFailed || rec.Provider != "kavenegar" || rec.Error == "" {
		t.Errorf("failure record %+v", rec)
	}

	// A log that fails does not undo a send.
	l.fail = errors.New("disk full")
	if r, err := sms.WithLog(ok, l, nil).Send(ctx, sms.Message{To: "09120000001", Text: "x"}); err != nil || r.MessageID != "77" || r.LogID != 0 {
		t.Errorf("with a broken log: %+v %v", r, err)
	}
}

func TestRefreshStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := &memLog{}
	id, _ := l.AddSMS(ctx, sms.LogRecord{Provider: "p", To: "09120000001", MessageID: "77", Status: sms.LogAccepted})
	rec, err := sms.RefreshStatus(ctx, l, checker{"77": sms.DeliveryDelivered}, id)
	if err != nil || rec.Status != "delivered" || l.recs[0].Status != "delivered" {
		t.Errorf("refresh: %+v %v", rec, err)
	}
	if _, err := sms.RefreshStatus(ctx, l, checker{}, id); !errors.Is(err, sms.ErrRejected) {
		t.Errorf("provider failure: %v", err)
	}
	if _, err := sms.RefreshStatus(ctx, l, checker{}, 99); err == nil {
		t.Error("unknown record refreshed")
	}
	noID, _ := l.AddSMS(ctx, sms.LogRecord{Provider: "p", Status: sms.LogFailed})
	if _, err := sms.RefreshStatus(ctx, l, checker{}, noID); err == nil {
		t.Error("record without a message id refreshed")
	}
}
