package sms

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// RetryConfig configures [Retry]. Zero fields take the defaults.
type RetryConfig struct {
	// Attempts is the most tries in all, the first included. Defaults to 3.
	Attempts int
	// Backoff is the wait before the second try; each later wait doubles,
	// with up to a quarter of random jitter. Defaults to 500 ms.
	Backoff time.Duration
	// MaxBackoff caps each wait. Defaults to 5 s.
	MaxBackoff time.Duration
}

// Retry returns a Sender that tries s again after temporary and transport
// failures only ([ProviderError.Retryable]), waiting with exponential
// backoff between tries, at most cfg.Attempts tries in all. A credential,
// credit, receiver, message or template error is returned at once, as is
// any error that is not a *ProviderError (an invalid message, a cancelled
// ctx). It gives up early when ctx is done. The error returned is the last
// try's.
//
// A transport failure may hide a message the provider did accept, so a
// retry can deliver a message twice; for one-time codes and notices that
// is the lesser harm.
func Retry(s Sender, cfg RetryConfig) Sender {
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	return SenderFunc(func(ctx context.Context, m Message) (Receipt, error) {
		wait := cfg.Backoff
		for try := 1; ; try++ {
			r, err := s.Send(ctx, m)
			var perr *ProviderError
			if err == nil || try >= cfg.Attempts || !errors.As(err, &perr) || !perr.Retryable() {
				return r, err
			}
			d := min(wait, cfg.MaxBackoff)
			d += time.Duration(rand.Int64N(int64(d)/4 + 1))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return r, err
			case <-t.C:
			}
			wait *= 2
		}
	})
}

// Failover returns a Sender that tries each sender in turn until one
// accepts the message. It moves on after failures of the provider or of
// the account — bad credentials, no access, no credit, a rejected sender
// line, a template-only provider given plain text, rate limits, temporary
// and transport failures — and stops at failures of the message itself,
// which the next provider would refuse too: an invalid receiver, a
// rejected text or template, a validation error, or an error that is not
// a *ProviderError. The error after every sender failed joins theirs
// (errors.Is matches any of them), each naming its provider.
//
// Template ids belong to one provider; give each sender its own with
// [WithTemplates] when failing over template messages.
func Failover(senders ...Sender) Sender {
	return SenderFunc(func(ctx context.Context, m Message) (Receipt, error) {
		if len(senders) == 0 {
			return Receipt{}, ErrNoSender
		}
		var errs []error
		for _, s := range senders {
			r, err := s.Send(ctx, m)
			if err == nil {
				return r, nil
			}
			errs = append(errs, err)
			if !failsOver(err) || ctx.Err() != nil {
				break
			}
		}
		if len(errs) == 1 {
			return Receipt{}, errs[0]
		}
		return Receipt{}, errors.Join(errs...)
	})
}

// failsOver reports whether another provider might take a message this
// error refused.
func failsOver(err error) bool {
	var perr *ProviderError
	if !errors.As(err, &perr) {
		return false
	}
	switch perr.Kind {
	case ErrInvalidReceiver, ErrMessageRejected, ErrTemplateRejected:
		return false
	}
	return true
}

// WithTemplates returns a Sender that replaces a message's Template by its
// entry in names before passing it to s, as django-chelseru's TEMPLATES
// setting maps T1, T2, … to a provider's template ids. A template not in
// names goes through unchanged.
func WithTemplates(s Sender, names map[string]string) Sender {
	return SenderFunc(func(ctx context.Context, m Message) (Receipt, error) {
		if id, ok := names[m.Template]; ok && m.Template != "" {
			m.Template = id
		}
		return s.Send(ctx, m)
	})
}
