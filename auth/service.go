package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms"
)

// Service sends one-time codes, logs users in with them, issues and
// rotates JWTs, and authenticates requests. It is safe for concurrent use.
type Service struct {
	cfg      Config
	users    Users
	codes    Codes
	sessions *session.Service
	sender   sms.Sender
	tokens   *minter
	idents   identityCache
	logins   CodeLogins // nil unless one store keeps codes, users and sessions
}

// New returns a Service for cfg, or the error of cfg.Validate.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var logins CodeLogins
	if l, ok := cfg.Codes.(CodeLogins); ok && same(cfg.Users, cfg.Codes) && same(cfg.Sessions.Store(), cfg.Codes) {
		logins = l
	}
	return &Service{
		logins:   logins,
		cfg:      cfg,
		users:    cfg.Users,
		codes:    cfg.Codes,
		sessions: cfg.Sessions,
		sender:   cfg.Sender,
		tokens:   newMinter(cfg.Secret, cfg.Issuer, cfg.Audience),
		idents:   identityCache{entries: map[string]cachedIdentity{}},
	}, nil
}

// same reports whether a and b are the same store; values that cannot be
// compared are not.
func same(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.IsValid() && va.Type() == vb.Type() && va.Comparable() && vb.Comparable() && a == b
}

// Login is the result of a successful login or refresh.
type Login struct {
	Access  string
	Refresh string
	// AccessExpiresAt is when Access stops working.
	AccessExpiresAt time.Time
	User            User
	Session         session.Session
	// Created is true when this login created the user.
	Created bool
}

// SendCode generates a new code for the mobile number (any form
// sms.ParseMobile accepts), stores its hash, replacing any earlier code,
// and sends it, giving the sender at most Config.SendTimeout. Errors:
// sms.ErrInvalidNumber; ErrCooldown as a *WaitError while the previous
// code is fresh and unused; ErrSendFailed (wrapping the sender's error)
// when the sender fails, in which case the number may ask again at once.
func (s *Service) SendCode(ctx context.Context, mobile string) error {
	m, err := sms.ParseMobile(mobile)
	if err != nil {
		return fmt.Errorf("auth: send code: %w", err)
	}
	code := newCode(s.cfg.CodeLength)
	now := s.cfg.Now().UTC()
	c := Code{
		Mobile:    m.String(),
		Hash:      hashCode(s.cfg.CodeKey, m.String(), code),
		SentAt:    now,
		ExpiresAt: now.Add(s.cfg.CodeLifetime),
	}
	prev, stored, err := s.codes.PutCode(ctx, c, now.Add(-s.cfg.ResendInterval))
	if err != nil {
		return fmt.Errorf("auth: send code: store: %w", err)
	}
	if !stored {
		return &WaitError{Err: ErrCooldown, Wait: prev.SentAt.Add(s.cfg.ResendInterval).Sub(now)}
	}
	msg := sms.Message{To: m.String(), Text: s.cfg.CodeMessage(code), Secret: true}
	if s.cfg.OTPTemplate != "" {
		msg = sms.Message{To: m.String(), Template: s.cfg.OTPTemplate, Params: []string{code}, Secret: true}
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	_, err = s.sender.Send(sctx, msg)
	cancel()
	if err != nil {
		// The user may never have got this code: it must not hold them
		// back. The request may be gone; do it anyway.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if derr := s.codes.ReleaseCode(dctx, c.Mobile, c.Hash); derr != nil {
			s.cfg.Logger.ErrorContext(ctx, "auth: release the cooldown of an unsent code", "mobile", m, "err", derr)
		}
		return fmt.Errorf("%w: %w", ErrSendFailed, err)
	}
	return nil
}

// VerifyRequest is a login with a one-time code.
type VerifyRequest struct {
	Mobile string // any form sms.ParseMobile accepts
	Code   string // ASCII, Persian or Arabic-Indic digits
	Group  int    // the user's group; 0 by default
	Client session.Client
}

// Verify logs the user in with the newest code sent to their number,
// creating the user on first login, and starts a session. Errors:
// sms.ErrInvalidNumber, ErrMalformedCode and ErrInvalidGroup for bad
// input; ErrInvalidCode for a wrong, expired or used code;
// ErrTooManyAttempts (a *WaitError) once the code is burned.
//
// Of any number of concurrent calls with the right code, exactly one
// succeeds.
func (s *Service) Verify(ctx context.Context, req VerifyRequest) (*Login, error) {
	m, err := sms.ParseMobile(req.Mobile)
	if err != nil {
		return nil, fmt.Errorf("auth: verify: %w", err)
	}
	code, ok := normalizeCode(req.Code, s.cfg.CodeLength)
	if !ok {
		return nil, fmt.Errorf("%w: want %d digits", ErrMalformedCode, s.cfg.CodeLength)
	}
	if req.Group < 0 || req.Group > math.MaxInt32 {
		return nil, ErrInvalidGroup
	}
	now := s.cfg.Now().UTC()
	c, found, err := s.codes.Code(ctx, m.String())
	switch {
	case err != nil:
		return nil, fmt.Errorf("auth: verify: load code: %w", err)
	case !found, !c.UsedAt.IsZero():
		return nil, ErrInvalidCode
	case c.Attempts >= s.cfg.MaxAttempts:
		return nil, &WaitError{Err: ErrTooManyAttempts, Wait: c.SentAt.Add(s.cfg.ResendInterval).Sub(now)}
	case !now.Before(c.ExpiresAt):
		return nil, ErrInvalidCode
	}
	if subtle.ConstantTimeCompare(hashCode(s.cfg.CodeKey, c.Mobile, code), c.Hash) != 1 {
		if _, err := s.codes.FailCode(ctx, c.Mobile, c.Hash, s.cfg.MaxAttempts); err != nil {
			return nil, fmt.Errorf("auth: verify: count wrong try: %w", err)
		}
		return nil, ErrInvalidCode
	}
	sess := s.sessions.Prepare(0, session.NewID(), req.Client)
	use := CodeUse{Mobile: c.Mobile, Hash: c.Hash, MaxAttempts: s.cfg.MaxAttempts, At: now}
	u, created, err := s.useCode(ctx, use, req.Group, &sess)
	if err != nil {
		return nil, err
	}
	return s.login(u, sess, created)
}

