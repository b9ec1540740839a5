package sms

import (
	"context"
	"errors"
	"log/slog"
	"unicode/utf8"
)

// Errors for conditions callers branch on. Senders return errors wrapping
// ErrInvalidNumber and ErrEmptyMessage for messages that fail
// [Message.Validate]. Match them with [errors.Is]; they are usually wrapped
// with more detail.
var (
	// ErrNoSender is returned by [Send] when no default sender has been set
	// with [SetDefault].
	ErrNoSender = errors.New("sms: no default sender set")

	// ErrInvalidNumber means a receiver is not an Iranian mobile number in
	// any form [ParseMobile] accepts.
	ErrInvalidNumber = errors.New("sms: invalid Iranian mobile number")

	// ErrEmptyMessage means a [Message] has neither Text nor Template.
	ErrEmptyMessage = errors.New("sms: message has neither text nor template")
)

// Programming mistakes that callers are not expected to branch on.
var (
	errTextAndTemplate       = errors.New("sms: message has both text and template")
	errParamsWithoutTemplate = errors.New("sms: message has template params but no template")
)

// Message is one SMS to one receiver: either a plain text (Text) or a
// provider template filled with values (Template and Params).
type Message struct {
	// To is the receiver, in any form ParseMobile accepts.
	To string
	// Text is the plain text body; empty when Template is set.
	Text string
	// Template is a provider template id or name (Kavenegar and Ghasedak
	// name their templates, the other providers number them).
	Template string
	// Params are the template parameter values, in order. They are only
	// meaningful with Template.
	Params []string
	// Secret marks a message whose text or parameters hold a secret, such
	// as a one-time code: the SMS log keeps neither.
	Secret bool
}

// Validate reports whether m can be sent. To must parse with [ParseMobile]
// (the error wraps [ErrInvalidNumber]), and exactly one of Text and Template
// must be set: neither is [ErrEmptyMessage], both is an error too, because a
// sender would have to drop one of them. Params without Template are an
// error for the same reason. Validate does not check lengths: each provider
// has its own limits.
func (m Message) Validate() error {
	if _, err := ParseMobile(m.To); err != nil {
		return err
	}
	switch {
	case m.Text == "" && m.Template == "":
		return ErrEmptyMessage
	case m.Text != "" && m.Template != "":
		return errTextAndTemplate
	case m.Template == "" && len(m.Params) > 0:
		return errParamsWithoutTemplate
	}
	return nil
}

// LogValue implements [slog.LogValuer]. A message may carry a one-time code,
// so only its shape is logged: the receiver masked, the template name, and
// the number of characters and parameters, never Text or Params themselves.
func (m Message) LogValue() slog.Value {
	to := slog.StringValue(maskedInvalid)
	if mob, err := ParseMobile(m.To); err == nil {
		to = mob.LogValue()
	}
	attrs := []slog.Attr{slog.Attr{Key: "to", Value: to}}
	if m.Template != "" {
		attrs = append(attrs, slog.String("template", m.Template), slog.Int("params", len(m.Params)))
	} else {
		attrs = append(attrs, slog.Int("text_len", utf8.RuneCountInString(m.Text)))
	}
	return slog.GroupValue(attrs...)
}

// Receipt is what a provider reports for an accepted message.
type Receipt struct {
	// Provider is the provider's short name, such as "console" or "kavenegar".
	Provider string
	// MessageID is the provider's id for the message, "" when it gives none.
	MessageID string
	// Parts is the number of SMS parts billed.
	Parts int
	// LogID is the message's id in the SMS log, when a [WithLog] sender
	// recorded it; 0 otherwise.
	LogID int64
}

// Sender sends one message. Send returns once the provider has accepted or
// refused the message (delivery to the phone happens later); it validates
// the message first and returns errors wrapping [ErrInvalidNumber] or
// [ErrEmptyMessage] for bad ones, and gives up when ctx is done.
//
// Implementations must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// SenderFunc adapts an ordinary function to the [Sender] interface.
type SenderFunc func(ctx context.Context, m Message) (Receipt, error)

// Send calls f(ctx, m).
func (f SenderFunc) Send(ctx context.Context, m Message) (Receipt, error) {
	return f(ctx, m)
}

var _ Sender = SenderFunc(nil)
