package auth

import (
	"errors"
	"time"
)

// Conditions callers can branch on with errors.Is. Errors from Service
// methods wrap them; faults (a store that fails) wrap none of them.
var (
	// ErrInvalidCode: the code is wrong, expired or already used. The
	// three are deliberately indistinguishable.
	ErrInvalidCode = errors.New("auth: the code sent to this mobile number was not found")
	// ErrMalformedCode: the code has the wrong length or characters other
	// than digits. It is not counted as a try.
	ErrMalformedCode = errors.New("auth: malformed code")
	// ErrInvalidGroup: the group is negative or too large.
	ErrInvalidGroup = errors.New("auth: invalid group")
	// ErrTooManyAttempts: the code took too many wrong tries and is
	// burned until a new one is sent. The error is a [*WaitError].
	ErrTooManyAttempts = errors.New("auth: too many wrong codes")
	// ErrCooldown: a code was sent less than the resend interval ago and
	// is unused. The error is a [*WaitError].
	ErrCooldown = errors.New("auth: a code was sent recently")
	// ErrSendFailed: the SMS sender failed; the code was discarded. The
	// sender's error is wrapped too.
	ErrSendFailed = errors.New("auth: the code could not be sent")
	// ErrInvalidToken: a token is missing, malformed, expired, of the wrong
	// type, or its session is over.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrTokenReused: a rotated-out refresh token came back after the
	// grace window; its session has been revoked.
	ErrTokenReused = errors.New("auth: refresh token reused")
)

// WaitError is a refusal that ends after a while: Err is ErrCooldown or
// ErrTooManyAttempts, Wait how long until a new code may be sent.
type WaitError struct {
	Err  error
	Wait time.Duration
}

func (e *WaitError) Error() string { return e.Err.Error() + " (retry in " + e.Wait.String() + ")" }

// Unwrap returns Err.
func (e *WaitError) Unwrap() error { return e.Err }

// Seconds is Wait in whole seconds, rounded up.
func (e *WaitError) Seconds() int { return int(ceilSeconds(e.Wait)) }