// useCode marks the code used, finds or creates the user and stores the
// session, with sess.UserID set: in one step when the store can
// (CodeLogins), else in three. A code another request used first is
// ErrInvalidCode.
func (s *Service) useCode(ctx context.Context, use CodeUse, group int, sess *session.Session) (User, bool, error) {
	if s.logins != nil {
		u, created, used, err := s.logins.LoginWithCode(ctx, use, group, *sess)
		switch {
		case err != nil:
			return User{}, false, fmt.Errorf("auth: verify: %w", err)
		case !used:
			return User{}, false, ErrInvalidCode
		}
		sess.UserID = u.ID
		return u, created, nil
	}
	used, err := s.codes.UseCode(ctx, use.Mobile, use.Hash, use.MaxAttempts, use.At)
	if err != nil {
		return User{}, false, fmt.Errorf("auth: verify: use code: %w", err)
	}
	if !used {
		return User{}, false, ErrInvalidCode
	}
	u, created, err := s.users.LoginUser(ctx, use.Mobile, group)
	if err != nil {
		return User{}, false, fmt.Errorf("auth: verify: user: %w", err)
	}
	sess.UserID = u.ID
	if err := s.sessions.Create(ctx, *sess); err != nil {
		return User{}, false, fmt.Errorf("auth: verify: %w", err)
	}
	return u, created, nil
}

// Refresh rotates a refresh token: it returns a new pair and retires the
// presented token. Presenting the retired token again within the grace
// window returns the very same pair; after it, that is reuse: the session
// is revoked and the error is ErrTokenReused. Any other bad token, or one
// of a session that is over, is ErrInvalidToken.
func (s *Service) Refresh(ctx context.Context, refresh string) (*Login, error) {
	var c Claims
	if err := s.tokens.parse(refresh, TokenRefresh, s.cfg.Now(), &c); err != nil {
		return nil, err
	}
	// Two rounds at most: losing a rotation race to a concurrent refresh
	// with the same token turns this call into a grace-window retry.
	for range 2 {
		sess, found, err := s.sessions.Get(ctx, c.SessionID)
		if err != nil {
			return nil, fmt.Errorf("auth: refresh: %w", err)
		}
		if !found || sess.UserID != c.UserID {
			return nil, ErrInvalidToken
		}
		switch c.ID {
		case sess.TokenID:
			rotated, ok, err := s.sessions.Rotate(ctx, sess, session.NewID())
			if err != nil {
				return nil, fmt.Errorf("auth: refresh: %w", err)
			}
			if !ok {
				continue
			}
			sess = rotated
		case sess.PrevTokenID:
			if s.cfg.RefreshGrace < 0 || s.cfg.Now().Sub(sess.TokenIssuedAt) > s.cfg.RefreshGrace {
				return nil, s.reused(ctx, sess)
			}
		default:
			return nil, s.reused(ctx, sess)
		}
		u, found, err := s.users.User(ctx, sess.UserID)
		if err != nil {
			return nil, fmt.Errorf("auth: refresh: user: %w", err)
		}
		if !found {
			return nil, ErrInvalidToken
		}
		return s.login(u, sess, false)
	}
	return nil, ErrInvalidToken
}

// reused revokes a session whose retired refresh token came back.
func (s *Service) reused(ctx context.Context, sess session.Session) error {
	if err := s.Revoke(ctx, sess.ID); err != nil {
		return err
	}
	s.cfg.Logger.WarnContext(ctx, "auth: refresh token reused; session revoked",
		"user_id", sess.UserID, "session", sess.ID)
	return ErrTokenReused
}

// Revoke ends a session: its tokens stop working at once on this
// instance, and within Config.SessionCheckInterval on others.
func (s *Service) Revoke(ctx context.Context, sessionID string) error {
	if err := s.sessions.Revoke(ctx, sessionID); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	s.idents.revoke(sessionID, s.cfg.Now())
	return nil
}

// login mints the pair of the session's current token generation.
func (s *Service) login(u User, sess session.Session, created bool) (*Login, error) {
	gen, iat := sess.TokenID, sess.TokenIssuedAt
	access, exp, err := s.tokens.sign(TokenAccess, u.ID, sess.ID, accessID(gen), iat, s.cfg.AccessLifetime)
	if err != nil {
		return nil, err
	}
	refresh, _, err := s.tokens.sign(TokenRefresh, u.ID, sess.ID, gen, iat, s.cfg.RefreshLifetime)
	if err != nil {
		return nil, err
	}
	return &Login{Access: access, Refresh: refresh, AccessExpiresAt: exp, User: u, Session: sess, Created: created}, nil
}
