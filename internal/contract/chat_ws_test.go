package contract

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/store"
)

// directRoom makes two users and their direct room.
func (e *chatEnv) directRoom(a, b string) (room int64, ta, tb string, ida, idb int64) {
	e.t.Helper()
	ta, ida = e.user(a)
	tb, idb = e.user(b)
	r := e.call(http.MethodPost, "/api/chat/chatrooms/", ta, map[string]any{"user": idb})
	wantStatus(e.t, r, http.StatusCreated)
	return num(r.body["id"]), ta, tb, ida, idb
}

func TestChatSocketAuth(t *testing.T) {
	forEachChat(t, func(t *testing.T, e *chatEnv) {
		room, ali, _, _, _ := e.directRoom("09120000201", "09120000202")
		outsider, _ := e.user("09120000203")
		ctx := context.Background()

		// ?token= (compat), Authorization: Bearer, and the bearer subprotocol.
		e.mustDial(room, ali, "")
		ws, _, err := websocket.Dial(ctx, e.wsURL(room, ""), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + ali}}})
		if err != nil {
			t.Fatalf("bearer header: %v", err)
		}
		ws.CloseNow()
		ws, _, err = websocket.Dial(ctx, e.wsURL(room, ""), &websocket.DialOptions{Subprotocols: []string{"bearer", ali}})
		if err != nil {
			t.Fatalf("bearer subprotocol: %v", err)
		}
		if ws.Subprotocol() != "bearer" {
			t.Errorf("subprotocol %q, want bearer", ws.Subprotocol())
		}
		ws.CloseNow()

		refused := func(url string, opts *websocket.DialOptions, want int) {
			t.Helper()
			_, res, err := websocket.Dial(ctx, url, opts)
			if err == nil || res == nil || res.StatusCode != want {
				status := 0
				if res != nil {
					status = res.StatusCode
				}
				t.Errorf("%s: %v, status %d, want %d", url, err, status, want)
			}
		}
		refused(e.wsURL(room, ""), nil, http.StatusUnauthorized)
		refused(e.wsURL(room, "token=nope"), nil, http.StatusUnauthorized)
		refused(strings.Replace(e.wsURL(room, "token="+ali), fmt.Sprintf("/%d/", room), "/abc/", 1), nil, http.StatusNotFound)
		refused(e.wsURL(999999, "token="+ali), nil, http.StatusNotFound)
		refused(e.wsURL(room, "token="+outsider), nil, http.StatusNotFound)
		refused(e.wsURL(room, "token="+ali), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}}, http.StatusForbidden)
		refused(e.wsURL(room, "token="+ali+"&after=x"), nil, http.StatusBadRequest)
		// The server's own origin is fine.
		ws, _, err = websocket.Dial(ctx, e.wsURL(room, "token="+ali), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {e.srv.URL}}})
		if err != nil {
			t.Errorf("own origin: %v", err)
		} else {
			ws.CloseNow()
		}
	})
}

