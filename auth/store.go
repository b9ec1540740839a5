package auth

import (
	"context"
	"time"

	"github.com/chelseru/chelseru-go/session"
)

// User is an account, identified by its mobile number and group: the
// same number in another group is another user.
type User struct {
	ID int64 `json:"id"`
	// Username is "G{group}-{mobile}", as django-chelseru named users.
	Username     string `json:"username"`
	MobileNumber string `json:"mobile_number"`
	Group        int    `json:"group"`
	// IsStaff grants the default permission for message/send/.
	IsStaff   bool      `json:"-"`
	CreatedAt time.Time `json:"-"`
}

// Users finds and creates users. A host that owns its users implements it
// over its own tables. Methods report a missing user with found == false
// and a nil error; errors are for faults. Implementations must be safe for
// concurrent use.
type Users interface {
	// LoginUser returns the user with the canonical mobile number and group,
	// creating it when there is none (created is then true), and records
	// the login. Two concurrent first logins must yield one user.
	LoginUser(ctx context.Context, mobile string, group int) (u User, created bool, err error)
	// User returns the user with id.
	User(ctx context.Context, id int64) (u User, found bool, err error)
}

// Code is the newest one-time code of a mobile number. Only its keyed hash
// is kept.
type Code struct {
	Mobile    string // canonical, 09XXXXXXXXX
	Hash      []byte // HMAC-SHA256 of the code under the code key
	SentAt    time.Time
	ExpiresAt time.Time
	Attempts  int       // wrong tries so far
	UsedAt    time.Time // zero until used
}

// Codes keeps one code per mobile number. The conditional methods are
// what make a code single-use and its try counter exact under concurrent
// requests, so each must be one atomic statement (or transaction).
// Implementations must be safe for concurrent use.
type Codes interface {
	// PutCode stores c as the newest code of c.Mobile, replacing any
	// earlier one, unless that one is unused and was sent after
	// cooldownSince: then nothing changes, stored is false and prev is the
	// code in the way.
	PutCode(ctx context.Context, c Code, cooldownSince time.Time) (prev Code, stored bool, err error)
	// Code returns the newest code of mobile.
	Code(ctx context.Context, mobile string) (c Code, found bool, err error)
	// UseCode marks the code of mobile whose hash is hash used at at, if it
	// is unused and has fewer than maxAttempts wrong tries. It reports
	// whether it did; of any number of concurrent calls at most one does.
	UseCode(ctx context.Context, mobile string, hash []byte, maxAttempts int, at time.Time) (bool, error)
	// FailCode counts one wrong try against the code of mobile whose hash
	// is hash, if it is unused and has fewer than maxAttempts wrong tries.
	FailCode(ctx context.Context, mobile string, hash []byte, maxAttempts int) (bool, error)
	// ReleaseCode ends the resend cooldown of the code of mobile whose hash
	// is hash, without invalidating it: its send failed, so it must not
	// hold the number back, yet a send that timed out may have reached the
	// phone after all, and then the code should work until a new one
	// replaces it.
	ReleaseCode(ctx context.Context, mobile string, hash []byte) error
}

// CodeUse names the code a login uses: the code of Mobile whose hash is
// Hash, if it is unused and has fewer than MaxAttempts wrong tries; it is
// marked used at At.
type CodeUse struct {
	Mobile      string
	Hash        []byte
	MaxAttempts int
	At          time.Time
}

// CodeLogins is an optional capability of a store that keeps codes, users
// and sessions together (*store.Store is one): the last steps of a login
// in one atomic operation and, on a networked database, one round trip.
// Verify uses it when Config.Codes implements it and is also Config.Users
// and the sessions' store; otherwise it calls UseCode, LoginUser and
// CreateSession in turn.
type CodeLogins interface {
	// LoginWithCode marks the code used as Codes.UseCode does and, only
	// if it did (used is true), finds or creates the user of use.Mobile in
	// group as Users.LoginUser does and stores sess with its UserID set to
	// that user's. All of it happens, or none of it.
	LoginWithCode(ctx context.Context, use CodeUse, group int, sess session.Session) (u User, created, used bool, err error)
}
