package chat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chelseru/chelseru-go/auth"
)

// RoomView is a room as the API shows it to one member (django-chelseru's
// keys, and ours).
type RoomView struct {
	ID            int64       `json:"id"`
	User1         *auth.User  `json:"user_1"`
	User2         *auth.User  `json:"user_2"`
	Users         []auth.User `json:"users"`
	Status        Status      `json:"status"`
	Name          string      `json:"name"`
	Descriptions  string      `json:"descriptions"`
	Avatar        string      `json:"avatar"`
	CreatedAt     time.Time   `json:"created_at"`
	Kind          Kind        `json:"kind"`
	LastMessageAt *time.Time  `json:"last_message_at"`
	Unread        int         `json:"unread"`
	Pinned        bool        `json:"pinned"`
	Role          Role        `json:"role"`
}

// MessageView is a message as the API shows it.
type MessageView struct {
	ID        int64      `json:"id"`
	ChatRoom  int64      `json:"chat_room"`
	Sender    auth.User  `json:"sender"`
	Text      string     `json:"text"`
	Timestamp time.Time  `json:"timestamp"`
	CreatedAt time.Time  `json:"created_at"`
	ClientID  string     `json:"client_id"`
	EditedAt  *time.Time `json:"edited_at"`
}

// access returns the room and the caller's membership: ErrNotFound when
// either is missing, ErrForbidden when the caller is banned.
func (s *Service) access(ctx context.Context, uid, roomID int64) (Room, Membership, error) {
	m, found, err := s.store.Membership(ctx, roomID, uid)
	if err != nil {
		return Room{}, Membership{}, fmt.Errorf("chat: membership: %w", err)
	}
	if !found {
		return Room{}, Membership{}, ErrNotFound
	}
	r, found, err := s.store.Room(ctx, roomID)
	if err != nil {
		return Room{}, Membership{}, fmt.Errorf("chat: room: %w", err)
	}
	if !found {
		return Room{}, Membership{}, ErrNotFound
	}
	if m.Banned {
		return r, m, ErrForbidden
	}
	return r, m, nil
}

// view builds the RoomView of r for member m.
func (s *Service) view(ctx context.Context, r Room, m Membership, unread int) (RoomView, error) {
	members, err := s.store.Members(ctx, r.ID)
	if err != nil {
		return RoomView{}, fmt.Errorf("chat: members: %w", err)
	}
	ids := make([]int64, 0, len(members))
	for _, mm := range members {
		if !mm.Banned {
			ids = append(ids, mm.UserID)
		}
	}
	if r.Kind == Direct {
		ids = append(ids, r.User1, r.User2)
	}
	users, err := s.users.UsersByID(ctx, ids)
	if err != nil {
		return RoomView{}, fmt.Errorf("chat: users: %w", err)
	}
	v := RoomView{
		ID: r.ID, Status: r.Status, Name: r.Name, Descriptions: r.Descriptions, Avatar: r.Avatar,
		CreatedAt: r.CreatedAt.UTC(), Kind: r.Kind, Unread: unread, Pinned: m.Pinned, Role: m.Role,
		Users: []auth.User{},
	}
	if !r.LastMessageAt.IsZero() {
		t := r.LastMessageAt.UTC()
		v.LastMessageAt = &t
	}
	for _, mm := range members {
		if u, ok := users[mm.UserID]; ok && !mm.Banned {
			v.Users = append(v.Users, u)
		}
	}
	if r.Kind == Direct {
		if u, ok := users[r.User1]; ok {
			v.User1 = &u
		}
		if u, ok := users[r.User2]; ok {
			v.User2 = &u
		}
	}
	return v, nil
}

