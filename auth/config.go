package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms"
)

// Defaults of Config (django-chelseru's OTP_LENGTH and
// OTP_EXPIRE_PER_MINUTES, simplejwt's lifetimes).
const (
	DefaultCodeLength           = 8
	DefaultCodeLifetime         = 4 * time.Minute
	DefaultMaxAttempts          = 5
	DefaultAccessLifetime       = 5 * time.Minute
	DefaultRefreshLifetime      = 24 * time.Hour
	DefaultRefreshGrace         = 10 * time.Second
	DefaultIssuer               = "chelseru"
	DefaultAudience             = "chelseru"
	DefaultSessionCheckInterval = 5 * time.Second
	DefaultBodyLimit            = 64 << 10
	DefaultSendTimeout          = 15 * time.Second

	// MinSecretLength is the shortest HS256 secret accepted (RFC 7518:
	// a key at least as long as the hash).
	MinSecretLength = 32
)

// Config configures a Service. Zero fields take the documented defaults.
type Config struct {
	// Secret is the HS256 key of every token. Required, at least
	// MinSecretLength bytes.
	Secret []byte
	// Users finds and creates users. Required; *store.Store is one.
	Users Users
	// Codes keeps the one-time codes. Required; *store.Store is one.
	Codes Codes
	// Sessions records sessions. Required.
	Sessions *session.Service
	// Sender delivers the codes. Required; use sms.SenderFunc(sms.Send) to
	// go through the package default.
	Sender sms.Sender

	// CodeLength is the number of digits of a code, 3 to 10. Defaults to 8.
	CodeLength int
	// CodeLifetime is how long a code works. Defaults to 4 minutes.
	CodeLifetime time.Duration
	// ResendInterval is how long after sending a code the same number
	// gets 409 instead of a new one, unless the code was used. Defaults to
	// CodeLifetime.
	ResendInterval time.Duration
	// MaxAttempts is the number of wrong tries after which a code is
	// burned (429 until a new one is sent). Defaults to 5.
	MaxAttempts int
	// CodeKey is the HMAC key under which codes are hashed. Defaults to a
	// key derived from Secret with HKDF.
	CodeKey []byte
	// CodeMessage returns the SMS text for a code; it must contain the
	// code as one run of ASCII digits. Defaults to "Your code: <code>".
	CodeMessage func(code string) string
	// SendTimeout bounds the sending of one code, retries included, so
	// that otp/send/ answers in time even when the provider does not.
	// Defaults to 15 seconds.
	SendTimeout time.Duration
	// OTPTemplate, when set, sends codes through the provider's template
	// (verify, lookup) API with this template id or name and the code as
	// its one parameter, instead of as CodeMessage text: django-chelseru's
	// OTP_SMS_TEMPLATE_ID. A name such as "T1" is resolved by a
	// sms.WithTemplates sender.
	OTPTemplate string

	// AccessLifetime defaults to 5 minutes, RefreshLifetime to 1 day.
	AccessLifetime  time.Duration
	RefreshLifetime time.Duration
	// RefreshGrace is how long after a rotation the rotated-out refresh
	// token still returns the same new pair. Defaults to 10 seconds;
	// negative turns the grace off.
	RefreshGrace time.Duration
	// Issuer and Audience are the iss and aud claims, both checked.
	// Both default to "chelseru".
	Issuer   string
	Audience string
	// SessionCheckInterval is how long the middleware trusts its last look
	// at a session before reading the store again; a session revoked
	// through another instance stops working after at most this long (at
	// once on this one). Defaults to 5 seconds; negative reads the store on
	// every request.
	SessionCheckInterval time.Duration

	// BodyLimit bounds request bodies. Defaults to 64 KiB.
	BodyLimit int64
	// Logger receives faults and warnings. Defaults to discarding.
	Logger *slog.Logger
	// ErrorHandler writes error responses. Defaults to httpx.WriteError.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Now returns the current time. Defaults to time.Now; tests set it.
	Now func() time.Time
}

// Validate reports the first bad value of c, as New does.
func (c Config) Validate() error {
	switch {
	case len(c.Secret) < MinSecretLength:
		return fmt.Errorf("auth: Config.Secret must be at least %d bytes", MinSecretLength)
	case c.Users == nil:
		return errors.New("auth: Config.Users is required")
	case c.Codes == nil:
		return errors.New("auth: Config.Codes is required")
	case c.Sessions == nil:
		return errors.New("auth: Config.Sessions is required")
	case c.Sender == nil:
		return errors.New("auth: Config.Sender is required")
	case c.CodeLength != 0 && (c.CodeLength < 3 || c.CodeLength > 10):
		return fmt.Errorf("auth: Config.CodeLength must be between 3 and 10, not %d", c.CodeLength)
	case c.CodeLifetime < 0, c.ResendInterval < 0, c.AccessLifetime < 0, c.RefreshLifetime < 0, c.SendTimeout < 0:
		return errors.New("auth: lifetimes and intervals in Config must not be negative")
	case c.MaxAttempts < 0:
		return errors.New("auth: Config.MaxAttempts must not be negative")
	case c.CodeKey != nil && len(c.CodeKey) < 16:
		return errors.New("auth: Config.CodeKey must be at least 16 bytes")
	case c.BodyLimit < 0:
		return errors.New("auth: Config.BodyLimit must not be negative")
	}
	if c.AccessLifetime != 0 && c.RefreshLifetime != 0 && c.RefreshLifetime < c.AccessLifetime {
		return errors.New("auth: Config.RefreshLifetime must not be shorter than AccessLifetime")
	}
	return nil
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.CodeLength == 0 {
		c.CodeLength = DefaultCodeLength
	}
	def(&c.CodeLifetime, DefaultCodeLifetime)
	def(&c.ResendInterval, c.CodeLifetime)
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.CodeKey == nil {
		c.CodeKey = deriveCodeKey(c.Secret)
	}
	if c.CodeMessage == nil {
		c.CodeMessage = func(code string) string { return "Your code: " + code }
	}
	def(&c.SendTimeout, DefaultSendTimeout)
	def(&c.AccessLifetime, DefaultAccessLifetime)
	def(&c.RefreshLifetime, DefaultRefreshLifetime)
	def(&c.RefreshGrace, DefaultRefreshGrace)
	def(&c.SessionCheckInterval, DefaultSessionCheckInterval)
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ErrorHandler == nil {
		c.ErrorHandler = httpx.WriteError
	}
	return c
}
