// Package console provides an [sms.Sender] for development that writes each
// message to a log instead of delivering it.
//
// It is the default provider of examples/server, so that the one-time-code
// flow works on a laptop with no SMS account: the code shows up in the
// server's log.
//
//	sms.SetDefault(console.New(logger))
//
// Unlike every other part of this module, a console Sender logs the
// receiver's number unmasked and the whole text, one-time codes included:
// showing them is its job. Never use it in production.
//
// # Concurrency
//
// A [Sender] is safe for concurrent use by multiple goroutines.
package console

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/chelseru/chelseru-go/sms"
)

// Provider is the name a console Sender puts in every [sms.Receipt].
const Provider = "console"

// Sender writes each message to a *slog.Logger: for development only; it
// never delivers anything. The zero value logs to [slog.Default]. A Sender
// is safe for concurrent use.
type Sender struct {
	logger *slog.Logger
	seq    atomic.Uint64
}

var _ sms.Sender = (*Sender)(nil)

// New returns a Sender that logs to logger. A nil logger means
// [slog.Default], looked up at each Send.
func New(logger *slog.Logger) *Sender {
	return &Sender{logger: logger}
}

// Send logs m as one Info record with the message "sms (console)" and
// returns a receipt whose MessageID is a counter, unique for this Sender.
//
// The record carries the receiver in canonical form, unmasked ("to"), then
// either the whole text ("text") or the template and its parameters
// ("template", "params"), then "message_id" and "parts". Parts is
// [sms.Parts] of the text, or 1 for a template message.
//
// Like a real provider, Send refuses an invalid message with the error of
// [sms.Message.Validate], and a message whose ctx is already done with
// ctx.Err(); neither is logged.
func (s *Sender) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
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

	id := strconv.FormatUint(s.seq.Add(1), 10)
	parts := 1
	attrs := make([]slog.Attr, 0, 5)
	attrs = append(attrs, slog.String("to", to.String()))
	if m.Template != "" {
		attrs = append(attrs, slog.String("template", m.Template), slog.Any("params", m.Params))
	} else {
		_, parts = sms.Parts(m.Text)
		attrs = append(attrs, slog.String("text", m.Text))
	}
	attrs = append(attrs, slog.String("message_id", id), slog.Int("parts", parts))

	logger := s.logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "sms (console)", attrs...)
	return sms.Receipt{Provider: Provider, MessageID: id, Parts: parts}, nil
}
