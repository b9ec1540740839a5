package contract

import (
	"fmt"
	"net/http"
	"testing"
)

func TestChatDirectRooms(t *testing.T) {
	forEachChat(t, func(t *testing.T, e *chatEnv) {
		ali, aliID := e.user("09120000101")
		bob, bobID := e.user("09120000102")

		r := e.call(http.MethodPost, "/api/chat/chatrooms/", ali, map[string]any{"user": bobID})
		wantStatus(t, r, http.StatusCreated)
		room := num(r.body["id"])
		u1, _ := r.body["user_1"].(map[string]any)
		u2, _ := r.body["user_2"].(map[string]any)
		users, _ := r.body["users"].([]any)
		if room == 0 || r.body["kind"] != "direct" || r.body["status"] != float64(1) || len(users) != 2 ||
			num(u1["id"]) != min(aliID, bobID) || num(u2["id"]) != max(aliID, bobID) || r.body["role"] != "member" {
			t.Errorf("direct room %s", r.raw)
		}
		for k := range u1 {
			if k != "id" && k != "username" && k != "mobile_number" && k != "group" {
				t.Errorf("a user shows %q: %s", k, r.raw)
			}
		}
		// The same pair, whichever side asks: the same room, 200.
		r = e.call(http.MethodPost, "/api/chat/chatrooms/", bob, map[string]any{"user": fmt.Sprint(aliID)})
		wantStatus(t, r, http.StatusOK)
		if num(r.body["id"]) != room {
			t.Errorf("second direct room %s", r.raw)
		}
		wantError(t, e.call(http.MethodPost, "/api/chat/chatrooms/", ali, map[string]any{"user": aliID}), http.StatusBadRequest, "invalid_request", "user")
		wantError(t, e.call(http.MethodPost, "/api/chat/chatrooms/", ali, map[string]any{"user": 987654}), http.StatusNotFound, "not_found")
		wantError(t, e.call(http.MethodPost, "/api/chat/chatrooms/", ali, map[string]any{"user": "x"}), http.StatusBadRequest, "invalid_request", "user")
		wantError(t, e.call(http.MethodPost, "/api/chat/chatrooms/", ali, map[string]any{}), http.StatusBadRequest, "invalid_request", "user")
		wantError(t, e.call(http.MethodGet, "/api/chat/chatrooms/", "", nil), http.StatusUnauthorized, "unauthorized")

		rooms := list(t, e.call(http.MethodGet, "/api/chat/chatrooms/", ali, nil))
		if len(rooms) != 1 || num(rooms[0]["id"]) != room {
			t.Errorf("rooms %v", rooms)
		}
		// A direct room cannot be renamed or deleted.
		wantError(t, e.call(http.MethodPatch, fmt.Sprintf("/api/chat/chatrooms/%d/", room), ali, map[string]any{"name": "x"}), http.StatusForbidden, "forbidden")
	})
}

