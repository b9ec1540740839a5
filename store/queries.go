package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/session"
)

// The Store satisfies the interfaces its consumers declare.
var (
	_ auth.Users      = (*Store)(nil)
	_ auth.Codes      = (*Store)(nil)
	_ auth.CodeLogins = (*Store)(nil)
	_ session.Store   = (*Store)(nil)
)

// queries holds every statement with the table prefix filled in, built
// once. Placeholders are "?"; gorm rewrites them for PostgreSQL.
type queries struct {
	putCode, getCode, useCode, failCode, releaseCode string
	loginUser, getUser, setStaff                     string
	createSession, getSession, userSessions          string
	rotateSession, touchSession, revokeSession       string
	loginWithCode, unuseCode                         string
}

const sessionColumns = `id, user_id, token_id, prev_token_id, token_issued_at, user_agent, ip_address,
	device, browser, os, created_at, last_seen, expires_at, revoked_at`

const userColumns = `id, mobile_number, user_group, username, is_staff, created_at`

func newQueries(p string) queries {
	return queries{
		putCode: `INSERT INTO ` + p + `otp_codes (mobile_number, code_hash, sent_at, expires_at, attempts, used_at)
			VALUES (?, ?, ?, ?, 0, NULL)
			ON CONFLICT (mobile_number) DO UPDATE SET code_hash = excluded.code_hash, sent_at = excluded.sent_at,
				expires_at = excluded.expires_at, attempts = 0, used_at = NULL
			WHERE ` + p + `otp_codes.used_at IS NOT NULL OR ` + p + `otp_codes.sent_at <= ?`,
		getCode: `SELECT mobile_number, code_hash, sent_at, expires_at, attempts, used_at FROM ` + p + `otp_codes
			WHERE mobile_number = ?`,
		useCode: `UPDATE ` + p + `otp_codes SET used_at = ?
			WHERE mobile_number = ? AND code_hash = ? AND used_at IS NULL AND attempts < ?`,
		failCode: `UPDATE ` + p + `otp_codes SET attempts = attempts + 1
			WHERE mobile_number = ? AND code_hash = ? AND used_at IS NULL AND attempts < ?`,
		releaseCode: `UPDATE ` + p + `otp_codes SET sent_at = ? WHERE mobile_number = ? AND code_hash = ?`,
		unuseCode:   `UPDATE ` + p + `otp_codes SET used_at = NULL WHERE mobile_number = ? AND code_hash = ? AND used_at = ?`,

		loginUser: `INSERT INTO ` + p + `users (mobile_number, user_group, username, is_staff, login_count, created_at, last_login)
			VALUES (?, ?, ?, ?, 1, ?, ?)
			ON CONFLICT (mobile_number, user_group) DO UPDATE SET login_count = ` + p + `users.login_count + 1,
				last_login = excluded.last_login
			RETURNING ` + userColumns + `, login_count`,
		getUser:  `SELECT ` + userColumns + ` FROM ` + p + `users WHERE id = ?`,
		setStaff: `UPDATE ` + p + `users SET is_staff = ? WHERE mobile_number = ?`,

		createSession: `INSERT INTO ` + p + `sessions (` + sessionColumns + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		getSession: `SELECT ` + sessionColumns + ` FROM ` + p + `sessions WHERE id = ?`,
		userSessions: `SELECT ` + sessionColumns + ` FROM ` + p + `sessions
			WHERE user_id = ? AND revoked_at IS NULL ORDER BY last_seen DESC, id LIMIT ` + strconv.Itoa(maxUserSessions),
		rotateSession: `UPDATE ` + p + `sessions SET prev_token_id = token_id, token_id = ?, token_issued_at = ?, last_seen = ?
			WHERE id = ? AND token_id = ? AND revoked_at IS NULL`,
		touchSession:  `UPDATE ` + p + `sessions SET last_seen = ? WHERE id = ? AND last_seen < ?`,
		revokeSession: `UPDATE ` + p + `sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,

		// PostgreSQL only: the last steps of a login in one statement. Each
		// step takes the rows of the one before, so nothing happens unless
		// the code was used; a failing step fails the whole statement. The
		// casts type the parameters of INSERT … SELECT.
		loginWithCode: `WITH used AS (
				UPDATE ` + p + `otp_codes SET used_at = ?
				WHERE mobile_number = ? AND code_hash = ? AND used_at IS NULL AND attempts < ?
				RETURNING mobile_number
			), u AS (
				INSERT INTO ` + p + `users (mobile_number, user_group, username, is_staff, login_count, created_at, last_login)
				SELECT mobile_number, ?::integer, ?::text, false, 1, ?::timestamptz, ?::timestamptz FROM used
				ON CONFLICT (mobile_number, user_group) DO UPDATE SET login_count = ` + p + `users.login_count + 1,
					last_login = excluded.last_login
				RETURNING ` + userColumns + `, login_count
			), s AS (
				INSERT INTO ` + p + `sessions (` + sessionColumns + `)
				SELECT ?::text, u.id, ?::text, ?::text, ?::timestamptz, ?::text, ?::text,
					?::text, ?::text, ?::text, ?::timestamptz, ?::timestamptz, ?::timestamptz, NULL FROM u
				RETURNING id
			)
			SELECT * FROM u`,
	}
}

// maxUserSessions bounds what UserSessions returns.
const maxUserSessions = 500

// utc normalises a time for storage: UTC, so that SQLite's text times
// compare in order, and microseconds, PostgreSQL's precision.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: utc(t), Valid: true}
}

type codeRow struct {
	MobileNumber string
	CodeHash     []byte
	SentAt       time.Time
	ExpiresAt    time.Time
	Attempts     int
	UsedAt       sql.NullTime
}

func (r codeRow) code() auth.Code {
	return auth.Code{
		Mobile:    r.MobileNumber,
		Hash:      r.CodeHash,
		SentAt:    r.SentAt.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(),
		Attempts:  r.Attempts,
		UsedAt:    r.UsedAt.Time.UTC(),
	}
}

// PutCode implements auth.Codes.
func (s *Store) PutCode(ctx context.Context, c auth.Code, cooldownSince time.Time) (auth.Code, bool, error) {
	res := s.db.WithContext(ctx).Exec(s.q.putCode, c.Mobile, c.Hash, utc(c.SentAt), utc(c.ExpiresAt), utc(cooldownSince))
	if res.Error != nil {
		return auth.Code{}, false, fmt.Errorf("store: put code: %w", res.Error)
	}
	if res.RowsAffected > 0 {
		return auth.Code{}, true, nil
	}
	prev, found, err := s.Code(ctx, c.Mobile)
	if err != nil {
		return auth.Code{}, false, err
	}
	if !found {
		// Deleted between the two statements: the way is clear now.
		return s.PutCode(ctx, c, cooldownSince)
	}
	return prev, false, nil
}

// Code implements auth.Codes.
func (s *Store) Code(ctx context.Context, mobile string) (auth.Code, bool, error) {
	var rows []codeRow
	if err := s.db.WithContext(ctx).Raw(s.q.getCode, mobile).Scan(&rows).Error; err != nil {
		return auth.Code{}, false, fmt.Errorf("store: code: %w", err)
	}
	if len(rows) == 0 {
		return auth.Code{}, false, nil
	}
	return rows[0].code(), true, nil
}

// UseCode implements auth.Codes.
func (s *Store) UseCode(ctx context.Context, mobile string, hash []byte, maxAttempts int, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec(s.q.useCode, utc(at), mobile, hash, maxAttempts)
	if res.Error != nil {
		return false, fmt.Errorf("store: use code: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FailCode implements auth.Codes.
func (s *Store) FailCode(ctx context.Context, mobile string, hash []byte, maxAttempts int) (bool, error) {
	res := s.db.WithContext(ctx).Exec(s.q.failCode, mobile, hash, maxAttempts)
	if res.Error != nil {
		return false, fmt.Errorf("store: fail code: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseCode implements auth.Codes: the code looks sent at the Unix
// epoch, long before any cooldown.
func (s *Store) ReleaseCode(ctx context.Context, mobile string, hash []byte) error {
	if err := s.db.WithContext(ctx).Exec(s.q.releaseCode, time.Unix(0, 0).UTC(), mobile, hash).Error; err != nil {
		return fmt.Errorf("store: release code: %w", err)
	}
	return nil
}

type userRow struct {
	ID           int64
	MobileNumber string
	UserGroup    int
	Username     string
	IsStaff      bool
	CreatedAt    time.Time
	LoginCount   int64
}

func (r userRow) user() auth.User {
	return auth.User{
		ID:           r.ID,
		Username:     r.Username,
		MobileNumber: r.MobileNumber,
		Group:        r.UserGroup,
		IsStaff:      r.IsStaff,
		CreatedAt:    r.CreatedAt.UTC(),
	}
}

// Username is the username of the user with a mobile number and group:
// "G{group}-{mobile}", as django-chelseru made it.
func Username(mobile string, group int) string {
	return "G" + strconv.Itoa(group) + "-" + mobile
}

// LoginUser implements auth.Users with one upsert: the first login
// creates the user, every later one counts.
func (s *Store) LoginUser(ctx context.Context, mobile string, group int) (auth.User, bool, error) {
	now := utc(time.Now())
	var rows []userRow
	err := s.db.WithContext(ctx).Raw(s.q.loginUser, mobile, group, Username(mobile, group), false, now, now).Scan(&rows).Error
	if err != nil {
		return auth.User{}, false, fmt.Errorf("store: login user: %w", err)
	}
	if len(rows) != 1 {
		return auth.User{}, false, fmt.Errorf("store: login user: upsert returned %d rows", len(rows))
	}
	return rows[0].user(), rows[0].LoginCount == 1, nil
}

// LoginWithCode implements auth.CodeLogins: on PostgreSQL in one
// statement; on SQLite, where a round trip costs nothing, one statement
// after another, giving the code back if the user or the session cannot
// be stored.
func (s *Store) LoginWithCode(ctx context.Context, use auth.CodeUse, group int, v session.Session) (auth.User, bool, bool, error) {
	if s.dialect.name != "postgres" {
		return s.loginWithCodeInTurn(ctx, use, group, v)
	}
	now := utc(time.Now())
	var rows []userRow
	err := s.db.WithContext(ctx).Raw(s.q.loginWithCode,
		utc(use.At), use.Mobile, use.Hash, use.MaxAttempts,
		group, Username(use.Mobile, group), now, now,
		v.ID, v.TokenID, v.PrevTokenID, utc(v.TokenIssuedAt), v.UserAgent, v.IP,
		v.Device, v.Browser, v.OS, utc(v.CreatedAt), utc(v.LastSeen), utc(v.ExpiresAt),
	).Scan(&rows).Error
	switch {
	case err != nil:
		return auth.User{}, false, false, fmt.Errorf("store: login with code: %w", err)
	case len(rows) == 0:
		return auth.User{}, false, false, nil
	}
	return rows[0].user(), rows[0].LoginCount == 1, true, nil
}

// loginWithCodeInTurn is LoginWithCode on SQLite. Each statement keeps its
// cached prepared statement; a transaction would hold the one connection
// across all three and prepare them anew every time.
func (s *Store) loginWithCodeInTurn(ctx context.Context, use auth.CodeUse, group int, v session.Session) (auth.User, bool, bool, error) {
	used, err := s.UseCode(ctx, use.Mobile, use.Hash, use.MaxAttempts, use.At)
	if err != nil || !used {
		return auth.User{}, false, false, err
	}
	u, created, err := s.LoginUser(ctx, use.Mobile, group)
	if err == nil {
		v.UserID = u.ID
		err = s.CreateSession(ctx, v)
	}
	if err != nil {
		back := s.db.WithContext(context.WithoutCancel(ctx)).Exec(s.q.unuseCode, use.Mobile, use.Hash, utc(use.At))
		return auth.User{}, false, false, errors.Join(err, back.Error)
	}
	return u, created, true, nil
}

// User implements auth.Users.
func (s *Store) User(ctx context.Context, id int64) (auth.User, bool, error) {
	var rows []userRow
	if err := s.db.WithContext(ctx).Raw(s.q.getUser, id).Scan(&rows).Error; err != nil {
		return auth.User{}, false, fmt.Errorf("store: user: %w", err)
	}
	if len(rows) == 0 {
		return auth.User{}, false, nil
	}
	return rows[0].user(), true, nil
}

// SetStaff grants or removes staff rights of every user with the
// canonical mobile number (in every group). It reports how many users
// changed.
func (s *Store) SetStaff(ctx context.Context, mobile string, staff bool) (int64, error) {
	res := s.db.WithContext(ctx).Exec(s.q.setStaff, staff, mobile)
	if res.Error != nil {
		return 0, fmt.Errorf("store: set staff: %w", res.Error)
	}
	return res.RowsAffected, nil
}

type sessionRow struct {
	ID            string
	UserID        int64
	TokenID       string
	PrevTokenID   string
	TokenIssuedAt time.Time
	UserAgent     string
	IPAddress     string
	Device        string
	Browser       string
	OS            string `gorm:"column:os"`
	CreatedAt     time.Time
	LastSeen      time.Time
	ExpiresAt     time.Time
	RevokedAt     sql.NullTime
}

func (r sessionRow) session() session.Session {
	return session.Session{
		ID:            r.ID,
		UserID:        r.UserID,
		TokenID:       r.TokenID,
		PrevTokenID:   r.PrevTokenID,
		TokenIssuedAt: r.TokenIssuedAt.UTC(),
		UserAgent:     r.UserAgent,
		IP:            r.IPAddress,
		Device:        r.Device,
		Browser:       r.Browser,
		OS:            r.OS,
		CreatedAt:     r.CreatedAt.UTC(),
		LastSeen:      r.LastSeen.UTC(),
		ExpiresAt:     r.ExpiresAt.UTC(),
		RevokedAt:     r.RevokedAt.Time.UTC(),
	}
}

// CreateSession implements session.Store.
func (s *Store) CreateSession(ctx context.Context, v session.Session) error {
	err := s.db.WithContext(ctx).Exec(s.q.createSession,
		v.ID, v.UserID, v.TokenID, v.PrevTokenID, utc(v.TokenIssuedAt), v.UserAgent, v.IP,
		v.Device, v.Browser, v.OS, utc(v.CreatedAt), utc(v.LastSeen), utc(v.ExpiresAt), nullTime(v.RevokedAt),
	).Error
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// Session implements session.Store.
func (s *Store) Session(ctx context.Context, id string) (session.Session, bool, error) {
	var rows []sessionRow
	if err := s.db.WithContext(ctx).Raw(s.q.getSession, id).Scan(&rows).Error; err != nil {
		return session.Session{}, false, fmt.Errorf("store: session: %w", err)
	}
	if len(rows) == 0 {
		return session.Session{}, false, nil
	}
	return rows[0].session(), true, nil
}

// UserSessions implements session.Store. It returns at most 500.
func (s *Store) UserSessions(ctx context.Context, userID int64) ([]session.Session, error) {
	var rows []sessionRow
	if err := s.db.WithContext(ctx).Raw(s.q.userSessions, userID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: user sessions: %w", err)
	}
	out := make([]session.Session, len(rows))
	for i, r := range rows {
		out[i] = r.session()
	}
	return out, nil
}

// RotateSession implements session.Store.
func (s *Store) RotateSession(ctx context.Context, id, from, to string, issuedAt time.Time) (bool, error) {
	at := utc(issuedAt)
	res := s.db.WithContext(ctx).Exec(s.q.rotateSession, to, at, at, id, from)
	if res.Error != nil {
		return false, fmt.Errorf("store: rotate session: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// TouchSession implements session.Store; last_seen only moves forward.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	t := utc(at)
	if err := s.db.WithContext(ctx).Exec(s.q.touchSession, t, id, t).Error; err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// RevokeSession implements session.Store.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) error {
	if err := s.db.WithContext(ctx).Exec(s.q.revokeSession, utc(at), id).Error; err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	return nil
}
