package auth

import (
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token types, the token_type claim (simplejwt's name).
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// Claims are the claims of every token, simplejwt's names where it has them.
// Times are Unix seconds.
type Claims struct {
	Subject   string `json:"sub"`     // the user id in decimal
	UserID    int64  `json:"user_id"` // the same, as a number
	SessionID string `json:"sid"`
	TokenType string `json:"token_type"` // TokenAccess or TokenRefresh
	ID        string `json:"jti"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	Issuer    string `json:"iss"`
	Audience  string `json:"aud"` // one string, never an array
}

// The jwt.Claims methods. Validation does not go through them: the
// Service checks the claims itself (see parse), so that the rules are in
// one place and the hot path does not allocate.

// GetExpirationTime implements jwt.Claims.
func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return unixDate(c.ExpiresAt), nil }

// GetIssuedAt implements jwt.Claims.
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error) { return unixDate(c.IssuedAt), nil }

// GetNotBefore implements jwt.Claims; tokens carry no nbf.
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }

// GetIssuer implements jwt.Claims.
func (c *Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c *Claims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings{c.Audience}, nil }

func unixDate(sec int64) *jwt.NumericDate {
	if sec == 0 {
		return nil
	}
	return jwt.NewNumericDate(time.Unix(sec, 0))
}

// clockSkew is how far in the future a token's iat may be, for servers
// whose clocks disagree a little.
const clockSkew = 30 * time.Second

// minter signs and checks tokens with one HS256 key.
type minter struct {
	key      []byte
	issuer   string
	audience string
	parser   *jwt.Parser
}

func newMinter(key []byte, issuer, audience string) *minter {
	return &minter{
		key:      key,
		issuer:   issuer,
		audience: audience,
		// One algorithm per key: "none", RS256 with the secret as a public
		// key, and every other switch are refused before the signature is
		// even looked at.
		// Strict decoding refuses the non-canonical base64 of a token whose
		// last character was swapped for one that decodes the same.
		parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithoutClaimsValidation(), jwt.WithStrictDecoding()),
	}
}

// sign returns a token of type typ for the user and session, whose jti is
// id, issued at iat and living for life. The same arguments give the same
// string, which is how a retried refresh gets the very same pair.
func (m *minter) sign(typ string, userID int64, sid, id string, iat time.Time, life time.Duration) (string, time.Time, error) {
	exp := iat.Add(life)
	c := &Claims{
		Subject:   strconv.FormatInt(userID, 10),
		UserID:    userID,
		SessionID: sid,
		TokenType: typ,
		ID:        id,
		IssuedAt:  iat.Unix(),
		ExpiresAt: exp.Unix(),
		Issuer:    m.issuer,
		Audience:  m.audience,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(m.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, time.Unix(c.ExpiresAt, 0), nil
}

func (m *minter) keyFunc(*jwt.Token) (any, error) { return m.key, nil }

// parse checks a token's signature and every claim rule — type, issuer,
// audience, expiry, issue time, subject — and returns its claims. Every
// failure is ErrInvalidToken.
func (m *minter) parse(token, typ string, now time.Time, c *Claims) error {
	if _, err := m.parser.ParseWithClaims(token, c, m.keyFunc); err != nil {
		return ErrInvalidToken
	}
	unix := now.Unix()
	var buf [20]byte
	switch {
	case c.TokenType != typ,
		c.Issuer != m.issuer,
		c.Audience != m.audience,
		c.ExpiresAt == 0 || unix >= c.ExpiresAt,
		c.IssuedAt == 0 || c.IssuedAt > unix+int64(clockSkew/time.Second),
		c.UserID <= 0 || !validID(c.SessionID) || !validID(c.ID),
		c.Subject != string(strconv.AppendInt(buf[:0], c.UserID, 10)):
		return ErrInvalidToken
	}
	return nil
}

// validID reports whether s looks like an id this package makes: base64url
// text, with the dot of an access token's jti, at most 64 bytes. Nothing
// else from a token reaches the store, however it was signed.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// accessID is the jti of a generation's access token; the refresh
// token's jti is the generation id itself.
func accessID(gen string) string { return gen + ".a" }
