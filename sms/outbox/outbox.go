// Package outbox queues SMS in the database and sends them from a worker,
// so that business code can hand a message over inside its own request
// and be sure it goes out: a message is stored before Enqueue returns,
// sent by one worker only (on PostgreSQL claims use FOR UPDATE SKIP
// LOCKED, so any number of server instances may run workers), tried again
// with backoff after temporary failures, and picked up by another worker
// when the one that claimed it died.
//
//	ob, err := outbox.New(outbox.Config{Store: st, Sender: sender, Logger: logger})
//	go ob.Run(ctx)           // the worker; returns when ctx is done
//	sms.SetDefault(ob)       // sms.Send now queues
//	_, err = sms.Send(ctx, sms.Message{To: "09120000001", Text: "Your order has shipped."})
//
// Every message ends in one of the statuses: queued (waiting, or waiting
// to be tried again), sending (claimed by a worker), sent, failed (the
// provider refused it for good) or abandoned (still failing after
// Config.MaxAttempts tries).
//
// # Delivery guarantee
//
// A worker whose ctx is cancelled finishes the send it is making, records
// it, and hands the messages it had claimed but not sent back to the
// queue: across stops and restarts every message is sent exactly once. A
// worker that dies without warning (a crash, SIGKILL) between a send and
// its record leaves the message claimed; once its lease runs out another
// worker sends it again, so across crashes a message is sent at least
// once.
//
// # Concurrency
//
// An Outbox is safe for concurrent use; Run may be called from several
// goroutines and processes.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/chelseru/chelseru-go/sms"
)

// Status of a queued message.
type Status string

// The statuses of a message.
const (
	Queued    Status = "queued"
	Sending   Status = "sending"
	Sent      Status = "sent"
	Failed    Status = "failed"
	Abandoned Status = "abandoned"
)

// Item is a queued message.
type Item struct {
	ID       int64
	Message  sms.Message
	Status   Status
	Attempts int // tries so far, the one in progress included
	// Provider, MessageID and Error are those of the last try.
	Provider  string
	MessageID string
	Error     string
}

// Outcome is what a worker records for an item it tried.
type Outcome struct {
	Status Status
	// NextAttempt is when a Queued item may be claimed again.
	NextAttempt time.Time
	Provider    string
	MessageID   string
	Error       string
	// Untried hands a claimed item back without counting the attempt.
	Untried bool
}

// Store keeps the queue; *store.Store is one. Implementations must be safe
// for concurrent use by several processes: ClaimSMS must never hand one
// item to two workers whose leases overlap.
type Store interface {
	// EnqueueSMS stores m as Queued, due at at, and returns its id.
	EnqueueSMS(ctx context.Context, m sms.Message, at time.Time) (int64, error)
	// ClaimSMS marks up to limit items Sending, claimed by worker until
	// leaseUntil, counting one attempt each, and returns them in id order:
	// items Queued and due at now, and items whose lease ran out before
	// now.
	ClaimSMS(ctx context.Context, worker string, limit int, now, leaseUntil time.Time) ([]Item, error)
	// RenewSMS extends worker's claim on an item to leaseUntil, if worker
	// still holds it; it reports whether it did.
	RenewSMS(ctx context.Context, id int64, worker string, leaseUntil time.Time) (bool, error)
	// FinishSMS records the outcome of a try, if worker still holds the
	// item; a Queued outcome hands it back.
	FinishSMS(ctx context.Context, id int64, worker string, o Outcome, at time.Time) error
	// OutboxItem returns the item with id.
	OutboxItem(ctx context.Context, id int64) (it Item, found bool, err error)
}

// Config configures an Outbox. Zero fields take the defaults.
type Config struct {
	// Store keeps the queue. Required.
	Store Store
	// Sender sends the messages. Required.
	Sender sms.Sender
	// Worker names this process's workers in claims. Defaults to a random
	// name.
	Worker string
	// Batch is how many items a worker claims at a time. Defaults to 10.
	Batch int
	// Lease is how long a claim holds before another worker may take the
	// item over. Each item's lease is renewed just before its send, so it
	// must be longer than SendTimeout, not than a whole batch. Defaults to
	// 2 minutes.
	Lease time.Duration
	// Poll is how long an idle worker waits before looking again.
	// Defaults to 1 second.
	Poll time.Duration
	// MaxAttempts is how many tries a message gets before it is
	// abandoned. Defaults to 5.
	MaxAttempts int
	// Backoff is the wait before the second try; later waits double, up
	// to 10 minutes. Defaults to 10 seconds.
	Backoff time.Duration
	// SendTimeout bounds one send. Defaults to 30 seconds.
	SendTimeout time.Duration
	// Logger receives the failures. Defaults to discarding.
	Logger *slog.Logger
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
}

// Outbox queues messages and sends them with its workers.
type Outbox struct {
	cfg Config
}

var _ sms.Sender = (*Outbox)(nil)

