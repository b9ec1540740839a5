package sms

import (
	"errors"
	"strconv"
	"strings"
)

// Kinds of provider failure. Every error a provider client returns for a
// refused or failed send is a [*ProviderError] that matches exactly one of
// them with errors.Is, so callers branch on the kind without knowing any
// provider's codes:
//
//	_, err := sms.Send(ctx, m)
//	switch {
//	case errors.Is(err, sms.ErrInsufficientCredit): // top up
//	case errors.Is(err, sms.ErrInvalidReceiver):    // drop the number
//	}
var (
	// ErrBadCredentials: the API key, username or password is wrong.
	ErrBadCredentials = errors.New("sms: bad credentials")
	// ErrAccessDenied: the account is disabled, the calling IP is not
	// allowed, or the service or line is not enabled for the account.
	ErrAccessDenied = errors.New("sms: access denied")
	// ErrInsufficientCredit: the account has no credit left.
	ErrInsufficientCredit = errors.New("sms: insufficient credit")
	// ErrInvalidReceiver: the provider will not deliver to this number
	// (invalid, blacklisted, opted out).
	ErrInvalidReceiver = errors.New("sms: receiver rejected")
	// ErrInvalidSender: the sender line is unknown or not the account's.
	ErrInvalidSender = errors.New("sms: sender line rejected")
	// ErrMessageRejected: the text is empty, too long, or has words or
	// links the provider filters.
	ErrMessageRejected = errors.New("sms: message rejected")
	// ErrTemplateRejected: the template is unknown or unapproved, or its
	// parameters do not fit it.
	ErrTemplateRejected = errors.New("sms: template or parameters rejected")
	// ErrTemplateRequired: the provider sends templates only and got a
	// plain text (Parsian Webco, Ghasedak's gateway).
	ErrTemplateRequired = errors.New("sms: the provider sends templates only")
	// ErrRateLimited: the provider refuses calls for a while.
	ErrRateLimited = errors.New("sms: rate limited by the provider")
	// ErrTemporary: the provider failed in a way that may pass (a 5xx, an
	// internal error, maintenance).
	ErrTemporary = errors.New("sms: temporary provider failure")
	// ErrTransport: no usable answer: the network failed, the call timed
	// out, or the body was empty, truncated or not the provider's format
	// (an HTML error page). The provider may or may not have sent the
	// message.
	ErrTransport = errors.New("sms: transport failure")
	// ErrRejected: any other refusal the provider reports, for reasons it
	// does not name; Failover moves on after it.
	ErrRejected = errors.New("sms: provider refused")
)

// kinds lists the provider failure kinds, for checks and tests.
var kinds = []error{
	ErrBadCredentials, ErrAccessDenied, ErrInsufficientCredit, ErrInvalidReceiver, ErrInvalidSender,
	ErrMessageRejected, ErrTemplateRejected, ErrTemplateRequired, ErrRateLimited, ErrTemporary,
	ErrTransport, ErrRejected,
}

// Kinds returns the provider failure kinds (ErrBadCredentials …
// ErrRejected), in a new slice.
func Kinds() []error { return append([]error(nil), kinds...) }

// kindNames are the stable words of the kinds, as a wire format or an API
// body carries them.
var kindNames = map[error]string{
	ErrBadCredentials: "bad_credentials", ErrAccessDenied: "access_denied", ErrInsufficientCredit: "insufficient_credit",
	ErrInvalidReceiver: "invalid_receiver", ErrInvalidSender: "invalid_sender", ErrMessageRejected: "message_rejected",
	ErrTemplateRejected: "template_rejected", ErrTemplateRequired: "template_required", ErrRateLimited: "rate_limited",
	ErrTemporary: "temporary", ErrTransport: "transport", ErrRejected: "rejected",
	ErrInvalidMessage: "invalid_message",
}

// KindName returns the stable word of the failure kind err matches
// ("insufficient_credit", "invalid_receiver", …, "invalid_message" for a
// [*ValidationError]), or "" when it matches none.
func KindName(err error) string {
	for _, k := range append(kinds, ErrInvalidMessage) {
		if errors.Is(err, k) {
			return kindNames[k]
		}
	}
	return ""
}

// KindByName returns the kind whose word KindName gives, or nil.
func KindByName(name string) error {
	for k, n := range kindNames {
		if n == name && k != ErrInvalidMessage {
			return k
		}
	}
	return nil
}

// ProviderError is a failure reported by a provider, or the lack of a
// usable answer from it. Match its Kind with errors.Is (errors.Is(err,
// sms.ErrInsufficientCredit)) and read the rest with errors.As:
//
//	var perr *sms.ProviderError
//	if errors.As(err, &perr) {
//		log.Printf("%s said %s: %s", perr.Provider, perr.Code, perr.Message)
//	}
//
// Neither the message nor Err ever holds a credential: provider clients
// redact them.
type ProviderError struct {
	// Provider is the provider's short name, e.g. "kavenegar".
	Provider string
	// Kind is one of the sms.Err… kinds above.
	Kind error
	// Code is the provider's own status or error code, as text ("418",
	// "-110", "InvalidData"); empty when the provider gave none.
	Code string
	// Message is the provider's own explanation, often in Persian.
	Message string
	// HTTPStatus is the HTTP status of the provider's answer; 0 when there
	// was none.
	HTTPStatus int
	// Err is the underlying cause of a transport failure.
	Err error
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": ")
	kind := "sms: provider refused"
	if e.Kind != nil {
		kind = e.Kind.Error()
	}
	b.WriteString(strings.TrimPrefix(kind, "sms: "))
	if e.Code != "" {
		b.WriteString(" (code ")
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is reports whether target is e's Kind.
func (e *ProviderError) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the cause of a transport failure.
func (e *ProviderError) Unwrap() error { return e.Err }

// Retryable reports whether sending the same message again may succeed:
// for temporary and transport failures only, never after a credential,
// credit, receiver or message error.
func (e *ProviderError) Retryable() bool {
	return e.Kind == ErrTemporary || e.Kind == ErrTransport
}

// CodeValue is Code as a JSON-ready value: an int64 when the code is a
// decimal number, else the string (nil when empty). It is the
// provider_code of a 502 body.
func (e *ProviderError) CodeValue() any {
	if e.Code == "" {
		return nil
	}
	if n, err := strconv.ParseInt(e.Code, 10, 64); err == nil {
		return n
	}
	return e.Code
}

// ErrInvalidMessage is what every [*ValidationError] matches: a message a
// provider client refused before sending anything.
var ErrInvalidMessage = errors.New("sms: invalid message")

// ValidationError is a message a provider client refused before sending
// it, because the provider is known to reject it (a text over its limit, a
// space in a Kavenegar lookup token). No request was made.
type ValidationError struct {
	Provider string
	// Field names what is wrong: "text", "template", "params[0]", "to".
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	return e.Provider + ": invalid message: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidMessage.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidMessage }
