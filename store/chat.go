package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/chat"
)

var (
	_ chat.Store    = (*Store)(nil)
	_ chat.Presence = (*Store)(nil)
	_ chat.Users    = (*Store)(nil)
)

const (
	roomColumns    = `id, kind, user_1, user_2, name, descriptions, avatar, status, last_seq, created_at, last_message_at`
	memberColumns  = `room_id, user_id, role, banned, pinned, last_read, joined_at`
	messageColumns = `id, room_id, seq, sender_id, text, client_id, created_at, edited_at, deleted_at`
)

// defaultPageLimit is the number of messages a page holds unless asked.
const defaultPageLimit = 50

// presenceSweepAge is how long after its expiry a presence record of any
// instance is deleted (by RenewPresence): far longer than any renewal
// period, so that only the records of instances that died are swept.
const presenceSweepAge = 24 * time.Hour

// chatQueries holds the chat statements with the table prefix filled in.
type chatQueries struct {
	insertDirect, directMembers, findDirect                  string
	createRoom, addMember, getRoom, userRooms                string
	updateRoom, deleteRoom, deleteRoomPresence               string
	getMember, members, putMember, removeMember              string
	setBanned, setPinned, markRead                           string
	addMessage, bumpRoom, insertMessage, clientMessage       string
	getMessage, messagesAsc, messagesDesc, messagesAfterSeq  string
	editMessage, deleteMessage                               string
	setPresence, unsetPresence, renewPresence, sweepPresence string
	presentUsers, usersByID                                  string
}

