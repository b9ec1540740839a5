// Package smsapi is django-chelseru's message/send/ endpoint: an
// authenticated, permission-checked, rate-limited way for clients to send
// an SMS through the configured provider.
//
//	api, err := smsapi.New(smsapi.Config{Auth: authn, Sender: sender, Limiter: st})
//	mux.Handle("/api/", httpx.Router("/api/", authn, api))
//
// By default only staff users may send (an open SMS endpoint is an
// SMS-pumping hole), 30 messages per user per hour, with at most 290
// characters of text. With template_id the text holds the template's
// values, separated by ";".
//
// # Concurrency
//
// A Service is safe for concurrent use.
package smsapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/sms"
)

// Limiter counts events in fixed windows across server instances;
// *store.Store is one.
type Limiter interface {
	// Hit counts one event against key and reports whether the window's
	// count is still within limit, and otherwise how long until the
	// window ends.
	Hit(ctx context.Context, key string, limit int, window time.Duration) (allowed bool, retryAfter time.Duration, err error)
}

// Defaults of Config.
const (
	DefaultPerHour = 30
	DefaultMaxText = 290
)

// Config configures a Service. Zero fields take the defaults.
type Config struct {
	// Auth authenticates the callers. Required.
	Auth *auth.Service
	// Sender sends the messages. Required.
	Sender sms.Sender
	// Allow decides who may send. Defaults to staff users only.
	Allow func(ctx context.Context, u auth.User) bool
	// Limiter keeps the per-user counts. Required unless PerHour is
	// negative.
	Limiter Limiter
	// PerHour is how many messages a user may send in a clock hour (a
	// fixed window: the count starts again on the hour). Every send the
	// provider was asked for counts, failed or not; requests refused
	// before that do not. Defaults to 30; negative turns the limit off.
	PerHour int
	// MaxText is the longest message_text, in characters, after
	// surrounding spaces are trimmed as Django REST framework trims them.
	// Defaults to 290.
	MaxText int
	// SendTimeout bounds one send, retries included. Defaults to 15 s.
	SendTimeout time.Duration
	// BodyLimit bounds request bodies. Defaults to 64 KiB.
	BodyLimit int64
	// Logger receives faults. Defaults to discarding.
	Logger *slog.Logger
}

// Service serves message/send/.
type Service struct {
	cfg Config
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Auth == nil:
		return nil, errors.New("smsapi: Config.Auth is required")
	case cfg.Sender == nil:
		return nil, errors.New("smsapi: Config.Sender is required")
	case cfg.Limiter == nil && cfg.PerHour >= 0:
		return nil, errors.New("smsapi: Config.Limiter is required unless PerHour is negative")
	case cfg.MaxText < 0, cfg.BodyLimit < 0, cfg.SendTimeout < 0:
		return nil, errors.New("smsapi: Config values must not be negative")
	}
	if cfg.Allow == nil {
		cfg.Allow = func(_ context.Context, u auth.User) bool { return u.IsStaff }
	}
	if cfg.PerHour == 0 {
		cfg.PerHour = DefaultPerHour
	}
	if cfg.MaxText == 0 {
		cfg.MaxText = DefaultMaxText
	}
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}, nil
}

// Routes returns POST message/send/.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{{Method: http.MethodPost, Path: "message/send/", Handler: s.cfg.Auth.Require(http.HandlerFunc(s.handleSend))}}
}

// Handler returns the routes rooted at "/".
func (s *Service) Handler() http.Handler { return httpx.Router("/", s) }

// Sentences of the endpoint; the first is django-chelseru's.
const (
	msgSent      = "The Message was sent correctly."
	msgForbidden = "You do not have permission to send messages."
	msgLimited   = "Too many messages: wait before sending more."
	msgProvider  = "The SMS provider could not send the message."
	msgBadMobile = "The mobile number is not a valid Iranian mobile number."
)

type sentBody struct {
	Details   string `json:"details"`
	Provider  string `json:"provider"`
	Parts     int    `json:"parts"`
	MessageID string `json:"message_id,omitempty"`
}

