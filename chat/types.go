package chat

import (
	"context"
	"time"

	"github.com/chelseru/chelseru-go/auth"
)

// Kind of a room.
type Kind string

// Room kinds.
const (
	Direct Kind = "direct" // exactly two users, one room per pair
	Group  Kind = "group"  // a name, a description, members with roles
)

// Status of a room, as django-chelseru numbered them.
type Status int

// Room statuses.
const (
	Open   Status = 1
	Closed Status = 2 // read-only for everyone
	OnHold Status = 3 // read-only but for owners and admins
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool { return s == Open || s == Closed || s == OnHold }

// Role of a member.
type Role string

// Member roles, from most rights to least.
const (
	Owner    Role = "owner"     // everything, deleting the room included
	Admin    Role = "admin"     // manage members below admin, rename, close and reopen
	Member   Role = "member"    // read and post
	ReadOnly Role = "read_only" // read only
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == Owner || r == Admin || r == Member || r == ReadOnly }

// rank orders roles: a higher rank has more rights.
func (r Role) rank() int {
	switch r {
	case Owner:
		return 4
	case Admin:
		return 3
	case Member:
		return 2
	case ReadOnly:
		return 1
	}
	return 0
}

// Room is a chat room.
type Room struct {
	ID   int64
	Kind Kind
	// User1 and User2 are the two users of a direct room, User1 < User2;
	// zero for a group room.
	User1, User2 int64
	Name         string
	Descriptions string
	Avatar       string // a URL
	Status       Status
	// LastSeq is the sequence number of the room's newest message: every
	// message of a room has the next one, with no gaps.
	LastSeq       int64
	CreatedAt     time.Time
	LastMessageAt time.Time // zero before the first message
}

// Membership is a user's place in a room.
type Membership struct {
	RoomID   int64
	UserID   int64
	Role     Role
	Banned   bool
	Pinned   bool
	LastRead int64 // the id of the newest message the member has read
	JoinedAt time.Time
}

// Message is a stored message.
type Message struct {
	ID       int64 // increasing, unique across rooms
	RoomID   int64
	Seq      int64 // the room's sequence number
	SenderID int64
	Text     string
	// ClientID is the sender's own id for the message: the same sender
	// sending the same ClientID again gets the stored message back.
	ClientID  string
	CreatedAt time.Time
	EditedAt  time.Time // zero unless edited
	DeletedAt time.Time // zero unless deleted; a deleted message has no text
}

// RoomListing is a room as one member sees it in their list.
type RoomListing struct {
	Room
	Membership
	Unread int
}

// Page selects messages of a room: those with ids after After or before
// Before (zero for no bound), at most Limit of them; without After, the
// newest ones.
type Page struct {
	After, Before int64
	Limit         int
}

// Users finds users by id for the shapes the API shows; *store.Store is
// one.
type Users interface {
	// UsersByID returns the users with the ids that exist.
	UsersByID(ctx context.Context, ids []int64) (map[int64]auth.User, error)
}