// New returns an Outbox for cfg.
func New(cfg Config) (*Outbox, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("outbox: Config.Store is required")
	case cfg.Sender == nil:
		return nil, errors.New("outbox: Config.Sender is required")
	case cfg.Batch < 0, cfg.Lease < 0, cfg.Poll < 0, cfg.MaxAttempts < 0, cfg.Backoff < 0, cfg.SendTimeout < 0:
		return nil, errors.New("outbox: Config values must not be negative")
	}
	if cfg.Worker == "" {
		cfg.Worker = "w" + strconv.FormatUint(rand.Uint64(), 36)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if cfg.Batch == 0 {
		cfg.Batch = 10
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 5
	}
	def(&cfg.Lease, 2*time.Minute)
	def(&cfg.Poll, time.Second)
	def(&cfg.Backoff, 10*time.Second)
	def(&cfg.SendTimeout, 30*time.Second)
	if cfg.Lease <= cfg.SendTimeout {
		return nil, errors.New("outbox: Config.Lease must be longer than SendTimeout")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Outbox{cfg: cfg}, nil
}

// Enqueue checks m and stores it for the workers to send; once it returns
// nil the message is in the database.
func (o *Outbox) Enqueue(ctx context.Context, m sms.Message) (int64, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	mob, _ := sms.ParseMobile(m.To)
	m.To = mob.String()
	id, err := o.cfg.Store.EnqueueSMS(ctx, m, o.cfg.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue: %w", err)
	}
	return id, nil
}

// Send queues m, so that an Outbox can be the package default of sms.Send.
// The receipt's Provider is "outbox" and its MessageID the queue id;
// nothing has been sent yet when it returns.
func (o *Outbox) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	id, err := o.Enqueue(ctx, m)
	if err != nil {
		return sms.Receipt{}, err
	}
	return sms.Receipt{Provider: "outbox", MessageID: strconv.FormatInt(id, 10)}, nil
}

// Item returns a queued message and its status.
func (o *Outbox) Item(ctx context.Context, id int64) (Item, bool, error) {
	return o.cfg.Store.OutboxItem(ctx, id)
}

// Run claims and sends messages until ctx is done, then finishes the send
// in flight, hands back what it had claimed but not sent, and returns nil.
// Several Runs may work one queue, in one process or many.
func (o *Outbox) Run(ctx context.Context) error {
	for {
		n, err := o.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			o.cfg.Logger.ErrorContext(ctx, "outbox: claim", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 {
			continue
		}
		t := time.NewTimer(o.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// RunOnce claims one batch and works through it; it returns how many
// messages it tried. When ctx is done midway, the rest of the batch goes
// back to the queue.
func (o *Outbox) RunOnce(ctx context.Context) (int, error) {
	if ctx.Err() != nil {
		return 0, nil
	}
	now := o.cfg.Now().UTC()
	items, err := o.cfg.Store.ClaimSMS(ctx, o.cfg.Worker, o.cfg.Batch, now, now.Add(o.cfg.Lease))
	if err != nil {
		return 0, fmt.Errorf("outbox: claim: %w", err)
	}
	// The records below must be written even when ctx is done: a sent
	// message left unrecorded would be sent again.
	keep := context.WithoutCancel(ctx)
	tried := 0
	for i, it := range items {
		if ctx.Err() != nil {
			for _, rest := range items[i:] {
				o.finish(keep, rest.ID, Outcome{Status: Queued, NextAttempt: now, Untried: true}, rest.Attempts-1)
			}
			break
		}
		o.try(keep, it)
		tried++
	}
	return tried, nil
}

// try sends one claimed item and records the outcome. The item's lease is
// renewed first: the sends before it in the batch may have outlasted the
// claim, and if another worker took the item over meanwhile, it is that
// worker's to send.
func (o *Outbox) try(ctx context.Context, it Item) {
	ok, err := o.cfg.Store.RenewSMS(ctx, it.ID, o.cfg.Worker, o.cfg.Now().UTC().Add(o.cfg.Lease))
	if err != nil || !ok {
		if err != nil {
			o.cfg.Logger.ErrorContext(ctx, "outbox: renew the claim", "id", it.ID, "err", err)
		}
		return
	}
	sctx, cancel := context.WithTimeout(ctx, o.cfg.SendTimeout)
	r, err := o.cfg.Sender.Send(sctx, it.Message)
	cancel()
	out := Outcome{Status: Sent, Provider: r.Provider, MessageID: r.MessageID}
	if err != nil {
		out.Error = err.Error()
		var perr *sms.ProviderError
		if errors.As(err, &perr) {
			out.Provider = perr.Provider
		}
		switch {
		case errors.As(err, &perr) && perr.Retryable() && it.Attempts < o.cfg.MaxAttempts:
			out.Status, out.NextAttempt = Queued, o.cfg.Now().UTC().Add(o.backoff(it.Attempts))
		case errors.As(err, &perr) && perr.Retryable():
			out.Status = Abandoned
		default:
			out.Status = Failed
		}
		o.cfg.Logger.WarnContext(ctx, "outbox: send", "id", it.ID, "attempt", it.Attempts, "status", string(out.Status), "err", err)
	}
	o.finish(ctx, it.ID, out, it.Attempts)
}

func (o *Outbox) finish(ctx context.Context, id int64, out Outcome, attempts int) {
	if err := o.cfg.Store.FinishSMS(ctx, id, o.cfg.Worker, out, o.cfg.Now().UTC()); err != nil {
		o.cfg.Logger.ErrorContext(ctx, "outbox: record", "id", id, "attempt", attempts, "status", string(out.Status), "err", err)
	}
}

// backoff is the wait after the attempt-th try.
func (o *Outbox) backoff(attempt int) time.Duration {
	d := o.cfg.Backoff
	for i := 1; i < attempt && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}