// Rooms returns the rooms uid belongs to, newest activity first.
func (s *Service) Rooms(ctx context.Context, uid int64) ([]RoomView, error) {
	rooms, err := s.store.UserRooms(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("chat: rooms: %w", err)
	}
	out := make([]RoomView, 0, len(rooms))
	for _, l := range rooms {
		v, err := s.view(ctx, l.Room, l.Membership, l.Unread)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Room returns one room for uid.
func (s *Service) Room(ctx context.Context, uid, roomID int64) (RoomView, error) {
	r, m, err := s.access(ctx, uid, roomID)
	if err != nil {
		return RoomView{}, err
	}
	return s.view(ctx, r, m, 0)
}

// OpenDirect returns the direct room of uid and other, creating it when
// there is none (created is then true). other must be another existing
// user.
func (s *Service) OpenDirect(ctx context.Context, uid, other int64) (RoomView, bool, error) {
	if other == uid {
		return RoomView{}, false, invalid("user", "must be another user than you")
	}
	users, err := s.users.UsersByID(ctx, []int64{other})
	if err != nil {
		return RoomView{}, false, fmt.Errorf("chat: users: %w", err)
	}
	if _, ok := users[other]; !ok {
		return RoomView{}, false, ErrNotFound
	}
	r, created, err := s.store.DirectRoom(ctx, uid, other, s.now())
	if err != nil {
		return RoomView{}, false, fmt.Errorf("chat: direct room: %w", err)
	}
	m, found, err := s.store.Membership(ctx, r.ID, uid)
	if err != nil || !found {
		return RoomView{}, false, fmt.Errorf("chat: direct room membership: %v", err)
	}
	if m.Banned {
		return RoomView{}, false, ErrForbidden
	}
	v, err := s.view(ctx, r, m, 0)
	return v, created, err
}

// maxName bounds room names and descriptions, in characters.
const (
	maxName        = 200
	maxDescription = 2000
	maxAvatar      = 2000
	maxGroupUsers  = 1000
)

// CreateGroup makes a group room with uid as its owner and users as its
// members.
func (s *Service) CreateGroup(ctx context.Context, uid int64, name, descriptions string, users []int64) (RoomView, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return RoomView{}, invalid("name", "this field is required")
	case utf8.RuneCountInString(name) > maxName:
		return RoomView{}, invalid("name", fmt.Sprintf("must be at most %d characters", maxName))
	case utf8.RuneCountInString(descriptions) > maxDescription:
		return RoomView{}, invalid("descriptions", fmt.Sprintf("must be at most %d characters", maxDescription))
	case len(users) > maxGroupUsers:
		return RoomView{}, invalid("users", fmt.Sprintf("at most %d users", maxGroupUsers))
	}
	ids := slices.Clone(users)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ids = slices.DeleteFunc(ids, func(id int64) bool { return id == uid })
	found, err := s.users.UsersByID(ctx, ids)
	if err != nil {
		return RoomView{}, fmt.Errorf("chat: users: %w", err)
	}
	now := s.now()
	members := []Membership{{UserID: uid, Role: Owner, JoinedAt: now}}
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			return RoomView{}, invalid("users", fmt.Sprintf("no user %d", id))
		}
		members = append(members, Membership{UserID: id, Role: Member, JoinedAt: now})
	}
	r, err := s.store.CreateGroupRoom(ctx, Room{Kind: Group, Name: name, Descriptions: descriptions, Status: Open, CreatedAt: now}, members)
	if err != nil {
		return RoomView{}, fmt.Errorf("chat: create group: %w", err)
	}
	return s.view(ctx, r, members[0], 0)
}

// RoomPatch changes a group room; nil fields stay as they are.
type RoomPatch struct {
	Name, Descriptions, Avatar *string
	Status                     *Status
}

// UpdateRoom changes a group room's name, description, avatar or status:
// owners and admins only.
func (s *Service) UpdateRoom(ctx context.Context, uid, roomID int64, p RoomPatch) (RoomView, error) {
	r, m, err := s.access(ctx, uid, roomID)
	if err != nil {
		return RoomView{}, err
	}
	if r.Kind != Group || m.Role.rank() < Admin.rank() {
		return RoomView{}, ErrForbidden
	}
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		if n == "" || utf8.RuneCountInString(n) > maxName {
			return RoomView{}, invalid("name", fmt.Sprintf("must be 1 to %d characters", maxName))
		}
		r.Name = n
	}
	if p.Descriptions != nil {
		if utf8.RuneCountInString(*p.Descriptions) > maxDescription {
			return RoomView{}, invalid("descriptions", fmt.Sprintf("must be at most %d characters", maxDescription))
		}
		r.Descriptions = *p.Descriptions
	}
	if p.Avatar != nil {
		a := strings.TrimSpace(*p.Avatar)
		if len(a) > maxAvatar || a != "" && !strings.HasPrefix(a, "https://") && !strings.HasPrefix(a, "http://") {
			return RoomView{}, invalid("avatar", "must be an http or https URL")
		}
		r.Avatar = a
	}
	if p.Status != nil {
		if !p.Status.Valid() {
			return RoomView{}, invalid("status", "must be 1 (open), 2 (closed) or 3 (on hold)")
		}
		r.Status = *p.Status
	}
	if err := s.store.UpdateRoom(ctx, r); err != nil {
		return RoomView{}, fmt.Errorf("chat: update room: %w", err)
	}
	return s.view(ctx, r, m, 0)
}

