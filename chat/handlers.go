package chat

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/httpx"
)

// Routes returns the chat endpoints, relative to the mount point:
// chat/chatrooms/… and chat/messages/… (REST), and chat/{room_id}/ (the
// WebSocket).
func (s *Service) Routes() []httpx.Route {
	a := s.cfg.Auth.Require
	h := func(f http.HandlerFunc) http.Handler { return a(f) }
	return []httpx.Route{
		{Method: http.MethodGet, Path: "chat/chatrooms/", Handler: h(s.handleRooms)},
		{Method: http.MethodPost, Path: "chat/chatrooms/", Handler: h(s.handleCreateRoom)},
		{Method: http.MethodGet, Path: "chat/chatrooms/{id}/", Handler: h(s.handleRoom)},
		{Method: http.MethodPatch, Path: "chat/chatrooms/{id}/", Handler: h(s.handleUpdateRoom)},
		{Method: http.MethodDelete, Path: "chat/chatrooms/{id}/", Handler: h(s.handleDeleteRoom)},
		{Method: http.MethodPost, Path: "chat/chatrooms/{id}/members/", Handler: h(s.handleAddMember)},
		{Method: http.MethodPatch, Path: "chat/chatrooms/{id}/members/{user_id}/", Handler: h(s.handleSetRole)},
		{Method: http.MethodDelete, Path: "chat/chatrooms/{id}/members/{user_id}/", Handler: h(s.userAction(s.RemoveMember))},
		{Method: http.MethodPost, Path: "chat/chatrooms/{id}/bans/", Handler: h(s.idFieldAction("user", s.Ban))},
		{Method: http.MethodDelete, Path: "chat/chatrooms/{id}/bans/{user_id}/", Handler: h(s.userAction(s.Unban))},
		{Method: http.MethodPost, Path: "chat/chatrooms/{id}/pin/", Handler: h(s.handlePin(true))},
		{Method: http.MethodDelete, Path: "chat/chatrooms/{id}/pin/", Handler: h(s.handlePin(false))},
		{Method: http.MethodPost, Path: "chat/chatrooms/{id}/read/", Handler: h(s.idFieldAction("message_id", s.MarkRead))},
		{Method: http.MethodGet, Path: "chat/chatrooms/{id}/presence/", Handler: h(s.handlePresence)},
		{Method: http.MethodGet, Path: "chat/messages/", Handler: h(s.handleMessages)},
		{Method: http.MethodPost, Path: "chat/messages/", Handler: h(s.handlePost)},
		{Method: http.MethodPatch, Path: "chat/messages/{id}/", Handler: h(s.handleEdit)},
		{Method: http.MethodDelete, Path: "chat/messages/{id}/", Handler: h(s.handleDelete)},
		{Method: http.MethodGet, Path: "chat/{room_id}/", Handler: http.HandlerFunc(s.serveSocket)},
	}
}

// Handler returns the routes rooted at "/".
func (s *Service) Handler() http.Handler { return httpx.Router("/", s) }

// WriteError writes an error of the chat's operations as the contract's
// response: ErrNotFound 404, ErrForbidden 403, ErrRoomClosed 403, ErrLastOwner 409
// room_closed, a *FieldError 400; anything else is logged and a 500.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) { s.fail(w, r, err) }

func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FieldError
	var he *httpx.Error
	switch {
	case errors.As(err, &he):
	case errors.As(err, &fe):
		he = httpx.FieldError(httpx.CodeInvalidRequest, map[string]string{fe.Field: fe.Problem})
	case errors.Is(err, ErrNotFound):
		he = httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "Not found.")
	case errors.Is(err, ErrRoomClosed):
		he = httpx.NewError(http.StatusForbidden, "room_closed", "The room is closed to new messages.")
	case errors.Is(err, ErrForbidden):
		he = httpx.NewError(http.StatusForbidden, httpx.CodeForbidden, "You may not do that in this room.")
	case errors.Is(err, ErrLastOwner):
		he = httpx.NewError(http.StatusConflict, "last_owner", "You are the room's only owner: make another member owner before you leave, or delete the room.")
	default:
		s.cfg.Logger.ErrorContext(r.Context(), "chat: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if he != nil {
		err = he
	}
	httpx.WriteError(w, r, err)
}

func caller(r *http.Request) auth.User {
	u, _ := auth.UserFrom(r.Context())
	return u
}

// pathID reads a path id; a malformed one is a 404, as an unknown one.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

// body decodes a request body, turning field type problems into 400s.
func (s *Service) body(r *http.Request) (*httpx.Body, error) {
	return httpx.Decode(r, s.cfg.BodyLimit)
}

func intField(b *httpx.Body, name string, required bool) (int64, bool, error) {
	n, ok, err := b.Int(name)
	switch {
	case err != nil:
		return 0, true, invalid(name, err.Error())
	case !ok && required:
		return 0, false, invalid(name, "this field is required")
	}
	return n, ok, nil
}

func stringField(b *httpx.Body, name string) (*string, error) {
	v, ok, err := b.String(name)
	if err != nil {
		return nil, invalid(name, err.Error())
	}
	if !ok {
		return nil, nil
	}
	return &v, nil
}

// requiredString reads a string field that must be there.
func requiredString(b *httpx.Body, name string) (string, error) {
	v, err := stringField(b, name)
	if err == nil && v == nil {
		err = invalid(name, "this field is required")
	}
	if err != nil {
		return "", err
	}
	return *v, nil
}

