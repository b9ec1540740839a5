package auth

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/sms"
)

// Sentences of the contract; the compat ones are django-chelseru's own.
const (
	msgCodeSent     = "The OTP code was sent correctly."
	msgCodeInvalid  = "The code sent to this mobile number was not found."
	msgBadMobile    = "The mobile number is not a valid Iranian mobile number."
	msgTooMany      = "Too many wrong tries for this code."
	msgSendFailed   = "The SMS provider could not send the code; please try again."
	msgSendRefused  = "The SMS provider refused to send a code to this mobile number."
	msgSendBroken   = "The SMS provider refused the code message: the server's SMS settings need fixing."
	msgTokenInvalid = "The refresh token is invalid or expired."
	msgTokenReused  = "The refresh token was already used; the session has been ended."
)

// What is wrong with a field, as the "fields" of a 400 say it.
const (
	problemMobile = "must be an Iranian mobile number"
	problemGroup  = "must be between 0 and 2147483647"
)

func problemCode(n int) string { return "must be " + strconv.Itoa(n) + " digits" }

// Error codes this package adds to httpx's.
const (
	CodeOTPCooldown         = "otp_cooldown"
	CodeOTPInvalid          = "otp_invalid"
	CodeOTPAttemptsExceeded = "otp_attempts_exceeded"
	CodeProviderError       = httpx.CodeProviderError
	CodeTokenInvalid        = "token_invalid"
	CodeTokenReused         = "token_reused"
)

// Routes returns the endpoints of the service, relative to the mount
// point: otp/send/, authenticate/, token/refresh/ and sessions/
// (django-chelseru's API; see the README).
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: http.MethodPost, Path: "otp/send/", Handler: http.HandlerFunc(s.handleSendCode)},
		{Method: http.MethodPost, Path: "authenticate/", Handler: http.HandlerFunc(s.handleAuthenticate)},
		{Method: http.MethodPost, Path: "token/refresh/", Handler: http.HandlerFunc(s.handleRefresh)},
		{Method: http.MethodGet, Path: "sessions/", Handler: s.Require(http.HandlerFunc(s.handleSessions))},
	}
}

// Handler returns the service's routes as one handler rooted at "/"; mount
// it with http.StripPrefix, or use httpx.Router to mount several services
// under one prefix.
func (s *Service) Handler() http.Handler { return httpx.Router("/", s) }

func (s *Service) handleSendCode(w http.ResponseWriter, r *http.Request) {
	body, err := httpx.Decode(r, s.cfg.BodyLimit)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	mobile, problems := requiredString(body, "mobile_number", nil)
	if problems != nil {
		s.WriteError(w, r, fieldError(problems))
		return
	}
	if err := s.SendCode(r.Context(), mobile); err != nil {
		s.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"details": msgCodeSent})
}

func (s *Service) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	body, err := httpx.Decode(r, s.cfg.BodyLimit)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	mobile, problems := requiredString(body, "mobile_number", nil)
	code, problems := requiredString(body, "code", problems)
	group, ok, err := body.Int("group")
	switch {
	case err != nil:
		problems = addProblem(problems, "group", err.Error())
	case ok && (group < 0 || group > 1<<31-1):
		problems = addProblem(problems, "group", problemGroup)
	}
	if problems == nil {
		if _, err := sms.ParseMobile(mobile); err != nil {
			problems = addProblem(problems, "mobile_number", problemMobile)
		}
		if _, ok := normalizeCode(code, s.cfg.CodeLength); !ok {
			problems = addProblem(problems, "code", problemCode(s.cfg.CodeLength))
		}
	}
	if problems != nil {
		s.WriteError(w, r, fieldError(problems))
		return
	}
	login, err := s.Verify(r.Context(), VerifyRequest{
		Mobile: mobile, Code: code, Group: int(group), Client: s.sessions.Client(r),
	})
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writeLogin(w, login)
}

func (s *Service) handleRefresh(w http.ResponseWriter, r *http.Request) {
	body, err := httpx.Decode(r, s.cfg.BodyLimit)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	token, problems := requiredString(body, "refresh", nil)
	if problems != nil {
		s.WriteError(w, r, fieldError(problems))
		return
	}
	login, err := s.Refresh(r.Context(), token)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.writeLogin(w, login)
}

func (s *Service) handleSessions(w http.ResponseWriter, r *http.Request) {
	id, _ := IdentityFrom(r.Context())
	views, err := s.sessions.List(r.Context(), id.User.ID, id.Session.ID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, views)
}

// tokenBody is the body of authenticate/ and token/refresh/: simplejwt's
// access and refresh, and ours.
type tokenBody struct {
	Access    string `json:"access"`
	Refresh   string `json:"refresh"`
	TokenType string `json:"token_type"`
	ExpiresIn int64  `json:"expires_in"`
	SessionID string `json:"session_id"`
	User      User   `json:"user"`
	Created   bool   `json:"created"`
}