// DeleteRoom deletes a group room: its owner only. Every socket of the
// room closes with 4004.
func (s *Service) DeleteRoom(ctx context.Context, uid, roomID int64) error {
	r, m, err := s.access(ctx, uid, roomID)
	if err != nil {
		return err
	}
	if r.Kind != Group || m.Role != Owner {
		return ErrForbidden
	}
	if err := s.store.DeleteRoom(ctx, roomID); err != nil {
		return fmt.Errorf("chat: delete room: %w", err)
	}
	s.publish(ctx, Envelope{Type: EventRoomDeleted, Room: roomID})
	return nil
}

// manageable reports whether actor may manage target: a group room, an
// admin or owner acting on someone of lower rank.
func manageable(r Room, actor Membership, target Role) bool {
	return r.Kind == Group && actor.Role.rank() >= Admin.rank() && actor.Role.rank() > target.rank()
}

// AddMember adds user to a group room with role (Member when empty):
// owners may add any role, admins members and read-only members.
func (s *Service) AddMember(ctx context.Context, uid, roomID, user int64, role Role) (RoomView, error) {
	if role == "" {
		role = Member
	}
	if !role.Valid() {
		return RoomView{}, invalid("role", "must be owner, admin, member or read_only")
	}
	r, m, err := s.access(ctx, uid, roomID)
	if err != nil {
		return RoomView{}, err
	}
	if !manageable(r, m, role) && !(m.Role == Owner && r.Kind == Group) {
		return RoomView{}, ErrForbidden
	}
	found, err := s.users.UsersByID(ctx, []int64{user})
	if err != nil {
		return RoomView{}, fmt.Errorf("chat: users: %w", err)
	}
	if _, ok := found[user]; !ok {
		return RoomView{}, invalid("user", "no such user")
	}
	if old, exists, err := s.store.Membership(ctx, roomID, user); err != nil {
		return RoomView{}, fmt.Errorf("chat: membership: %w", err)
	} else if exists {
		if old.Banned {
			return RoomView{}, invalid("user", "is banned from this room: unban first")
		}
		return RoomView{}, invalid("user", "is a member already")
	}
	if err := s.store.PutMember(ctx, Membership{RoomID: roomID, UserID: user, Role: role, JoinedAt: s.now()}); err != nil {
		return RoomView{}, fmt.Errorf("chat: add member: %w", err)
	}
	return s.view(ctx, r, m, 0)
}

// SetRole changes a member's role: owners any other member's, admins
// between member and read_only.
func (s *Service) SetRole(ctx context.Context, uid, roomID, user int64, role Role) (RoomView, error) {
	if !role.Valid() {
		return RoomView{}, invalid("role", "must be owner, admin, member or read_only")
	}
	r, m, err := s.access(ctx, uid, roomID)
	if err != nil {
		return RoomView{}, err
	}
	target, found, err := s.store.Membership(ctx, roomID, user)
	if err != nil {
		return RoomView{}, fmt.Errorf("chat: membership: %w", err)
	}
	if !found {
		return RoomView{}, ErrNotFound
	}
	ownerActs := r.Kind == Group && m.Role == Owner && user != uid
	if !ownerActs && !(manageable(r, m, target.Role) && manageable(r, m, role)) {
		return RoomView{}, ErrForbidden
	}
	target.Role = role
	if err := s.store.PutMember(ctx, target); err != nil {
		return RoomView{}, fmt.Errorf("chat: set role: %w", err)
	}
	return s.view(ctx, r, m, 0)
}

// RemoveMember removes user from a group room: the member themself
// (leaving), or an admin or owner above them. Their sockets of the room
// close with 4003. The only owner may not leave while other members
// remain (ErrLastOwner), nor a banned member (ErrForbidden).
func (s *Service) RemoveMember(ctx context.Context, uid, roomID, user int64) error {
	r, m, err := s.access(ctx, uid, roomID)
	if err != nil { // a banned member may not leave: the ban would go with them
		return err
	}
	if r.Kind != Group {
		return ErrForbidden
	}
	if user == uid && m.Role == Owner {
		members, err := s.store.Members(ctx, roomID)
		if err != nil {
			return fmt.Errorf("chat: members: %w", err)
		}
		others, owners := 0, 0
		for _, o := range members {
			if o.UserID != uid && !o.Banned {
				others++
				if o.Role == Owner {
					owners++
				}
			}
		}
		if others > 0 && owners == 0 {
			return ErrLastOwner
		}
	}
	if user != uid {
		target, found, err := s.store.Membership(ctx, roomID, user)
		if err != nil {
			return fmt.Errorf("chat: membership: %w", err)
		}
		if !found {
			return ErrNotFound
		}
		if !manageable(r, m, target.Role) {
			return ErrForbidden
		}
	}
	if _, err := s.store.RemoveMember(ctx, roomID, user); err != nil {
		return fmt.Errorf("chat: remove member: %w", err)
	}
	s.publish(ctx, Envelope{Type: EventKick, Room: roomID, UserID: user})
	return nil
}