func newChatQueries(p string, postgres bool) *chatQueries {
	rooms, members, messages, presence := p+"chat_rooms", p+"chat_members", p+"chat_messages", p+"chat_presence"
	q := &chatQueries{
		// Both databases arbitrate on the partial unique index; the
		// conflict target names its predicate so that it matches.
		insertDirect: `INSERT INTO ` + rooms + ` (kind, user_1, user_2, status, created_at)
			VALUES ('direct', ?, ?, ` + strconv.Itoa(int(chat.Open)) + `, ?)
			ON CONFLICT (user_1, user_2) WHERE kind = 'direct' DO NOTHING
			RETURNING ` + roomColumns,
		// SQLite, in the transaction of the insert above (PostgreSQL's
		// insertDirect does both). ON CONFLICT keeps a room of a user
		// with themselves to one membership.
		directMembers: `INSERT INTO ` + members + ` (room_id, user_id, role, joined_at)
			VALUES (?, ?, 'member', ?), (?, ?, 'member', ?) ON CONFLICT DO NOTHING`,
		findDirect: `SELECT ` + roomColumns + ` FROM ` + rooms + ` WHERE kind = 'direct' AND user_1 = ? AND user_2 = ?`,

		createRoom: `INSERT INTO ` + rooms + ` (kind, user_1, user_2, name, descriptions, avatar, status, last_seq, created_at)
			VALUES ('group', 0, 0, ?, ?, ?, ?, 0, ?) RETURNING ` + roomColumns,
		addMember: `INSERT INTO ` + members + ` (` + memberColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		getRoom:   `SELECT ` + roomColumns + ` FROM ` + rooms + ` WHERE id = ?`,
		userRooms: `SELECT r.id, r.kind, r.user_1, r.user_2, r.name, r.descriptions, r.avatar, r.status, r.last_seq,
				r.created_at, r.last_message_at,
				m.room_id, m.user_id, m.role, m.banned, m.pinned, m.last_read, m.joined_at,
				(SELECT COUNT(*) FROM ` + messages + ` g
					WHERE g.room_id = m.room_id AND g.id > m.last_read AND g.sender_id <> m.user_id AND g.deleted_at IS NULL) AS unread
			FROM ` + members + ` m JOIN ` + rooms + ` r ON r.id = m.room_id
			WHERE m.user_id = ?
			ORDER BY COALESCE(r.last_message_at, r.created_at) DESC, r.id DESC`,
		updateRoom:         `UPDATE ` + rooms + ` SET name = ?, descriptions = ?, avatar = ?, status = ? WHERE id = ?`,
		deleteRoom:         `DELETE FROM ` + rooms + ` WHERE id = ?`,
		deleteRoomPresence: `DELETE FROM ` + presence + ` WHERE room_id = ?`,

		getMember: `SELECT ` + memberColumns + ` FROM ` + members + ` WHERE room_id = ? AND user_id = ?`,
		members:   `SELECT ` + memberColumns + ` FROM ` + members + ` WHERE room_id = ? ORDER BY joined_at, user_id`,
		putMember: `INSERT INTO ` + members + ` (` + memberColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role`,
		removeMember: `DELETE FROM ` + members + ` WHERE room_id = ? AND user_id = ?`,
		setBanned:    `UPDATE ` + members + ` SET banned = ? WHERE room_id = ? AND user_id = ?`,
		setPinned:    `UPDATE ` + members + ` SET pinned = ? WHERE room_id = ? AND user_id = ?`,
		markRead:     `UPDATE ` + members + ` SET last_read = ? WHERE room_id = ? AND user_id = ? AND last_read < ?`,

		// PostgreSQL: one statement. The UPDATE locks the room's row until
		// the statement commits, so the messages of a room take their seq
		// and, after it, their id (the INSERT draws it from the sequence
		// for each row the UPDATE returns) one at a time, in commit order.
		// A duplicate client id fails the whole statement: no seq is
		// consumed. GREATEST skips NULL.
		addMessage: `WITH r AS (
				UPDATE ` + rooms + ` SET last_seq = last_seq + 1, last_message_at = GREATEST(last_message_at, ?::timestamptz)
				WHERE id = ? RETURNING id, last_seq
			)
			INSERT INTO ` + messages + ` (room_id, seq, sender_id, text, client_id, created_at)
			SELECT r.id, r.last_seq, ?::bigint, ?::text, ?::text, ?::timestamptz FROM r
			RETURNING ` + messageColumns,
		// SQLite: the same two steps in a transaction. SQLite's multi-
		// argument MAX is NULL when an argument is.
		bumpRoom: `UPDATE ` + rooms + ` SET last_seq = last_seq + 1, last_message_at = MAX(COALESCE(last_message_at, ?), ?)
			WHERE id = ? RETURNING last_seq`,
		insertMessage: `INSERT INTO ` + messages + ` (room_id, seq, sender_id, text, client_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING ` + messageColumns,
		// client_id <> '' lets the planner use the partial index.
		clientMessage: `SELECT ` + messageColumns + ` FROM ` + messages + `
			WHERE room_id = ? AND sender_id = ? AND client_id = ? AND client_id <> ''`,
		getMessage: `SELECT ` + messageColumns + ` FROM ` + messages + ` WHERE id = ?`,
		messagesAsc: `SELECT ` + messageColumns + ` FROM ` + messages + `
			WHERE room_id = ? AND id > ? AND id < ? AND deleted_at IS NULL ORDER BY id LIMIT ?`,
		messagesDesc: `SELECT ` + messageColumns + ` FROM ` + messages + `
			WHERE room_id = ? AND id < ? AND deleted_at IS NULL ORDER BY id DESC LIMIT ?`,
		messagesAfterSeq: `SELECT ` + messageColumns + ` FROM ` + messages + `
			WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		editMessage: `UPDATE ` + messages + ` SET text = ?, edited_at = ? WHERE id = ? AND deleted_at IS NULL
			RETURNING ` + messageColumns,
		deleteMessage: `UPDATE ` + messages + ` SET text = '', deleted_at = ? WHERE id = ? AND deleted_at IS NULL
			RETURNING ` + messageColumns,

		setPresence: `INSERT INTO ` + presence + ` (room_id, user_id, instance, conns, expires_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (room_id, user_id, instance) DO UPDATE SET conns = excluded.conns, expires_at = excluded.expires_at`,
		unsetPresence: `DELETE FROM ` + presence + ` WHERE room_id = ? AND user_id = ? AND instance = ?`,
		renewPresence: `UPDATE ` + presence + ` SET expires_at = ? WHERE instance = ?`,
		sweepPresence: `DELETE FROM ` + presence + ` WHERE expires_at < ?`,
		presentUsers:  `SELECT DISTINCT user_id FROM ` + presence + ` WHERE room_id = ? AND expires_at > ? ORDER BY user_id`,

		// The ids travel as one parameter, so that there is one prepared
		// statement whatever their number: a PostgreSQL array literal, a
		// JSON array on SQLite.
		usersByID: `SELECT ` + userColumns + ` FROM ` + p + `users WHERE id IN (SELECT value FROM json_each(?))`,
	}
	if postgres {
		// The room and, when it is new, its members in one statement. A
		// user's room with themselves: UNION makes it one membership.
		q.insertDirect = `WITH r AS (
				INSERT INTO ` + rooms + ` (kind, user_1, user_2, status, created_at)
				VALUES ('direct', ?, ?, ` + strconv.Itoa(int(chat.Open)) + `, ?)
				ON CONFLICT (user_1, user_2) WHERE kind = 'direct' DO NOTHING
				RETURNING ` + roomColumns + `
			), m AS (
				INSERT INTO ` + members + ` (room_id, user_id, role, joined_at)
				SELECT r.id, u.user_id, 'member', r.created_at
				FROM r, LATERAL (SELECT r.user_1 UNION SELECT r.user_2) AS u (user_id)
			)
			SELECT ` + roomColumns + ` FROM r`
		// The room and its members in one statement, the members as a
		// JSON array of objects.
		q.createRoom = `WITH r AS (
				INSERT INTO ` + rooms + ` (kind, user_1, user_2, name, descriptions, avatar, status, last_seq, created_at)
				VALUES ('group', 0, 0, ?, ?, ?, ?, 0, ?) RETURNING ` + roomColumns + `
			), m AS (
				INSERT INTO ` + members + ` (` + memberColumns + `)
				SELECT r.id, x.user_id, x.role, x.banned, x.pinned, x.last_read, x.joined_at
				FROM r, json_to_recordset(?::json) AS x (user_id bigint, role text, banned boolean, pinned boolean,
					last_read bigint, joined_at timestamptz)
			)
			SELECT ` + roomColumns + ` FROM r`
		q.usersByID = `SELECT ` + userColumns + ` FROM ` + p + `users WHERE id = ANY(CAST(?::text AS bigint[]))`
	}
	return q
}

func (s *Store) cq() *chatQueries { return s.chat }

func (s *Store) postgres() bool { return s.dialect.name == "postgres" }

// orNow is t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// sqliteTx runs fn in a transaction on SQLite, through database/sql and
// not gorm, whose cache of prepared statements can deadlock a transaction
// that holds SQLite's one connection: a statement the transaction
// prepares waits for the cache's lock; a caller holds that lock while it
// waits for another to finish preparing a statement; and that one waits
// for the connection. The statements of fn are prepared in the
// transaction (TestSQLiteTransactionsWithColdStatements).
func (s *Store) sqliteTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback() // after a failed Commit, a no-op
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// prepared returns q prepared on SQLite's database, once for the store's
// life: the chat's hot statements skip a prepare on every call. It must be
// called outside a transaction (the one connection would be taken); a
// transaction uses the statement through tx.StmtContext, which finds it
// prepared on that connection. No lock is held while preparing: two
// callers racing on a cold statement each prepare, and one is kept.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	st, err := sqlDB.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		_ = st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// queryOne runs q, which returns at most one row, and reads that row
// with scan: on SQLite through the statement prepared once (these are the
// chat's hot reads), on PostgreSQL through gorm's connection.
func queryOne[T any](ctx context.Context, s *Store, q string, scan func(scanner) (T, error), args ...any) (v T, found bool, err error) {
	var rows *sql.Rows
	if s.postgres() {
		rows, err = s.db.WithContext(ctx).Raw(q, args...).Rows()
	} else {
		var st *sql.Stmt
		if st, err = s.prepared(ctx, q); err == nil {
			rows, err = st.QueryContext(ctx, args...)
		}
	}
	if err != nil {
		return v, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return v, false, rows.Err()
	}
	v, err = scan(rows)
	return v, err == nil, err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanRoom reads the roomColumns of a row.
func scanRoom(sc scanner) (r roomRow, err error) {
	err = sc.Scan(&r.ID, &r.Kind, &r.User1, &r.User2, &r.Name, &r.Descriptions, &r.Avatar, &r.Status, &r.LastSeq,
		&r.CreatedAt, &r.LastMessageAt)
	return r, err
}

// scanMember reads the memberColumns of a row.
func scanMember(sc scanner) (m memberRow, err error) {
	err = sc.Scan(&m.RoomID, &m.UserID, &m.Role, &m.Banned, &m.Pinned, &m.LastRead, &m.JoinedAt)
	return m, err
}

// scanMessage reads the messageColumns of a row.
func scanMessage(sc scanner) (m messageRow, err error) {
	err = sc.Scan(&m.ID, &m.RoomID, &m.Seq, &m.SenderID, &m.Text, &m.ClientID, &m.CreatedAt, &m.EditedAt, &m.DeletedAt)
	return m, err
}

type roomRow struct {
	ID            int64
	Kind          string
	User1         int64 `gorm:"column:user_1"`
	User2         int64 `gorm:"column:user_2"`
	Name          string
	Descriptions  string
	Avatar        string
	Status        int
	LastSeq       int64
	CreatedAt     time.Time
	LastMessageAt sql.NullTime
}

func (r roomRow) room() chat.Room {
	return chat.Room{
		ID:            r.ID,
		Kind:          chat.Kind(r.Kind),
		User1:         r.User1,
		User2:         r.User2,
		Name:          r.Name,
		Descriptions:  r.Descriptions,
		Avatar:        r.Avatar,
		Status:        chat.Status(r.Status),
		LastSeq:       r.LastSeq,
		CreatedAt:     r.CreatedAt.UTC(),
		LastMessageAt: nullUTC(r.LastMessageAt),
	}
}

// nullUTC is a nullable time in UTC, zero when NULL.
func nullUTC(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

type memberRow struct {
	RoomID   int64
	UserID   int64
	Role     string
	Banned   bool
	Pinned   bool
	LastRead int64
	JoinedAt time.Time
}

func (r memberRow) membership() chat.Membership {
	return chat.Membership{
		RoomID:   r.RoomID,
		UserID:   r.UserID,
		Role:     chat.Role(r.Role),
		Banned:   r.Banned,
		Pinned:   r.Pinned,
		LastRead: r.LastRead,
		JoinedAt: r.JoinedAt.UTC(),
	}
}

type listingRow struct {
	Room   roomRow   `gorm:"embedded"`
	Member memberRow `gorm:"embedded"`
	Unread int
}

type messageRow struct {
	ID        int64
	RoomID    int64
	Seq       int64
	SenderID  int64
	Text      string
	ClientID  string
	CreatedAt time.Time
	EditedAt  sql.NullTime
	DeletedAt sql.NullTime
}

func (r messageRow) message() chat.Message {
	return chat.Message{
		ID:        r.ID,
		RoomID:    r.RoomID,
		Seq:       r.Seq,
		SenderID:  r.SenderID,
		Text:      r.Text,
		ClientID:  r.ClientID,
		CreatedAt: r.CreatedAt.UTC(),
		EditedAt:  nullUTC(r.EditedAt),
		DeletedAt: nullUTC(r.DeletedAt),
	}
}

func toMessages(rows []messageRow) []chat.Message {
	out := make([]chat.Message, len(rows))
	for i, r := range rows {
		out[i] = r.message()
	}
	return out
}

// maxDirectTries bounds DirectRoom's attempts when the room it found
// taken is deleted before it can read it.
const maxDirectTries = 3

// DirectRoom implements chat.RoomStore. The pair is stored in order (User1
// the smaller id); the room and both memberships are created together, in
// one statement on PostgreSQL and one transaction on SQLite. An insert
// that finds the pair taken (the partial unique index arbitrates between
// concurrent calls) does nothing and reads the room that is there.
// A user's room with themselves has one membership.
func (s *Store) DirectRoom(ctx context.Context, a, b int64, at time.Time) (chat.Room, bool, error) {
	u1, u2 := min(a, b), max(a, b)
	t := utc(orNow(at))
	for range maxDirectTries {
		var rows []roomRow
		var err error
		if s.postgres() {
			err = s.db.WithContext(ctx).Raw(s.cq().insertDirect, u1, u2, t).Scan(&rows).Error
		} else {
			err = s.sqliteTx(ctx, func(tx *sql.Tx) error {
				r, err := scanRoom(tx.QueryRowContext(ctx, s.cq().insertDirect, u1, u2, t))
				if errors.Is(err, sql.ErrNoRows) {
					return nil // taken
				}
				if err != nil {
					return err
				}
				rows = append(rows, r)
				_, err = tx.ExecContext(ctx, s.cq().directMembers, r.ID, u1, t, r.ID, u2, t)
				return err
			})
		}
		if err != nil {
			return chat.Room{}, false, fmt.Errorf("store: direct room: %w", err)
		}
		if len(rows) == 1 {
			return rows[0].room(), true, nil
		}
		if err := s.db.WithContext(ctx).Raw(s.cq().findDirect, u1, u2).Scan(&rows).Error; err != nil {
			return chat.Room{}, false, fmt.Errorf("store: direct room: %w", err)
		}
		if len(rows) == 1 {
			return rows[0].room(), false, nil
		}
		// Deleted between the two statements: try again.
	}
	return chat.Room{}, false, fmt.Errorf("store: direct room of %d and %d: deleted while being read %d times", u1, u2, maxDirectTries)
}

// CreateGroupRoom implements chat.RoomStore: the room and its members at
// once, in one statement on PostgreSQL and one transaction on SQLite. The
// room's Kind is Group; a zero Status is Open and a zero CreatedAt now. A
// member's RoomID is ignored, a zero JoinedAt is the room's CreatedAt, and
// an empty Role is Member. The same user twice is an error.
func (s *Store) CreateGroupRoom(ctx context.Context, r chat.Room, members []chat.Membership) (chat.Room, error) {
	status := r.Status
	if status == 0 {
		status = chat.Open
	}
	created := utc(orNow(r.CreatedAt))
	rows := make([]memberRow, len(members))
	for i, m := range members {
		rows[i] = memberRow{UserID: m.UserID, Role: string(m.Role), Banned: m.Banned, Pinned: m.Pinned, LastRead: m.LastRead, JoinedAt: utc(m.JoinedAt)}
		if m.Role == "" {
			rows[i].Role = string(chat.Member)
		}
		if m.JoinedAt.IsZero() {
			rows[i].JoinedAt = created
		}
	}
	var err error
	var room chat.Room
	if s.postgres() {
		room, err = s.createGroupRoomAtOnce(ctx, r, status, created, rows)
	} else {
		room, err = s.createGroupRoomInTx(ctx, r, status, created, rows)
	}
	if err != nil {
		return chat.Room{}, fmt.Errorf("store: create group room: %w", err)
	}
	return room, nil
}

// groupMember is a member of a new group room in createRoom's JSON.
type groupMember struct {
	UserID   int64     `json:"user_id"`
	Role     string    `json:"role"`
	Banned   bool      `json:"banned"`
	Pinned   bool      `json:"pinned"`
	LastRead int64     `json:"last_read"`
	JoinedAt time.Time `json:"joined_at"`
}

func (s *Store) createGroupRoomAtOnce(ctx context.Context, r chat.Room, status chat.Status, created time.Time, members []memberRow) (chat.Room, error) {
	list := make([]groupMember, len(members))
	for i, m := range members {
		list[i] = groupMember{UserID: m.UserID, Role: m.Role, Banned: m.Banned, Pinned: m.Pinned, LastRead: m.LastRead, JoinedAt: m.JoinedAt}
	}
	js, err := json.Marshal(list)
	if err != nil {
		return chat.Room{}, err
	}
	var rows []roomRow
	err = s.db.WithContext(ctx).Raw(s.cq().createRoom, r.Name, r.Descriptions, r.Avatar, int(status), created, string(js)).Scan(&rows).Error
	if err != nil {
		return chat.Room{}, err
	}
	if len(rows) != 1 {
		return chat.Room{}, fmt.Errorf("insert returned %d rows", len(rows))
	}
	return rows[0].room(), nil
}

// createGroupRoomInTx is CreateGroupRoom on SQLite, where the times are
// bound as the driver binds them, never through JSON.
func (s *Store) createGroupRoomInTx(ctx context.Context, r chat.Room, status chat.Status, created time.Time, members []memberRow) (chat.Room, error) {
	var room roomRow
	err := s.sqliteTx(ctx, func(tx *sql.Tx) error {
		var err error
		room, err = scanRoom(tx.QueryRowContext(ctx, s.cq().createRoom, r.Name, r.Descriptions, r.Avatar, int(status), created))
		if err != nil {
			return err
		}
		add, err := tx.PrepareContext(ctx, s.cq().addMember)
		if err != nil {
			return err
		}
		defer add.Close()
		for _, m := range members {
			if _, err := add.ExecContext(ctx, room.ID, m.UserID, m.Role, m.Banned, m.Pinned, m.LastRead, m.JoinedAt); err != nil {
				return fmt.Errorf("member %d: %w", m.UserID, err)
			}
		}
		return nil
	})
	if err != nil {
		return chat.Room{}, err
	}
	return room.room(), nil
}

// Room implements chat.RoomStore.
func (s *Store) Room(ctx context.Context, id int64) (chat.Room, bool, error) {
	r, found, err := queryOne(ctx, s, s.cq().getRoom, scanRoom, id)
	if err != nil {
		return chat.Room{}, false, fmt.Errorf("store: room: %w", err)
	}
	return r.room(), found, nil
}

// UserRooms implements chat.RoomStore in one query; rooms with the same
// activity time come newest room first.
func (s *Store) UserRooms(ctx context.Context, userID int64) ([]chat.RoomListing, error) {
	var rows []listingRow
	if err := s.db.WithContext(ctx).Raw(s.cq().userRooms, userID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: user rooms: %w", err)
	}
	out := make([]chat.RoomListing, len(rows))
	for i, r := range rows {
		out[i] = chat.RoomListing{Room: r.Room.room(), Membership: r.Member.membership(), Unread: r.Unread}
	}
	return out, nil
}

// UpdateRoom implements chat.RoomStore. A room that does not exist is not
// an error.
func (s *Store) UpdateRoom(ctx context.Context, r chat.Room) error {
	err := s.db.WithContext(ctx).Exec(s.cq().updateRoom, r.Name, r.Descriptions, r.Avatar, int(r.Status), r.ID).Error
	if err != nil {
		return fmt.Errorf("store: update room: %w", err)
	}
	return nil
}

// DeleteRoom implements chat.RoomStore: the members and messages go with
// the room (ON DELETE CASCADE), then its presence records.
func (s *Store) DeleteRoom(ctx context.Context, id int64) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec(s.cq().deleteRoom, id).Error; err != nil {
		return fmt.Errorf("store: delete room: %w", err)
	}
	if err := db.Exec(s.cq().deleteRoomPresence, id).Error; err != nil {
		return fmt.Errorf("store: delete room presence: %w", err)
	}
	return nil
}

// Membership implements chat.MemberStore.
func (s *Store) Membership(ctx context.Context, roomID, userID int64) (chat.Membership, bool, error) {
	m, found, err := queryOne(ctx, s, s.cq().getMember, scanMember, roomID, userID)
	if err != nil {
		return chat.Membership{}, false, fmt.Errorf("store: membership: %w", err)
	}
	return m.membership(), found, nil
}

// Members implements chat.MemberStore; members who joined at the same
// time come in user id order.
func (s *Store) Members(ctx context.Context, roomID int64) ([]chat.Membership, error) {
	var rows []memberRow
	if err := s.db.WithContext(ctx).Raw(s.cq().members, roomID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: members: %w", err)
	}
	out := make([]chat.Membership, len(rows))
	for i, r := range rows {
		out[i] = r.membership()
	}
	return out, nil
}

// PutMember implements chat.MemberStore. A new member is stored with all
// of m (a zero JoinedAt is now); an existing one gets m.Role and keeps the
// rest. A room that does not exist is an error.
func (s *Store) PutMember(ctx context.Context, m chat.Membership) error {
	err := s.db.WithContext(ctx).Exec(s.cq().putMember, m.RoomID, m.UserID, string(m.Role), m.Banned, m.Pinned, m.LastRead,
		utc(orNow(m.JoinedAt))).Error
	if err != nil {
		return fmt.Errorf("store: put member: %w", err)
	}
	return nil
}

// RemoveMember implements chat.MemberStore.
func (s *Store) RemoveMember(ctx context.Context, roomID, userID int64) (bool, error) {
	res := s.db.WithContext(ctx).Exec(s.cq().removeMember, roomID, userID)
	if res.Error != nil {
		return false, fmt.Errorf("store: remove member: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// SetBanned implements chat.MemberStore.
func (s *Store) SetBanned(ctx context.Context, roomID, userID int64, banned bool) (bool, error) {
	res := s.db.WithContext(ctx).Exec(s.cq().setBanned, banned, roomID, userID)
	if res.Error != nil {
		return false, fmt.Errorf("store: set banned: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// SetPinned implements chat.MemberStore. A member that does not exist is
// not an error.
func (s *Store) SetPinned(ctx context.Context, roomID, userID int64, pinned bool) error {
	if err := s.db.WithContext(ctx).Exec(s.cq().setPinned, pinned, roomID, userID).Error; err != nil {
		return fmt.Errorf("store: set pinned: %w", err)
	}
	return nil
}

// MarkRead implements chat.MemberStore with one conditional update.
func (s *Store) MarkRead(ctx context.Context, roomID, userID, messageID int64) error {
	if err := s.db.WithContext(ctx).Exec(s.cq().markRead, messageID, roomID, userID, messageID).Error; err != nil {
		return fmt.Errorf("store: mark read: %w", err)
	}
	return nil
}

// AddMessage implements chat.MessageStore; m's ID, Seq, EditedAt and
// DeletedAt are ignored, and a zero CreatedAt is now. A room that does not
// exist is an error.
//
// On PostgreSQL it is one statement: it takes the room's row lock to
// advance last_seq, so the messages of one room are numbered one at a
// time, in commit order. On SQLite, whose one connection runs one
// statement at a time, it is a transaction of the same two steps: two
// statements outside one would let another call's run in between. (A
// single INSERT numbering from MAX(seq), then an UPDATE of the room, ran
// as fast in BenchmarkAddMessage, but not all at once: a reader could see
// the message before the room's LastSeq, and a crash between the two
// would leave LastSeq and LastMessageAt behind.) A retried client
// id fails the insert, which rolls everything back (no seq is consumed),
// and the stored message is read instead. LastMessageAt only moves
// forward.
func (s *Store) AddMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	at := utc(orNow(m.CreatedAt))
	var rows []messageRow
	var err error
	if s.postgres() {
		err = s.db.WithContext(ctx).Raw(s.cq().addMessage, at, m.RoomID, m.SenderID, m.Text, m.ClientID, at).Scan(&rows).Error
	} else {
		var bump, insert *sql.Stmt
		if bump, err = s.prepared(ctx, s.cq().bumpRoom); err != nil {
			return chat.Message{}, false, fmt.Errorf("store: add message: %w", err)
		}
		if insert, err = s.prepared(ctx, s.cq().insertMessage); err != nil {
			return chat.Message{}, false, fmt.Errorf("store: add message: %w", err)
		}
		err = s.sqliteTx(ctx, func(tx *sql.Tx) error {
			var seq int64
			err := tx.StmtContext(ctx, bump).QueryRowContext(ctx, at, at, m.RoomID).Scan(&seq)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // no such room
			}
			if err != nil {
				return err
			}
			r, err := scanMessage(tx.StmtContext(ctx, insert).QueryRowContext(ctx, m.RoomID, seq, m.SenderID, m.Text, m.ClientID, at))
			if err != nil {
				return err
			}
			rows = append(rows, r)
			return nil
		})
	}
	if err != nil {
		if m.ClientID != "" {
			// Most likely the unique index on the client id: this is a
			// retry. Whatever the fault, a stored message is the answer.
			prev, found, ferr := s.clientMessage(ctx, m)
			if ferr == nil && found {
				return prev, false, nil
			}
			err = errors.Join(err, ferr)
		}
		return chat.Message{}, false, fmt.Errorf("store: add message: %w", err)
	}
	if len(rows) != 1 {
		return chat.Message{}, false, fmt.Errorf("store: add message: room %d: %w", m.RoomID, chat.ErrNotFound)
	}
	return rows[0].message(), true, nil
}

func (s *Store) clientMessage(ctx context.Context, m chat.Message) (chat.Message, bool, error) {
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(s.cq().clientMessage, m.RoomID, m.SenderID, m.ClientID).Scan(&rows).Error; err != nil {
		return chat.Message{}, false, err
	}
	if len(rows) == 0 {
		return chat.Message{}, false, nil
	}
	return rows[0].message(), true, nil
}

// Message implements chat.MessageStore; deleted messages are found too.
func (s *Store) Message(ctx context.Context, id int64) (chat.Message, bool, error) {
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(s.cq().getMessage, id).Scan(&rows).Error; err != nil {
		return chat.Message{}, false, fmt.Errorf("store: message: %w", err)
	}
	if len(rows) == 0 {
		return chat.Message{}, false, nil
	}
	return rows[0].message(), true, nil
}

// Messages implements chat.MessageStore. With After, the page is the
// first p.Limit messages after it (and before Before, when set); without,
// the last p.Limit before Before, or the newest. A Limit of zero or less
// is 50.
func (s *Store) Messages(ctx context.Context, roomID int64, p chat.Page) ([]chat.Message, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = defaultPageLimit
	}
	before := p.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	var rows []messageRow
	var err error
	if p.After > 0 {
		err = s.db.WithContext(ctx).Raw(s.cq().messagesAsc, roomID, p.After, before, limit).Scan(&rows).Error
	} else {
		err = s.db.WithContext(ctx).Raw(s.cq().messagesDesc, roomID, before, limit).Scan(&rows).Error
		slices.Reverse(rows)
	}
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return toMessages(rows), nil
}

// MessagesAfterSeq implements chat.MessageStore. A limit of zero or less
// is 50.
func (s *Store) MessagesAfterSeq(ctx context.Context, roomID, seq int64, limit int) ([]chat.Message, error) {
	if limit <= 0 {
		limit = defaultPageLimit
	}
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(s.cq().messagesAfterSeq, roomID, seq, limit).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: messages after seq: %w", err)
	}
	return toMessages(rows), nil
}

// EditMessage implements chat.MessageStore. It reports false, with a zero
// Message, when there is no such message or it is deleted.
func (s *Store) EditMessage(ctx context.Context, id int64, text string, at time.Time) (chat.Message, bool, error) {
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(s.cq().editMessage, text, utc(orNow(at)), id).Scan(&rows).Error; err != nil {
		return chat.Message{}, false, fmt.Errorf("store: edit message: %w", err)
	}
	if len(rows) == 0 {
		return chat.Message{}, false, nil
	}
	return rows[0].message(), true, nil
}

// DeleteMessage implements chat.MessageStore. It reports false, with a
// zero Message, when there is no such message or it is deleted already: a
// message is deleted once, and keeps its first DeletedAt.
func (s *Store) DeleteMessage(ctx context.Context, id int64, at time.Time) (chat.Message, bool, error) {
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(s.cq().deleteMessage, utc(orNow(at)), id).Scan(&rows).Error; err != nil {
		return chat.Message{}, false, fmt.Errorf("store: delete message: %w", err)
	}
	if len(rows) == 0 {
		return chat.Message{}, false, nil
	}
	return rows[0].message(), true, nil
}

// SetPresence implements chat.Presence with one upsert, or one delete
// when n is zero (or less).
func (s *Store) SetPresence(ctx context.Context, roomID, userID int64, instance string, n int, expires time.Time) error {
	var err error
	if n > 0 {
		err = s.db.WithContext(ctx).Exec(s.cq().setPresence, roomID, userID, instance, n, utc(expires)).Error
	} else {
		err = s.db.WithContext(ctx).Exec(s.cq().unsetPresence, roomID, userID, instance).Error
	}
	if err != nil {
		return fmt.Errorf("store: set presence: %w", err)
	}
	return nil
}

// RenewPresence implements chat.Presence. It also deletes the records, of
// any instance, that expired a day or more before expires: those of
// instances that stopped without clearing theirs.
func (s *Store) RenewPresence(ctx context.Context, instance string, expires time.Time) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec(s.cq().renewPresence, utc(expires), instance).Error; err != nil {
		return fmt.Errorf("store: renew presence: %w", err)
	}
	if err := db.Exec(s.cq().sweepPresence, utc(expires.Add(-presenceSweepAge))).Error; err != nil {
		return fmt.Errorf("store: sweep presence: %w", err)
	}
	return nil
}

// PresentUsers implements chat.Presence: the users with a record that
// expires after now, in ascending order.
func (s *Store) PresentUsers(ctx context.Context, roomID int64, now time.Time) ([]int64, error) {
	ids := []int64{}
	if err := s.db.WithContext(ctx).Raw(s.cq().presentUsers, roomID, utc(now)).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("store: present users: %w", err)
	}
	return ids, nil
}

// UsersByID implements chat.Users in one query, whatever the number of
// ids.
func (s *Store) UsersByID(ctx context.Context, ids []int64) (map[int64]auth.User, error) {
	users := make(map[int64]auth.User, len(ids))
	if len(ids) == 0 {
		return users, nil
	}
	var b strings.Builder
	open, closing := "[", "]"
	if s.postgres() {
		open, closing = "{", "}"
	}
	b.WriteString(open)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteString(closing)
	var rows []userRow
	if err := s.db.WithContext(ctx).Raw(s.cq().usersByID, b.String()).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: users by id: %w", err)
	}
	for _, r := range rows {
		users[r.ID] = r.user()
	}
	return users, nil
}
