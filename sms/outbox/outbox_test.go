package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/internal/testclock"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/outbox"
	"github.com/chelseru/chelseru-go/store"
)

// counter is a sender that counts each text it sends, and can fail.
type counter struct {
	mu    sync.Mutex
	sent  map[string]int
	fail  func(m sms.Message) error
	after func() // called after each successful send
}

func newCounter() *counter { return &counter{sent: map[string]int{}} }

func (c *counter) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if c.fail != nil {
		if err := c.fail(m); err != nil {
			return sms.Receipt{}, err
		}
	}
	c.mu.Lock()
	c.sent[m.Text]++
	n := len(c.sent)
	c.mu.Unlock()
	if c.after != nil {
		c.after()
	}
	return sms.Receipt{Provider: "fake", MessageID: fmt.Sprint(n), Parts: 1}, nil
}

func (c *counter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.sent {
		out[k] = v
	}
	return out
}

func newOutbox(t *testing.T, st *store.Store, s sms.Sender, clock *testclock.Clock, worker string) *outbox.Outbox {
	t.Helper()
	ob, err := outbox.New(outbox.Config{Store: st, Sender: s, Worker: worker, Batch: 5, Poll: time.Millisecond,
		Backoff: time.Minute, Lease: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

func item(t *testing.T, ob *outbox.Outbox, id int64) outbox.Item {
	t.Helper()
	it, found, err := ob.Item(context.Background(), id)
	if err != nil || !found {
		t.Fatalf("item %d: %v %v", id, found, err)
	}
	return it
}

func TestSendAndStatuses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := testclock.New(time.Now())
		c := newCounter()
		ob := newOutbox(t, st, c, clock, "w1")

		// sms.Send through the outbox queues.
		r, err := ob.Send(ctx, sms.Message{To: "+98 912 000 0001", Text: "ok"})
		if err != nil || r.Provider != "outbox" {
			t.Fatalf("send: %+v %v", r, err)
		}
		var id int64
		fmt.Sscan(r.MessageID, &id)
		if it := item(t, ob, id); it.Status != outbox.Queued || it.Message.To != "09120000001" {
			t.Errorf("queued item %+v", it)
		}
		if _, err := ob.Enqueue(ctx, sms.Message{To: "0912", Text: "x"}); !errors.Is(err, sms.ErrInvalidNumber) {
			t.Errorf("bad number queued: %v", err)
		}
		if n, err := ob.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("RunOnce: %d %v", n, err)
		}
		if it := item(t, ob, id); it.Status != outbox.Sent || it.Provider != "fake" || it.MessageID == "" || it.Attempts != 1 {
			t.Errorf("sent item %+v", it)
		}

		// A temporary failure is tried again after the backoff.
		tries := 0
		c.fail = func(m sms.Message) error {
			if m.Text == "flaky" && tries < 2 {
				tries++
				return &sms.ProviderError{Provider: "fake", Kind: sms.ErrTemporary}
			}
			if m.Text == "refused" {
				return &sms.ProviderError{Provider: "fake", Kind: sms.ErrInvalidReceiver, Code: "411"}
			}
			if m.Text == "down" {
				return &sms.ProviderError{Provider: "fake", Kind: sms.ErrTransport}
			}
			return nil
		}
		flaky, _ := ob.Enqueue(ctx, sms.Message{To: "09120000002", Text: "flaky"})
		refused, _ := ob.Enqueue(ctx, sms.Message{To: "09120000003", Text: "refused"})
		ob.RunOnce(ctx)
		if it := item(t, ob, flaky); it.Status != outbox.Queued || it.Attempts != 1 || it.Error == "" {
			t.Errorf("after a temporary failure %+v", it)
		}
		if it := item(t, ob, refused); it.Status != outbox.Failed || it.Attempts != 1 {
			t.Errorf("after a permanent failure %+v", it)
		}
		if n, _ := ob.RunOnce(ctx); n != 0 {
			t.Errorf("retried %d before the backoff", n)
		}
		clock.Advance(time.Minute)
		ob.RunOnce(ctx)
		clock.Advance(2 * time.Minute)
		ob.RunOnce(ctx)
		if it := item(t, ob, flaky); it.Status != outbox.Sent || it.Attempts != 3 {
			t.Errorf("after the retries %+v", it)
		}

		// Still failing after MaxAttempts: abandoned.
		down, _ := ob.Enqueue(ctx, sms.Message{To: "09120000004", Text: "down"})
		for range 5 {
			ob.RunOnce(ctx)
			clock.Advance(time.Hour)
		}
		if it := item(t, ob, down); it.Status != outbox.Abandoned || it.Attempts != 5 {
			t.Errorf("after 5 failures %+v", it)
		}
	})
}

func TestSecretTextIsClearedOnceSent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ob := newOutbox(t, st, newCounter(), testclock.New(time.Now()), "w1")
		id, err := ob.Enqueue(ctx, sms.Message{To: "09120000001", Text: "Your code: 1234", Secret: true})
		if err != nil {
			t.Fatal(err)
		}
		if it := item(t, ob, id); it.Message.Text == "" {
			t.Fatal("queued text lost before sending")
		}
		ob.RunOnce(ctx)
		if it := item(t, ob, id); it.Status != outbox.Sent || it.Message.Text != "" {
			t.Errorf("sent secret %+v", it)
		}
	})
}