func TestChatGroupRoomsAndRoles(t *testing.T) {
	forEachChat(t, func(t *testing.T, e *chatEnv) {
		owner, ownerID := e.user("09120000111")
		admin, adminID := e.user("09120000112")
		member, memberID := e.user("09120000113")
		outsider, outsiderID := e.user("09120000114")

		r := e.call(http.MethodPost, "/api/chat/chatrooms/", owner, map[string]any{"name": " Team ", "users": []any{adminID, fmt.Sprint(memberID)}, "descriptions": "our room"})
		wantStatus(t, r, http.StatusCreated)
		room := num(r.body["id"])
		if r.body["kind"] != "group" || r.body["name"] != "Team" || r.body["descriptions"] != "our room" || r.body["role"] != "owner" || r.body["user_1"] != nil {
			t.Errorf("group room %s", r.raw)
		}
		path := fmt.Sprintf("/api/chat/chatrooms/%d/", room)
		wantStatus(t, e.call(http.MethodPatch, path+"members/"+fmt.Sprint(adminID)+"/", owner, map[string]any{"role": "admin"}), http.StatusOK)

		// A non-member sees nothing: 404 on every room path.
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, path}, {http.MethodPatch, path}, {http.MethodDelete, path},
			{http.MethodPost, path + "members/"}, {http.MethodPost, path + "bans/"}, {http.MethodPost, path + "pin/"},
			{http.MethodPost, path + "read/"}, {http.MethodGet, path + "presence/"},
			{http.MethodGet, fmt.Sprintf("/api/chat/messages/?chat_room=%d", room)},
		} {
			body := map[string]any{"user": memberID, "message_id": 1, "name": "x"}
			if c.method == http.MethodGet {
				body = nil
			}
			wantError(t, e.call(c.method, c.path, outsider, body), http.StatusNotFound, "not_found")
		}
		wantError(t, e.call(http.MethodPost, "/api/chat/messages/", outsider, map[string]any{"chat_room": room, "text": "hi"}), http.StatusNotFound, "not_found")
		wantError(t, e.call(http.MethodGet, "/api/chat/chatrooms/999999/", owner, nil), http.StatusNotFound, "not_found")
		wantError(t, e.call(http.MethodGet, "/api/chat/chatrooms/abc/", owner, nil), http.StatusNotFound, "not_found")

		// Roles: a member cannot manage; an admin can, below admin.
		wantError(t, e.call(http.MethodPost, path+"members/", member, map[string]any{"user": outsiderID}), http.StatusForbidden, "forbidden")
		wantError(t, e.call(http.MethodPatch, path, member, map[string]any{"name": "Mine"}), http.StatusForbidden, "forbidden")
		wantStatus(t, e.call(http.MethodPost, path+"members/", admin, map[string]any{"user": outsiderID, "role": "read_only"}), http.StatusCreated)
		wantError(t, e.call(http.MethodPost, path+"members/", admin, map[string]any{"user": outsiderID}), http.StatusBadRequest, "invalid_request", "user")
		wantError(t, e.call(http.MethodPatch, path+"members/"+fmt.Sprint(memberID)+"/", admin, map[string]any{"role": "owner"}), http.StatusForbidden, "forbidden")
		wantError(t, e.call(http.MethodPatch, path+"members/"+fmt.Sprint(memberID)+"/", owner, map[string]any{"role": "king"}), http.StatusBadRequest, "invalid_request", "role")

		// A read-only member reads but cannot post.
		wantError(t, e.call(http.MethodPost, "/api/chat/messages/", outsider, map[string]any{"chat_room": room, "text": "hi"}), http.StatusForbidden, "forbidden")
		wantStatus(t, e.call(http.MethodGet, fmt.Sprintf("/api/chat/messages/?chat_room=%d", room), outsider, nil), http.StatusOK)

		// Rename, close: a closed room refuses messages.
		r = e.call(http.MethodPatch, path, admin, map[string]any{"name": "Team 2", "status": 2, "avatar": "https://example.com/a.png"})
		wantStatus(t, r, http.StatusOK)
		if r.body["name"] != "Team 2" || r.body["status"] != float64(2) || r.body["avatar"] != "https://example.com/a.png" {
			t.Errorf("patched %s", r.raw)
		}
		wantError(t, e.call(http.MethodPost, "/api/chat/messages/", member, map[string]any{"chat_room": room, "text": "hi"}), http.StatusForbidden, "room_closed")
		wantError(t, e.call(http.MethodPatch, path, admin, map[string]any{"status": 9}), http.StatusBadRequest, "invalid_request", "status")
		wantError(t, e.call(http.MethodPatch, path, admin, map[string]any{"avatar": "javascript:alert(1)"}), http.StatusBadRequest, "invalid_request", "avatar")
		wantStatus(t, e.call(http.MethodPatch, path, owner, map[string]any{"status": 1}), http.StatusOK)

		// Ban: 403 for the banned member; unban lifts it.
		wantStatus(t, e.call(http.MethodPost, path+"bans/", admin, map[string]any{"user": memberID}), http.StatusNoContent)
		wantError(t, e.call(http.MethodGet, path, member, nil), http.StatusForbidden, "forbidden")
		// Leaving would take the ban away: refused.
		wantError(t, e.call(http.MethodDelete, path+"members/"+fmt.Sprint(memberID)+"/", member, nil), http.StatusForbidden, "forbidden")
		wantError(t, e.call(http.MethodPost, "/api/chat/messages/", member, map[string]any{"chat_room": room, "text": "hi"}), http.StatusForbidden, "forbidden")
		wantError(t, e.call(http.MethodPost, path+"bans/", member, map[string]any{"user": adminID}), http.StatusForbidden, "forbidden")
		wantStatus(t, e.call(http.MethodDelete, path+"bans/"+fmt.Sprint(memberID)+"/", admin, nil), http.StatusNoContent)
		wantStatus(t, e.call(http.MethodGet, path, member, nil), http.StatusOK)

		// Pin and leave.
		wantStatus(t, e.call(http.MethodPost, path+"pin/", member, nil), http.StatusNoContent)
		if rooms := list(t, e.call(http.MethodGet, "/api/chat/chatrooms/", member, nil)); len(rooms) != 1 || rooms[0]["pinned"] != true {
			t.Errorf("pinned rooms %v", rooms)
		}
		wantStatus(t, e.call(http.MethodDelete, path+"pin/", member, nil), http.StatusNoContent)
		wantStatus(t, e.call(http.MethodDelete, path+"members/"+fmt.Sprint(memberID)+"/", member, nil), http.StatusNoContent)
		wantError(t, e.call(http.MethodGet, path, member, nil), http.StatusNotFound, "not_found")

		// Only the owner deletes.
		wantError(t, e.call(http.MethodDelete, path, admin, nil), http.StatusForbidden, "forbidden")
		// The only owner may not leave others without one; with a second
		// owner they may.
		wantError(t, e.call(http.MethodDelete, path+"members/"+fmt.Sprint(ownerID)+"/", owner, nil), http.StatusConflict, "last_owner")
		wantStatus(t, e.call(http.MethodPatch, path+"members/"+fmt.Sprint(adminID)+"/", owner, map[string]any{"role": "owner"}), http.StatusOK)
		wantStatus(t, e.call(http.MethodDelete, path+"members/"+fmt.Sprint(ownerID)+"/", owner, nil), http.StatusNoContent)
		wantError(t, e.call(http.MethodGet, path, owner, nil), http.StatusNotFound, "not_found")
		owner = admin // the room's owner now: it deletes

		wantStatus(t, e.call(http.MethodDelete, path, owner, nil), http.StatusNoContent)
		wantError(t, e.call(http.MethodGet, path, owner, nil), http.StatusNotFound, "not_found")
	})
}