// Ban bans user from a group room (an admin or owner above them); their
// sockets of the room close with 4003. Unban lifts it.
func (s *Service) Ban(ctx context.Context, uid, roomID, user int64) error {
	return s.setBan(ctx, uid, roomID, user, true)
}

// Unban lifts a ban.
func (s *Service) Unban(ctx context.Context, uid, roomID, user int64) error {
	return s.setBan(ctx, uid, roomID, user, false)
}

func (s *Service) setBan(ctx context.Context, uid, roomID, user int64, banned bool) error {
	r, m, err := s.access(ctx, uid, roomID)
	if err != nil {
		return err
	}
	target, found, err := s.store.Membership(ctx, roomID, user)
	if err != nil {
		return fmt.Errorf("chat: membership: %w", err)
	}
	if !found {
		return ErrNotFound
	}
	if user == uid || !manageable(r, m, target.Role) {
		return ErrForbidden
	}
	if _, err := s.store.SetBanned(ctx, roomID, user, banned); err != nil {
		return fmt.Errorf("chat: ban: %w", err)
	}
	if banned {
		s.publish(ctx, Envelope{Type: EventKick, Room: roomID, UserID: user})
	}
	return nil
}

// Pin pins (or unpins) a room in the caller's list.
func (s *Service) Pin(ctx context.Context, uid, roomID int64, pinned bool) error {
	if _, _, err := s.access(ctx, uid, roomID); err != nil {
		return err
	}
	if err := s.store.SetPinned(ctx, roomID, uid, pinned); err != nil {
		return fmt.Errorf("chat: pin: %w", err)
	}
	return nil
}

// MarkRead records that uid read the room up to messageID, and tells the
// room's sockets.
func (s *Service) MarkRead(ctx context.Context, uid, roomID, messageID int64) error {
	if _, _, err := s.access(ctx, uid, roomID); err != nil {
		return err
	}
	if messageID <= 0 {
		return invalid("message_id", "must be a message id")
	}
	msg, found, err := s.store.Message(ctx, messageID)
	if err != nil {
		return fmt.Errorf("chat: message: %w", err)
	}
	if !found || msg.RoomID != roomID {
		return invalid("message_id", "no such message in this room")
	}
	if err := s.store.MarkRead(ctx, roomID, uid, messageID); err != nil {
		return fmt.Errorf("chat: mark read: %w", err)
	}
	s.publish(ctx, Envelope{Type: EventRead, Room: roomID, UserID: uid, ID: messageID})
	return nil
}

// Presence returns the users connected to the room now, on any instance.
func (s *Service) Presence(ctx context.Context, uid, roomID int64) ([]auth.User, error) {
	if _, _, err := s.access(ctx, uid, roomID); err != nil {
		return nil, err
	}
	ids, err := s.presence.PresentUsers(ctx, roomID, s.now())
	if err != nil {
		return nil, fmt.Errorf("chat: presence: %w", err)
	}
	users, err := s.users.UsersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("chat: users: %w", err)
	}
	out := make([]auth.User, 0, len(ids))
	for _, id := range ids {
		if u, ok := users[id]; ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// Messages returns a page of a room's messages, ascending.
func (s *Service) Messages(ctx context.Context, uid, roomID int64, p Page) ([]MessageView, error) {
	if _, _, err := s.access(ctx, uid, roomID); err != nil {
		return nil, err
	}
	if p.Limit <= 0 {
		p.Limit = DefaultPageSize
	}
	p.Limit = min(p.Limit, MaxPageSize)
	msgs, err := s.store.Messages(ctx, roomID, p)
	if err != nil {
		return nil, fmt.Errorf("chat: messages: %w", err)
	}
	return s.messageViews(ctx, msgs)
}

func (s *Service) messageViews(ctx context.Context, msgs []Message) ([]MessageView, error) {
	ids := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		ids = append(ids, m.SenderID)
	}
	users, err := s.users.UsersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("chat: users: %w", err)
	}
	out := make([]MessageView, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, messageView(m, users[m.SenderID]))
	}
	return out, nil
}

func messageView(m Message, sender auth.User) MessageView {
	v := MessageView{ID: m.ID, ChatRoom: m.RoomID, Sender: sender, Text: m.Text, Timestamp: m.CreatedAt.UTC(),
		CreatedAt: m.CreatedAt.UTC(), ClientID: m.ClientID}
	if !m.EditedAt.IsZero() {
		t := m.EditedAt.UTC()
		v.EditedAt = &t
	}
	return v
}

