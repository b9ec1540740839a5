package chat

import (
	"context"
	"time"
)

// Store keeps rooms, members and messages; *store.Store is one, on SQLite
// and PostgreSQL. Methods report a missing row with found == false (or
// ok == false) and a nil error; errors are for faults. Implementations
// must be safe for concurrent use, and AddMessage must give the messages
// of one room increasing ids and gapless sequence numbers in the order
// they commit.
type Store interface {
	RoomStore
	MemberStore
	MessageStore
}

// RoomStore keeps rooms.
type RoomStore interface {
	// DirectRoom returns the direct room of users a and b (in either
	// order), creating it with both as members when there is none;
	// created reports which. Concurrent calls for one pair yield one room.
	DirectRoom(ctx context.Context, a, b int64, at time.Time) (r Room, created bool, err error)
	// CreateGroupRoom stores a new group room with its members and
	// returns it with its id.
	CreateGroupRoom(ctx context.Context, r Room, members []Membership) (Room, error)
	// Room returns the room with id.
	Room(ctx context.Context, id int64) (r Room, found bool, err error)
	// UserRooms returns the rooms userID is a member of (banned ones
	// included), with the member's state and unread count (messages by
	// others after LastRead, deleted ones not counted), newest activity
	// (last message, else creation) first.
	UserRooms(ctx context.Context, userID int64) ([]RoomListing, error)
	// UpdateRoom stores r's Name, Descriptions, Avatar and Status.
	UpdateRoom(ctx context.Context, r Room) error
	// DeleteRoom deletes the room with its members and messages.
	DeleteRoom(ctx context.Context, id int64) error
}

// MemberStore keeps memberships.
type MemberStore interface {
	// Membership returns userID's membership of roomID.
	Membership(ctx context.Context, roomID, userID int64) (m Membership, found bool, err error)
	// Members returns the memberships of a room, banned ones included, in
	// the order they joined.
	Members(ctx context.Context, roomID int64) ([]Membership, error)
	// PutMember adds a member, or updates the role of an existing one.
	PutMember(ctx context.Context, m Membership) error
	// RemoveMember removes a membership; ok reports whether there was one.
	RemoveMember(ctx context.Context, roomID, userID int64) (ok bool, err error)
	// SetBanned sets a member's ban flag; ok reports whether the member
	// exists.
	SetBanned(ctx context.Context, roomID, userID int64, banned bool) (ok bool, err error)
	// SetPinned sets a member's pin flag.
	SetPinned(ctx context.Context, roomID, userID int64, pinned bool) error
	// MarkRead moves a member's LastRead forward to messageID (never
	// back).
	MarkRead(ctx context.Context, roomID, userID, messageID int64) error
}

// MessageStore keeps messages.
type MessageStore interface {
	// AddMessage stores m, giving it the next id and the room's next
	// sequence number and setting the room's LastMessageAt, all at once.
	// When m.ClientID is set and its sender already stored a message with
	// it in the room, nothing is stored and that message is returned with
	// created false. A room that does not exist is an error wrapping
	// ErrNotFound.
	AddMessage(ctx context.Context, m Message) (stored Message, created bool, err error)
	// Message returns the message with id.
	Message(ctx context.Context, id int64) (m Message, found bool, err error)
	// Messages returns a page of a room's messages that are not deleted,
	// in ascending id order.
	Messages(ctx context.Context, roomID int64, p Page) ([]Message, error)
	// MessagesAfterSeq returns a room's messages with sequence numbers
	// after seq, deleted ones included, in order, at most limit.
	MessagesAfterSeq(ctx context.Context, roomID, seq int64, limit int) ([]Message, error)
	// EditMessage sets a message's text and EditedAt, if it is not
	// deleted.
	EditMessage(ctx context.Context, id int64, text string, at time.Time) (Message, bool, error)
	// DeleteMessage blanks a message's text and sets its DeletedAt.
	DeleteMessage(ctx context.Context, id int64, at time.Time) (Message, bool, error)
}

// Presence records who is connected to which room, shared by every server
// instance; *store.Store is one. A connection record lives until its
// expiry; instances renew theirs.
type Presence interface {
	// SetPresence records that instance has n > 0 connections of userID in
	// roomID until expires, or none when n is 0.
	SetPresence(ctx context.Context, roomID, userID int64, instance string, n int, expires time.Time) error
	// RenewPresence moves the expiry of every record of instance.
	RenewPresence(ctx context.Context, instance string, expires time.Time) error
	// PresentUsers returns the users connected to roomID on any instance
	// at now.
	PresentUsers(ctx context.Context, roomID int64, now time.Time) ([]int64, error)
}