// TestStopMidBatch: a worker stopped in the middle of a batch finishes
// its send, hands the rest back, and another worker sends them: every
// message exactly once.
func TestStopMidBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := testclock.New(time.Now())
		c := newCounter()
		const n = 40
		for i := range n {
			if _, err := newOutbox(t, st, c, clock, "enq").Enqueue(ctx, sms.Message{To: "09120000001", Text: fmt.Sprint("m", i)}); err != nil {
				t.Fatal(err)
			}
		}
		wctx, stop := context.WithCancel(ctx)
		sends := 0
		c.after = func() {
			if sends++; sends == 7 { // in the middle of the second batch of 5
				stop()
			}
		}
		if err := newOutbox(t, st, c, clock, "w1").Run(wctx); err != nil {
			t.Fatal(err)
		}
		if got := len(c.counts()); got != 7 {
			t.Fatalf("the stopped worker sent %d, want 7", got)
		}
		c.after = nil
		// The next worker takes over at once: nothing was left claimed.
		w2 := newOutbox(t, st, c, clock, "w2")
		for {
			if k, err := w2.RunOnce(ctx); err != nil || k == 0 {
				break
			}
		}
		counts := c.counts()
		for i := range n {
			if counts[fmt.Sprint("m", i)] != 1 {
				t.Errorf("m%d sent %d times", i, counts[fmt.Sprint("m", i)])
			}
		}
	})
}

// TestCrashedWorker: a worker that claimed messages and died leaves them
// to the next worker once its lease ran out.
func TestCrashedWorker(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := testclock.New(time.Now())
		c := newCounter()
		ob := newOutbox(t, st, c, clock, "w2")
		for i := range 3 {
			ob.Enqueue(ctx, sms.Message{To: "09120000001", Text: fmt.Sprint("m", i)})
		}
		now := clock.Now()
		claimed, err := st.ClaimSMS(ctx, "dead", 10, now, now.Add(time.Hour))
		if err != nil || len(claimed) != 3 {
			t.Fatalf("claim: %d %v", len(claimed), err)
		}
		if k, _ := ob.RunOnce(ctx); k != 0 {
			t.Errorf("took over %d messages under a live lease", k)
		}
		clock.Advance(time.Hour + time.Second)
		if k, _ := ob.RunOnce(ctx); k != 3 {
			t.Errorf("took over %d messages after the lease, want 3", k)
		}
		if len(c.counts()) != 3 {
			t.Errorf("sent %v", c.counts())
		}
		// The dead worker's late record changes nothing.
		if err := st.FinishSMS(ctx, claimed[0].ID, "dead", outbox.Outcome{Status: outbox.Failed}, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if it := item(t, ob, claimed[0].ID); it.Status != outbox.Sent {
			t.Errorf("a stale worker overwrote the record: %+v", it)
		}
	})
}

// TestTwoWorkers: workers running at once over one database never send a
// message twice.
func TestTwoWorkers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := testclock.New(time.Now())
		c := newCounter()
		const n = 200
		enq := newOutbox(t, st, c, clock, "enq")
		for i := range n {
			if _, err := enq.Enqueue(ctx, sms.Message{To: "09120000001", Text: fmt.Sprint("m", i)}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for w := range 4 {
			ob := newOutbox(t, st, c, clock, fmt.Sprint("w", w))
			wg.Go(func() {
				for {
					if k, err := ob.RunOnce(ctx); err != nil || k == 0 {
						if err != nil {
							t.Error(err)
						}
						return
					}
				}
			})
		}
		wg.Wait()
		counts := c.counts()
		if len(counts) != n {
			t.Errorf("%d messages sent, want %d", len(counts), n)
		}
		for text, k := range counts {
			if k != 1 {
				t.Errorf("%s sent %d times", text, k)
			}
		}
	})
}

func TestConfig(t *testing.T) {
	t.Parallel()
	st := testdb.SQLite(t)
	for name, cfg := range map[string]outbox.Config{
		"no store":             {Sender: newCounter()},
		"no sender":            {Store: st},
		"negative batch":       {Store: st, Sender: newCounter(), Batch: -1},
		"lease under the send": {Store: st, Sender: newCounter(), Lease: time.Second, SendTimeout: time.Minute},
	} {
		if _, err := outbox.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSlowBatchOutlivesTheLease: a batch that takes longer than the lease
// is not sent twice by a second worker taking the late items over.
func TestSlowBatchOutlivesTheLease(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCounter()
		c.fail = func(sms.Message) error { time.Sleep(40 * time.Millisecond); return nil }
		mk := func(worker string) *outbox.Outbox {
			ob, err := outbox.New(outbox.Config{Store: st, Sender: c, Worker: worker, Batch: 10,
				Lease: 150 * time.Millisecond, SendTimeout: 100 * time.Millisecond, Poll: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return ob
		}
		const n = 30
		for i := range n {
			mk("enq").Enqueue(ctx, sms.Message{To: "09120000001", Text: fmt.Sprint("m", i)})
		}
		var wg sync.WaitGroup
		for w := range 2 {
			ob := mk(fmt.Sprint("w", w))
			wg.Go(func() {
				for {
					if k, _ := ob.RunOnce(ctx); k == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		counts := c.counts()
		if len(counts) != n {
			t.Errorf("%d of %d sent", len(counts), n)
		}
		for text, k := range counts {
			if k != 1 {
				t.Errorf("%s sent %d times", text, k)
			}
		}
	})
}