func TestChatSocketMessages(t *testing.T) {
	forEachChat(t, func(t *testing.T, e *chatEnv) {
		room, ali, bob, aliID, _ := e.directRoom("09120000211", "09120000212")
		a1 := e.mustDial(room, ali, "")
		a2 := e.mustDial(room, ali, "") // a second device
		b := e.mustDial(room, bob, "")

		a1.send(map[string]any{"message": "سلام", "client_id": "a-1"})
		for _, s := range []*socket{a1, a2, b} {
			f := s.nextOf("message")
			if f["message"] != "سلام" || f["sender"] != "G0-09120000211" || num(f["sender_id"]) != aliID ||
				num(f["chat_room"]) != room || f["client_id"] != "a-1" || num(f["id"]) == 0 || f["timestamp"] == nil {
				t.Errorf("frame %v", f)
			}
		}
		// A repeat of the client id: answered with the stored message, not stored again.
		a1.send(map[string]any{"message": "again", "client_id": "a-1"})
		if f := a1.nextOf("message"); f["message"] != "سلام" {
			t.Errorf("repeat answered %v", f)
		}
		// REST posts reach the sockets too.
		wantStatus(t, e.call(http.MethodPost, "/api/chat/messages/", bob, map[string]any{"chat_room": room, "text": "from rest"}), http.StatusCreated)
		if f := a1.nextOf("message"); f["message"] != "from rest" {
			t.Errorf("rest message %v", f)
		}
		if msgs := list(t, e.call(http.MethodGet, fmt.Sprintf("/api/chat/messages/?chat_room=%d", room), ali, nil)); len(msgs) != 2 {
			t.Errorf("%d messages stored, want 2", len(msgs))
		}

		// Typing and read.
		b.send(map[string]any{"type": "typing"})
		if f := a1.nextOf("typing"); f["username"] != "G0-09120000212" {
			t.Errorf("typing %v", f)
		}
		// The typist's own sockets are not told: no typing frame reaches b
		// before its next message comes back.
		b.send(map[string]any{"message": "typed"})
		for f := b.next(); f["message"] != "typed"; f = b.next() {
			if f["type"] == "typing" {
				t.Errorf("the typist got its own typing frame %v", f)
			}
		}
		if f := a1.nextOf("message"); f["message"] != "typed" {
			t.Errorf("typed message %v", f)
		}
		msgs := list(t, e.call(http.MethodGet, fmt.Sprintf("/api/chat/messages/?chat_room=%d", room), ali, nil))
		a1.send(map[string]any{"type": "read", "message_id": msgs[1]["id"]})
		if f := b.nextOf("read"); num(f["message_id"]) != num(msgs[1]["id"]) || num(f["user_id"]) != aliID {
			t.Errorf("read %v", f)
		}

		// Presence: both users are connected.
		if users := list(t, e.call(http.MethodGet, fmt.Sprintf("/api/chat/chatrooms/%d/presence/", room), ali, nil)); len(users) != 2 {
			t.Errorf("presence %v", users)
		}
		// Edits and deletes are delivered live.
		mid := num(msgs[0]["id"])
		wantStatus(t, e.call(http.MethodPatch, fmt.Sprintf("/api/chat/messages/%d/", mid), ali, map[string]any{"text": "ویرایش"}), http.StatusOK)
		if f := b.nextOf("edit"); num(f["id"]) != mid || f["message"] != "ویرایش" {
			t.Errorf("edit %v", f)
		}
		wantStatus(t, e.call(http.MethodDelete, fmt.Sprintf("/api/chat/messages/%d/", mid), ali, nil), http.StatusNoContent)
		if f := b.nextOf("delete"); num(f["id"]) != mid {
			t.Errorf("delete %v", f)
		}
	})
}

func TestChatSocketReplay(t *testing.T) {
	forEachChat(t, func(t *testing.T, e *chatEnv) {
		room, ali, bob, _, _ := e.directRoom("09120000221", "09120000222")
		var ids []int64
		for i := range 5 {
			r := e.call(http.MethodPost, "/api/chat/messages/", ali, map[string]any{"chat_room": room, "text": fmt.Sprint("m", i)})
			ids = append(ids, num(r.body["id"]))
		}
		s := e.mustDial(room, bob, fmt.Sprintf("after=%d", ids[1]))
		for _, want := range ids[2:] {
			if f := s.nextOf("message"); num(f["id"]) != want {
				t.Fatalf("replayed %v, want id %d", f, want)
			}
		}
		// Then live ones, no duplicates.
		r := e.call(http.MethodPost, "/api/chat/messages/", ali, map[string]any{"chat_room": room, "text": "live"})
		if f := s.nextOf("message"); num(f["id"]) != num(r.body["id"]) || f["message"] != "live" {
			t.Errorf("live %v", f)
		}
		if f, err := s.read(300 * time.Millisecond); err == nil && f["type"] == "message" {
			t.Errorf("a duplicate: %v", f)
		}

		// after=0: everything, from the first, deleted ones left out;
		// without after, nothing is replayed.
		wantStatus(t, e.call(http.MethodDelete, fmt.Sprintf("/api/chat/messages/%d/", ids[0]), ali, nil), http.StatusNoContent)
		all := e.mustDial(room, bob, "after=0")
		for _, want := range append(ids[1:], num(r.body["id"])) {
			if f := all.nextOf("message"); num(f["id"]) != want {
				t.Fatalf("after=0 replayed %v, want id %d", f, want)
			}
		}
		none := e.mustDial(room, bob, "")
		if f, err := none.read(300 * time.Millisecond); err == nil && f["type"] == "message" {
			t.Errorf("replayed without after: %v", f)
		}
	})
}