func (s *Service) handleSend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, _ := auth.UserFrom(ctx)
	if !s.cfg.Allow(ctx, u) {
		httpx.WriteError(w, r, httpx.NewError(http.StatusForbidden, httpx.CodeForbidden, msgForbidden))
		return
	}
	m, err := s.decode(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if s.cfg.PerHour >= 0 {
		ok, wait, err := s.cfg.Limiter.Hit(ctx, "message_send:user:"+strconv.FormatInt(u.ID, 10), s.cfg.PerHour, time.Hour)
		if err != nil {
			s.fault(w, r, err)
			return
		}
		if !ok {
			secs := int((wait + time.Second - 1) / time.Second)
			httpx.WriteError(w, r, &httpx.Error{Status: http.StatusTooManyRequests, Code: httpx.CodeRateLimited, Message: msgLimited, RetryAfter: secs})
			return
		}
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	rec, err := s.cfg.Sender.Send(sctx, m)
	cancel()
	if err != nil {
		s.sendError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sentBody{Details: msgSent, Provider: rec.Provider, Parts: rec.Parts, MessageID: rec.MessageID})
}

// decode reads and checks the fields: every problem is one 400.
func (s *Service) decode(r *http.Request) (sms.Message, error) {
	body, err := httpx.Decode(r, s.cfg.BodyLimit)
	if err != nil {
		return sms.Message{}, err
	}
	problems := map[string]string{}
	mobile, ok, err := body.String("mobile_number")
	switch {
	case err != nil:
		problems["mobile_number"] = err.Error()
	case !ok || mobile == "":
		problems["mobile_number"] = "this field is required"
	default:
		m, err := sms.ParseMobile(mobile)
		if err != nil {
			problems["mobile_number"] = "must be an Iranian mobile number"
		}
		mobile = m.String()
	}
	text, ok, err := body.String("message_text")
	text = strings.TrimSpace(text)
	switch {
	case err != nil:
		problems["message_text"] = err.Error()
	case !ok || text == "":
		problems["message_text"] = "this field is required"
	case !utf8.ValidString(text) || strings.ContainsFunc(text, isControl):
		problems["message_text"] = "must be text without control characters"
	case utf8.RuneCountInString(text) > s.cfg.MaxText:
		problems["message_text"] = fmt.Sprintf("must be at most %d characters", s.cfg.MaxText)
	}
	var tpl string
	if !body.Null("template_id") {
		if tpl, _, err = body.Scalar("template_id"); err != nil {
			problems["template_id"] = err.Error()
		}
	}
	if len(problems) > 0 {
		code := httpx.CodeInvalidRequest
		if _, bad := problems["mobile_number"]; bad {
			code = httpx.CodeInvalidMobile
		}
		return sms.Message{}, httpx.FieldError(code, problems)
	}
	if tpl = strings.TrimSpace(tpl); tpl != "" {
		return sms.Message{To: mobile, Template: tpl, Params: strings.Split(text, ";")}, nil
	}
	return sms.Message{To: mobile, Text: text}, nil
}

// isControl reports control characters other than line breaks and tabs.
func isControl(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f
}

// sendError maps a send failure: the message's own faults are 400s, the
// provider's a 502.
func (s *Service) sendError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *sms.ValidationError
	switch {
	case errors.Is(err, sms.ErrInvalidNumber):
		httpx.WriteError(w, r, &httpx.Error{Status: http.StatusBadRequest, Code: httpx.CodeInvalidMobile, Message: msgBadMobile,
			Fields: map[string]string{"mobile_number": "must be an Iranian mobile number"}})
	case errors.Is(err, sms.ErrEmptyMessage):
		httpx.WriteError(w, r, httpx.FieldError(httpx.CodeInvalidRequest, map[string]string{"message_text": "this field is required"}))
	case errors.Is(err, sms.ErrTemplateRequired):
		httpx.WriteError(w, r, httpx.FieldError(httpx.CodeInvalidRequest, map[string]string{"template_id": "the SMS provider sends templates only: this field is required"}))
	case errors.As(err, &verr):
		field := "message_text"
		if verr.Field == "template" {
			field = "template_id"
		}
		httpx.WriteError(w, r, httpx.FieldError(httpx.CodeInvalidRequest, map[string]string{field: verr.Reason}))
	default:
		var perr *sms.ProviderError
		if !errors.As(err, &perr) {
			s.fault(w, r, err)
			return
		}
		s.cfg.Logger.WarnContext(r.Context(), "smsapi: provider refused", "provider", perr.Provider, "err", err)
		httpx.WriteError(w, r, httpx.ProviderError(msgProvider, err))
	}
}

func (s *Service) fault(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.ErrorContext(r.Context(), "smsapi: message/send/ failed", "err", err)
	httpx.WriteError(w, r, err)
}