// maxClientID bounds a client's message id.
const maxClientID = 128

// Post stores a message from user in the room and delivers it to every
// connected member. A repeated client id of the same sender returns the
// stored message with created false and delivers nothing again.
func (s *Service) Post(ctx context.Context, user auth.User, roomID int64, text, clientID string) (MessageView, bool, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return MessageView{}, false, invalid("text", "this field is required")
	case utf8.RuneCountInString(text) > s.cfg.MaxText:
		return MessageView{}, false, invalid("text", fmt.Sprintf("must be at most %d characters", s.cfg.MaxText))
	case !utf8.ValidString(text):
		return MessageView{}, false, invalid("text", "must be valid text")
	case len(clientID) > maxClientID:
		return MessageView{}, false, invalid("client_id", fmt.Sprintf("must be at most %d bytes", maxClientID))
	}
	r, m, err := s.access(ctx, user.ID, roomID)
	if err != nil {
		return MessageView{}, false, err
	}
	switch {
	case m.Role == ReadOnly:
		return MessageView{}, false, ErrForbidden
	case r.Status == Closed, r.Status == OnHold && m.Role.rank() < Admin.rank():
		return MessageView{}, false, ErrRoomClosed
	}
	msg, created, err := s.store.AddMessage(ctx, Message{RoomID: roomID, SenderID: user.ID, Text: text, ClientID: clientID, CreatedAt: s.now()})
	if err != nil {
		return MessageView{}, false, fmt.Errorf("chat: add message: %w", err)
	}
	if created {
		s.publish(ctx, Envelope{Type: EventMessage, Room: roomID, Seq: msg.Seq, ID: msg.ID, UserID: user.ID,
			Username: user.Username, Text: msg.Text, ClientID: msg.ClientID, At: msg.CreatedAt})
	}
	return messageView(msg, user), created, nil
}

// Edit changes a message's text: its sender only.
func (s *Service) Edit(ctx context.Context, user auth.User, messageID int64, text string) (MessageView, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > s.cfg.MaxText || !utf8.ValidString(text) {
		return MessageView{}, invalid("text", fmt.Sprintf("must be 1 to %d characters", s.cfg.MaxText))
	}
	msg, err := s.ownMessage(ctx, user.ID, messageID)
	if err != nil {
		return MessageView{}, err
	}
	msg, ok, err := s.store.EditMessage(ctx, messageID, text, s.now())
	if err != nil {
		return MessageView{}, fmt.Errorf("chat: edit message: %w", err)
	}
	if !ok {
		return MessageView{}, ErrNotFound
	}
	s.publish(ctx, Envelope{Type: EventEdit, Room: msg.RoomID, ID: msg.ID, Seq: msg.Seq, UserID: user.ID, Username: user.Username, Text: msg.Text, At: msg.EditedAt})
	return messageView(msg, user), nil
}

// Delete deletes a message: its sender only.
func (s *Service) Delete(ctx context.Context, user auth.User, messageID int64) error {
	if _, err := s.ownMessage(ctx, user.ID, messageID); err != nil {
		return err
	}
	msg, ok, err := s.store.DeleteMessage(ctx, messageID, s.now())
	if err != nil {
		return fmt.Errorf("chat: delete message: %w", err)
	}
	if !ok {
		return ErrNotFound
	}
	s.publish(ctx, Envelope{Type: EventDelete, Room: msg.RoomID, ID: msg.ID, Seq: msg.Seq, UserID: user.ID, At: msg.DeletedAt})
	return nil
}

// ownMessage returns a live message of uid's in a room uid may still use.
func (s *Service) ownMessage(ctx context.Context, uid, messageID int64) (Message, error) {
	msg, found, err := s.store.Message(ctx, messageID)
	if err != nil {
		return Message{}, fmt.Errorf("chat: message: %w", err)
	}
	if !found || !msg.DeletedAt.IsZero() {
		return Message{}, ErrNotFound
	}
	if _, _, err := s.access(ctx, uid, msg.RoomID); err != nil {
		return Message{}, err
	}
	if msg.SenderID != uid {
		return Message{}, ErrForbidden
	}
	return msg, nil
}

// publish hands an event to the broker; a failure is logged: the store
// has the truth, and hubs recover from it.
func (s *Service) publish(ctx context.Context, env Envelope) {
	if err := s.broker.Publish(context.WithoutCancel(ctx), env); err != nil {
		s.cfg.Logger.WarnContext(ctx, "chat: publish", "room", env.Room, "type", env.Type, "err", err)
	}
}