func (s *Service) writeLogin(w http.ResponseWriter, l *Login) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	httpx.WriteJSON(w, http.StatusOK, tokenBody{
		Access:    l.Access,
		Refresh:   l.Refresh,
		TokenType: "Bearer",
		ExpiresIn: ceilSeconds(l.AccessExpiresAt.Sub(s.cfg.Now())),
		SessionID: l.Session.ID,
		User:      l.User,
		Created:   l.Created,
	})
}

// ceilSeconds is d in whole seconds, rounded up: a token issued now, whose
// iat lost its fraction of a second, lives for its full lifetime.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// WriteError writes an error of this package's Service methods (or of
// sms.ParseMobile) as the HTTP response its endpoints give: for example
// sms.ErrInvalidNumber as 400 invalid_mobile, ErrCooldown as 409
// otp_cooldown with Retry-After, ErrInvalidCode as 401 otp_invalid.
// Anything else is logged and written as a bare 500. Host handlers that
// call SendCode or Verify themselves answer with it.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var httpErr *httpx.Error
	var wait *WaitError
	switch {
	case errors.As(err, &httpErr):
	case errors.Is(err, sms.ErrInvalidNumber):
		httpErr = &httpx.Error{Status: http.StatusBadRequest, Code: httpx.CodeInvalidMobile, Message: msgBadMobile,
			Fields: map[string]string{"mobile_number": problemMobile}}
	case errors.Is(err, ErrMalformedCode):
		httpErr = fieldError(map[string]string{"code": problemCode(s.cfg.CodeLength)})
	case errors.Is(err, ErrInvalidGroup):
		httpErr = fieldError(map[string]string{"group": problemGroup})
	case errors.Is(err, ErrCooldown) && errors.As(err, &wait):
		n := max(wait.Seconds(), 1)
		msg := "An OTP code has already been sent. Please wait " + strconv.Itoa(n) + " seconds before trying again."
		httpErr = &httpx.Error{Status: http.StatusConflict, Code: CodeOTPCooldown, Message: msg, Details: true, RetryAfter: n}
	case errors.Is(err, ErrTooManyAttempts) && errors.As(err, &wait):
		msg := msgTooMany + " Request a new code."
		if n := wait.Seconds(); n > 0 {
			msg = msgTooMany + " Request a new code in " + strconv.Itoa(n) + " seconds."
		}
		httpErr = &httpx.Error{Status: http.StatusTooManyRequests, Code: CodeOTPAttemptsExceeded, Message: msg, RetryAfter: wait.Seconds()}
	case errors.Is(err, ErrInvalidCode):
		httpErr = httpx.NewError(http.StatusUnauthorized, CodeOTPInvalid, msgCodeInvalid)
	case errors.Is(err, ErrSendFailed):
		s.cfg.Logger.ErrorContext(r.Context(), "auth: send code", "err", err)
		msg := msgSendFailed
		switch {
		case errors.Is(err, sms.ErrInvalidReceiver):
			msg = msgSendRefused // asking again will not help
		case errors.Is(err, sms.ErrTemplateRejected), errors.Is(err, sms.ErrTemplateRequired),
			errors.Is(err, sms.ErrInvalidMessage), errors.Is(err, sms.ErrBadCredentials):
			msg = msgSendBroken
		}
		httpErr = httpx.ProviderError(msg, err)
	case errors.Is(err, ErrTokenReused):
		httpErr = httpx.NewError(http.StatusUnauthorized, CodeTokenReused, msgTokenReused)
	case errors.Is(err, ErrInvalidToken):
		httpErr = httpx.NewError(http.StatusUnauthorized, CodeTokenInvalid, msgTokenInvalid)
	default:
		s.cfg.Logger.ErrorContext(r.Context(), "auth: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if httpErr != nil {
		err = httpErr
	}
	s.cfg.ErrorHandler(w, r, err)
}

// requiredString reads a required string field into problems.
func requiredString(b *httpx.Body, name string, problems map[string]string) (string, map[string]string) {
	v, ok, err := b.String(name)
	switch {
	case err != nil:
		return "", addProblem(problems, name, err.Error())
	case !ok || v == "":
		return "", addProblem(problems, name, "this field is required")
	}
	return v, problems
}

func addProblem(problems map[string]string, name, problem string) map[string]string {
	if problems == nil {
		problems = map[string]string{}
	}
	problems[name] = problem
	return problems
}

// fieldError is a 400 for field problems: invalid_mobile when the mobile
// number is among them, invalid_request otherwise.
func fieldError(problems map[string]string) *httpx.Error {
	code := httpx.CodeInvalidRequest
	if _, ok := problems["mobile_number"]; ok {
		code = httpx.CodeInvalidMobile
	}
	return httpx.FieldError(code, problems)
}