func TestChatMessagesREST(t *testing.T) {
	forEachChat(t, func(t *testing.T, e *chatEnv) {
		ali, _ := e.user("09120000121")
		bob, bobID := e.user("09120000122")
		room := num(e.call(http.MethodPost, "/api/chat/chatrooms/", ali, map[string]any{"user": bobID}).body["id"])

		r := e.call(http.MethodPost, "/api/chat/messages/", ali, map[string]any{"chat_room": room, "text": "سلام", "client_id": "c-1"})
		wantStatus(t, r, http.StatusCreated)
		first := r.body
		sender, _ := first["sender"].(map[string]any)
		if first["text"] != "سلام" || num(first["chat_room"]) != room || first["client_id"] != "c-1" || sender["username"] != "G0-09120000121" ||
			first["timestamp"] == nil || first["created_at"] == nil {
			t.Errorf("message %s", r.raw)
		}
		// The same client id: the stored message, 200.
		r = e.call(http.MethodPost, "/api/chat/messages/", ali, map[string]any{"chat_room": fmt.Sprint(room), "text": "سلام again", "client_id": "c-1"})
		wantStatus(t, r, http.StatusOK)
		if r.body["id"] != first["id"] || r.body["text"] != "سلام" {
			t.Errorf("repeat %s", r.raw)
		}
		var ids []int64
		for i := range 7 {
			r := e.call(http.MethodPost, "/api/chat/messages/", bob, map[string]any{"chat_room": room, "text": fmt.Sprint("m", i)})
			wantStatus(t, r, http.StatusCreated)
			ids = append(ids, num(r.body["id"]))
		}
		page := func(q string) []int64 {
			t.Helper()
			var got []int64
			for _, m := range list(t, e.call(http.MethodGet, fmt.Sprintf("/api/chat/messages/?chat_room=%d%s", room, q), ali, nil)) {
				got = append(got, num(m["id"]))
			}
			return got
		}
		all := page("")
		if len(all) != 8 || all[0] != num(first["id"]) || all[7] != ids[6] {
			t.Errorf("all %v", all)
		}
		if got := page("&limit=3"); fmt.Sprint(got) != fmt.Sprint(ids[4:]) {
			t.Errorf("newest 3: %v, want %v", got, ids[4:])
		}
		if got := page(fmt.Sprintf("&after=%d&limit=2", ids[1])); fmt.Sprint(got) != fmt.Sprint(ids[2:4]) {
			t.Errorf("after: %v", got)
		}
		if got := page(fmt.Sprintf("&before=%d&limit=2", ids[3])); fmt.Sprint(got) != fmt.Sprint(ids[1:3]) {
			t.Errorf("before: %v", got)
		}
		for _, q := range []string{"", "&chat_room=x", "&limit=201", "&after=-1"} {
			path := "/api/chat/messages/?chat_room=" + fmt.Sprint(room) + q
			if q == "" {
				path = "/api/chat/messages/"
			}
			if q == "&chat_room=x" {
				path = "/api/chat/messages/?chat_room=x"
			}
			wantError(t, e.call(http.MethodGet, path, ali, nil), http.StatusBadRequest, "invalid_request")
		}

		// Edit and delete: the sender only.
		mid := fmt.Sprintf("/api/chat/messages/%d/", ids[0])
		wantError(t, e.call(http.MethodPatch, mid, ali, map[string]any{"text": "x"}), http.StatusForbidden, "forbidden")
		r = e.call(http.MethodPatch, mid, bob, map[string]any{"text": "edited"})
		wantStatus(t, r, http.StatusOK)
		if r.body["text"] != "edited" || r.body["edited_at"] == nil {
			t.Errorf("edited %s", r.raw)
		}
		wantError(t, e.call(http.MethodDelete, mid, ali, nil), http.StatusForbidden, "forbidden")
		wantStatus(t, e.call(http.MethodDelete, mid, bob, nil), http.StatusNoContent)
		wantError(t, e.call(http.MethodPatch, mid, bob, map[string]any{"text": "again"}), http.StatusNotFound, "not_found")
		if got := page(""); len(got) != 7 {
			t.Errorf("after delete %v", got)
		}

		// Bad input.
		for _, body := range []map[string]any{
			{"chat_room": room}, {"chat_room": room, "text": ""}, {"chat_room": room, "text": 5}, {"text": "x"},
			{"chat_room": "x", "text": "y"}, {"chat_room": room, "text": string(make([]rune, 4001))},
		} {
			wantError(t, e.call(http.MethodPost, "/api/chat/messages/", ali, body), http.StatusBadRequest, "invalid_request")
		}

		// Read marks and unread counts.
		if rooms := list(t, e.call(http.MethodGet, "/api/chat/chatrooms/", ali, nil)); num(rooms[0]["unread"]) != 6 {
			t.Errorf("unread %v", rooms[0]["unread"])
		}
		wantStatus(t, e.call(http.MethodPost, fmt.Sprintf("/api/chat/chatrooms/%d/read/", room), ali, map[string]any{"message_id": ids[4]}), http.StatusNoContent)
		if rooms := list(t, e.call(http.MethodGet, "/api/chat/chatrooms/", ali, nil)); num(rooms[0]["unread"]) != 2 {
			t.Errorf("unread after read %v", rooms[0]["unread"])
		}
		wantError(t, e.call(http.MethodPost, fmt.Sprintf("/api/chat/chatrooms/%d/read/", room), ali, map[string]any{"message_id": 999999}), http.StatusBadRequest, "invalid_request", "message_id")
	})
}