// idBody reads the path's {id} and the request body.
func (s *Service) idBody(r *http.Request) (int64, *httpx.Body, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, nil, err
	}
	b, err := s.body(r)
	return id, b, err
}

// userAction handles chat/chatrooms/{id}/…/{user_id}/ with fn, answering
// 204.
func (s *Service) userAction(fn func(ctx context.Context, uid, roomID, user int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		var user int64
		if err == nil {
			user, err = pathID(r, "user_id")
		}
		if err == nil {
			err = fn(r.Context(), caller(r).ID, id, user)
		}
		s.noContent(w, r, err)
	}
}

// idFieldAction handles a POST to chat/chatrooms/{id}/…/ whose body holds
// one required id, field, with fn, answering 204.
func (s *Service) idFieldAction(field string, fn func(ctx context.Context, uid, roomID, v int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, b, err := s.idBody(r)
		var v int64
		if err == nil {
			v, _, err = intField(b, field, true)
		}
		if err == nil {
			err = fn(r.Context(), caller(r).ID, id, v)
		}
		s.noContent(w, r, err)
	}
}

func (s *Service) handleRooms(w http.ResponseWriter, r *http.Request) {
	rooms, err := s.Rooms(r.Context(), caller(r).ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rooms)
}

func (s *Service) handleCreateRoom(w http.ResponseWriter, r *http.Request) {
	b, err := s.body(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	me := caller(r)
	if b.Has("user") {
		other, _, err := intField(b, "user", true)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v, created, err := s.OpenDirect(r.Context(), me.ID, other)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		httpx.WriteJSON(w, status, v)
		return
	}
	name, err := stringField(b, "name")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if name == nil {
		s.fail(w, r, invalid("user", "this field is required (or name, for a group room)"))
		return
	}
	desc, err := stringField(b, "descriptions")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	users, err := b.IntList("users")
	if err != nil {
		s.fail(w, r, invalid("users", err.Error()))
		return
	}
	v, err := s.CreateGroup(r.Context(), me.ID, *name, deref(desc), users)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, v)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Service) handleRoom(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var v RoomView
		if v, err = s.Room(r.Context(), caller(r).ID, id); err == nil {
			httpx.WriteJSON(w, http.StatusOK, v)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Service) handleUpdateRoom(w http.ResponseWriter, r *http.Request) {
	id, b, err := s.idBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var p RoomPatch
	for name, dst := range map[string]**string{"name": &p.Name, "descriptions": &p.Descriptions, "avatar": &p.Avatar} {
		if *dst, err = stringField(b, name); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if st, ok, err := intField(b, "status", false); err != nil {
		s.fail(w, r, err)
		return
	} else if ok {
		status := Status(st)
		p.Status = &status
	}
	v, err := s.UpdateRoom(r.Context(), caller(r).ID, id, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func (s *Service) handleDeleteRoom(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.DeleteRoom(r.Context(), caller(r).ID, id)
	}
	s.noContent(w, r, err)
}

func (s *Service) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleAddMember(w http.ResponseWriter, r *http.Request) {
	id, b, err := s.idBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	user, _, err := intField(b, "user", true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	role, err := stringField(b, "role")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.AddMember(r.Context(), caller(r).ID, id, user, Role(deref(role)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, v)
}

func (s *Service) handleSetRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var user int64
	if err == nil {
		user, err = pathID(r, "user_id")
	}
	var b *httpx.Body
	if err == nil {
		b, err = s.body(r)
	}
	var role string
	if err == nil {
		role, err = requiredString(b, "role")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.SetRole(r.Context(), caller(r).ID, id, user, Role(role))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func (s *Service) handlePin(pinned bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err == nil {
			err = s.Pin(r.Context(), caller(r).ID, id, pinned)
		}
		s.noContent(w, r, err)
	}
}

func (s *Service) handlePresence(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var users []auth.User
		if users, err = s.Presence(r.Context(), caller(r).ID, id); err == nil {
			httpx.WriteJSON(w, http.StatusOK, users)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Service) handleMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	num := func(name string, required bool) (int64, error) {
		v := q.Get(name)
		if v == "" {
			if required {
				return 0, invalid(name, "this query parameter is required")
			}
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, invalid(name, "must be a whole number")
		}
		return n, nil
	}
	room, err := num("chat_room", true)
	var p Page
	var limit int64
	if err == nil {
		p.After, err = num("after", false)
	}
	if err == nil {
		p.Before, err = num("before", false)
	}
	if err == nil {
		limit, err = num("limit", false)
		if limit > MaxPageSize {
			err = invalid("limit", "must be at most 200")
		}
		p.Limit = int(limit)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msgs, err := s.Messages(r.Context(), caller(r).ID, room, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, msgs)
}

func (s *Service) handlePost(w http.ResponseWriter, r *http.Request) {
	b, err := s.body(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	room, _, err := intField(b, "chat_room", true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	text, err := requiredString(b, "text")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cid, err := stringField(b, "client_id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, created, err := s.Post(r.Context(), caller(r), room, text, deref(cid))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpx.WriteJSON(w, status, v)
}

func (s *Service) handleEdit(w http.ResponseWriter, r *http.Request) {
	id, b, err := s.idBody(r)
	var text string
	if err == nil {
		text, err = requiredString(b, "text")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.Edit(r.Context(), caller(r), id, text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.Delete(r.Context(), caller(r), id)
	}
	s.noContent(w, r, err)
}
