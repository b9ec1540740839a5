// Package sms defines how chelseru-go sends text messages: the [Sender]
// interface every provider client implements, the [Message] it sends and the
// [Receipt] it gets back, Iranian mobile numbers ([Mobile], [ParseMobile]),
// and the GSM-7 / UCS-2 segment rules that decide how many parts a text is
// billed as ([Parts]).
//
// Provider clients live in sub-packages of their own: sms/kavenegar,
// sms/melipayamak, sms/parsian, sms/smsir and sms/ghasedak, and
// sms/webhook for any other provider behind a URL of the host's. Their
// failures are [*ProviderError]s that match one failure kind
// ([ErrInsufficientCredit], [ErrInvalidReceiver], [ErrTemporary], …) with
// errors.Is. sms/console is a development stand-in that writes each
// message to a log, sms/smstest has a [Sender] that records messages for
// tests, and sms/outbox queues messages in the database for a worker.
//
// Delivery policy is built from wrappers that are Senders themselves:
// [Retry] (temporary and transport failures only), [Failover] (the next
// provider after failures of the provider or the account), [WithTemplates]
// (template names to ids) and [WithLog] (the SMS log).
//
// Library code, such as the one-time-code flow in package auth, takes an
// explicit Sender. Business code may instead use the package-level shortcut
// [Send] over a default sender that the host sets once at start-up:
//
//	sms.SetDefault(console.New(logger)) // or a provider's client
//
//	// later, anywhere:
//	_, err = sms.Send(ctx, sms.Message{To: "0912 000 0001", Text: "Your order is on its way."})
//	if errors.Is(err, sms.ErrInvalidNumber) {
//		// the receiver is not an Iranian mobile number
//	}
//
// Until SetDefault is called, Send fails with [ErrNoSender]; messages are
// never dropped silently.
//
// Mobile numbers are accepted in every form people type them (with +98, 0098,
// 98 or a leading 0, with spaces, dashes and parentheses, with Persian or
// Arabic-Indic digits) and normalised to the national form 09XXXXXXXXX. A
// [Mobile] masks its middle digits when it is logged through log/slog.
//
// # Concurrency
//
// Every Sender must be safe for concurrent use by multiple goroutines. [Default], [SetDefault] and [Send] may be called
// from any goroutine: the default sender is held in an atomic pointer, like
// slog's default logger. The functions on [Mobile], [Message] and [Parts]
// have no shared state.
package sms