func TestChatSocketBadFrames(t *testing.T) {
	forEachChat(t, func(t *testing.T, e *chatEnv) {
		room, ali, bob, _, _ := e.directRoom("09120000231", "09120000232")
		s := e.mustDial(room, ali, "")
		other := e.mustDial(room, bob, "")
		ctx := context.Background()
		for _, bad := range []string{`not json`, `[1,2]`, `{"message": 5}`, `{"type": "dance"}`, `{"message": ""}`, `{"message": "  "}`,
			`{"message": "` + strings.Repeat("x", 4001) + `"}`, `{}`, `{"type":"read","message_id":"x"}`, `{"type":"read","message_id":99999}`} {
			if err := s.ws.Write(ctx, websocket.MessageText, []byte(bad)); err != nil {
				t.Fatal(err)
			}
			if f := s.nextOf("error"); f["code"] == nil || f["error"] == "" {
				t.Errorf("%s: error frame %v", bad, f)
			}
		}
		// A refused message names the socket's field and carries its client_id.
		s.send(map[string]any{"message": " ", "client_id": "c-9"})
		if f := s.nextOf("error"); f["client_id"] != "c-9" || !strings.HasPrefix(fmt.Sprint(f["error"]), "message:") {
			t.Errorf("refused message: %v", f)
		}
		// The socket still works, and the other was never disturbed.
		s.send(map[string]any{"message": "ok"})
		if f := other.nextOf("message"); f["message"] != "ok" {
			t.Errorf("after bad frames %v", f)
		}
		if err := s.ws.Write(ctx, websocket.MessageBinary, []byte{1, 2}); err != nil {
			t.Fatal(err)
		}
		if code := s.closed(); code != websocket.StatusUnsupportedData {
			t.Errorf("binary frame: close %d, want 1003", code)
		}
		big := e.mustDial(room, ali, "")
		_ = big.ws.Write(ctx, websocket.MessageText, []byte(`{"message":"`+strings.Repeat("x", 70<<10)+`"}`))
		if code := big.closed(); code != websocket.StatusMessageTooBig {
			t.Errorf("oversize frame: close %d, want 1009", code)
		}
		other.send(map[string]any{"message": "still here"})
		if f := other.nextOf("message"); f["message"] != "still here" {
			t.Errorf("other socket %v", f)
		}
	})
}

func TestChatSocketCloses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		e := newChatEnv(t, st, nil, func(c *chat.Config) { c.Rate = 2 })
		room, ali, _, _, _ := e.directRoom("09120000241", "09120000242")
		s := e.mustDial(room, ali, "")
		for i := range 10 {
			_ = s.ws.Write(context.Background(), websocket.MessageText, []byte(fmt.Sprintf(`{"message":"m%d"}`, i)))
		}
		if code := s.closed(); code != chat.CloseRateLimited {
			t.Errorf("rate: close %d, want 4008", code)
		}

		// Banned or removed while connected: 4003; the room deleted: 4004.
		owner, _ := e.user("09120000243")
		mem, memID := e.user("09120000244")
		g := num(e.call(http.MethodPost, "/api/chat/chatrooms/", owner, map[string]any{"name": "g", "users": []int64{memID}}).body["id"])
		ms := e.mustDial(g, mem, "")
		os := e.mustDial(g, owner, "")
		wantStatus(t, e.call(http.MethodPost, fmt.Sprintf("/api/chat/chatrooms/%d/bans/", g), owner, map[string]any{"user": memID}), http.StatusNoContent)
		if code := ms.closed(); code != chat.CloseRemoved {
			t.Errorf("ban: close %d, want 4003", code)
		}
		wantStatus(t, e.call(http.MethodDelete, fmt.Sprintf("/api/chat/chatrooms/%d/", g), owner, nil), http.StatusNoContent)
		if code := os.closed(); code != chat.CloseRoomDeleted {
			t.Errorf("delete: close %d, want 4004", code)
		}
	})
}

func TestChatSocketTokenExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		e := newChatEnvAuth(t, st, nil, nil, func(c *auth.Config) { c.AccessLifetime = 2 * time.Second; c.RefreshLifetime = time.Hour })
		room, ali, _, _, _ := e.directRoom("09120000251", "09120000252")
		s := e.mustDial(room, ali, "")
		if code := s.closed(); code != chat.CloseTokenExpired {
			t.Errorf("close %d, want 4001", code)
		}
	})
}

// TestChatShutdownAndGoroutines: Close ends every socket with 1001, and
// the goroutines of 200 connect/close cycles are all gone.
func TestChatShutdownAndGoroutines(t *testing.T) {
	st := testdb.SQLite(t)
	e := newChatEnv(t, st, nil, nil)
	room, ali, _, _, _ := e.directRoom("09120000261", "09120000262")
	settle := func(want int) int {
		var n int
		for range 100 {
			n = runtime.NumGoroutine()
			if n <= want {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
		return n
	}
	e.mustDial(room, ali, "").ws.Close(websocket.StatusNormalClosure, "")
	base := settle(0)
	for range 200 {
		s := e.mustDial(room, ali, "")
		s.ws.Close(websocket.StatusNormalClosure, "")
	}
	http.DefaultClient.CloseIdleConnections()
	if n := settle(base); n > base {
		t.Errorf("%d goroutines after 200 connect/close cycles, %d before", n, base)
	}
	s := e.mustDial(room, ali, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.chat.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if code := s.closed(); code != websocket.StatusGoingAway {
		t.Errorf("shutdown: close %d, want 1001", code)
	}
}
