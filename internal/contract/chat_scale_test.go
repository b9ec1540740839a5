package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/pgbroker"
	"github.com/chelseru/chelseru-go/chat/redisbroker"
	"github.com/chelseru/chelseru-go/internal/testdb"
	"github.com/chelseru/chelseru-go/store"
)

// scale is the size of the load tests: a tenth by default, the full size
// with CHELSERU_TEST_FULL=1.
func scale(full int) int {
	if os.Getenv("CHELSERU_TEST_FULL") == "1" {
		return full
	}
	return full / 10
}

func randomName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// brokers returns the multi-instance brokers the tests run on, each a
// factory of one instance's broker; a missing server skips its broker.
func brokers(t *testing.T) map[string]func(t *testing.T) chat.Broker {
	out := map[string]func(t *testing.T) chat.Broker{}
	if addr := os.Getenv("CHELSERU_TEST_REDIS"); addr != "" {
		prefix := "t" + randomName() + ":"
		out["redis"] = func(t *testing.T) chat.Broker {
			client := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { client.Close() })
			b, err := redisbroker.New(redisbroker.Config{Client: client, Prefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	if dsn := os.Getenv(testdb.PostgresEnv); dsn != "" {
		channel := "t_" + randomName()
		out["pgbroker"] = func(t *testing.T) chat.Broker {
			b, err := pgbroker.New(pgbroker.Config{DSN: dsn, Channel: channel})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	if len(out) == 0 {
		t.Skip("neither CHELSERU_TEST_REDIS nor " + testdb.PostgresEnv + " is set")
	}
	return out
}

// twoInstances runs fn with two server instances over one PostgreSQL
// store, once per broker.
func twoInstances(t *testing.T, mod func(*chat.Config), fn func(t *testing.T, a, b *chatEnv)) {
	for name, newBroker := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			st := testdb.Postgres(t)
			a := newChatEnv(t, st, newBroker(t), mod)
			b := newChatEnv(t, st, newBroker(t), mod)
			fn(t, a, b)
		})
	}
}

// TestChatAcrossInstances: a client on instance A posts, a client on
// instance B receives it, and presence and typing cross too.
func TestChatAcrossInstances(t *testing.T) {
	twoInstances(t, nil, func(t *testing.T, a, b *chatEnv) {
		ali, aliID := a.user("09120000301")
		bob, bobID := a.user("09120000302")
		room := num(a.call(http.MethodPost, "/api/chat/chatrooms/", ali, map[string]any{"user": bobID}).body["id"])
		sa := a.mustDial(room, ali, "")
		sb := b.mustDial(room, bob, "")
		time.Sleep(200 * time.Millisecond) // both subscriptions settle
		sa.send(map[string]any{"message": "from A", "client_id": "x1"})
		if f := sb.nextOf("message"); f["message"] != "from A" || num(f["sender_id"]) != aliID {
			t.Fatalf("B got %v", f)
		}
		if f := sa.nextOf("message"); f["message"] != "from A" {
			t.Errorf("A's acknowledgement %v", f)
		}
		sb.send(map[string]any{"message": "from B"})
		if f := sa.nextOf("message"); f["message"] != "from B" {
			t.Errorf("A got %v", f)
		}
		sb.send(map[string]any{"type": "typing"})
		if f := sa.nextOf("typing"); num(f["user_id"]) != bobID {
			t.Errorf("typing across %v", f)
		}
		// Presence is the same seen from either instance.
		for _, e := range []*chatEnv{a, b} {
			users := list(t, e.call(http.MethodGet, fmt.Sprintf("/api/chat/chatrooms/%d/presence/", room), ali, nil))
			if len(users) != 2 {
				t.Errorf("presence %v", users)
			}
		}
		// A ban on A closes the banned member's socket on B.
		owner, _ := a.user("09120000303")
		g := num(a.call(http.MethodPost, "/api/chat/chatrooms/", owner, map[string]any{"name": "g", "users": []int64{bobID}}).body["id"])
		gb := b.mustDial(g, bob, "")
		time.Sleep(200 * time.Millisecond)
		wantStatus(t, a.call(http.MethodPost, fmt.Sprintf("/api/chat/chatrooms/%d/bans/", g), owner, map[string]any{"user": bobID}), http.StatusNoContent)
		if code := gb.closed(); code != chat.CloseRemoved {
			t.Errorf("ban across: close %d, want 4003", code)
		}
		// A shuts down: its sockets close with 1001 and, at once, B no
		// longer lists their users as present.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.chat.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if code := sa.closed(); code != websocket.StatusGoingAway {
			t.Errorf("A's socket at shutdown: close %d, want 1001", code)
		}
		if f := sb.nextOf("leave"); num(f["user_id"]) != aliID {
			t.Errorf("leave after A's shutdown %v", f)
		}
		users := list(t, b.call(http.MethodGet, fmt.Sprintf("/api/chat/chatrooms/%d/presence/", room), bob, nil))
		if len(users) != 1 || num(users[0]["id"]) != bobID {
			t.Errorf("presence after A's shutdown %v, want bob alone", users)
		}
	})
}

// client is one socket of the load tests and what it received.
type client struct {
	s    *socket
	mu   sync.Mutex
	ids  []int64          // message ids received, in order
	acks map[string]int64 // client_id → id, for its own messages
	got  chan string      // client ids of its own messages as they come back
}

func newClient(s *socket) *client {
	c := &client{s: s, acks: map[string]int64{}, got: make(chan string, 1024)}
	go c.read()
	return c
}

// read records every message frame until the socket closes.
func (c *client) read() {
	for {
		f, err := c.s.read(time.Minute)
		if err != nil {
			close(c.got)
			return
		}
		if f["type"] != "message" {
			continue
		}
		id := num(f["id"])
		cid, _ := f["client_id"].(string)
		c.mu.Lock()
		if len(c.ids) == 0 || id > c.ids[len(c.ids)-1] {
			c.ids = append(c.ids, id)
		} else if !slices.Contains(c.ids, id) {
			c.ids = append(c.ids, -id) // out of order: a failure the checks see
		}
		_, mine := c.acks[cid]
		if mine {
			c.acks[cid] = id
		}
		c.mu.Unlock()
		if mine {
			c.got <- cid
		}
	}
}

// sendWait sends a message and waits for its acknowledgement.
func (c *client) sendWait(t *testing.T, cid, text string) bool {
	c.mu.Lock()
	c.acks[cid] = 0
	c.mu.Unlock()
	b := fmt.Sprintf(`{"message":%q,"client_id":%q}`, text, cid)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.s.ws.Write(ctx, websocket.MessageText, []byte(b)); err != nil {
		t.Errorf("write: %v", err)
		return false
	}
	for {
		select {
		case got, ok := <-c.got:
			if !ok {
				t.Errorf("socket closed waiting for %s", cid)
				return false
			}
			if got == cid {
				return true
			}
		case <-ctx.Done():
			t.Errorf("no acknowledgement of %s", cid)
			return false
		}
	}
}

func (c *client) received() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ids)
}

// TestChatNoLoss: 20 clients over two instances send messages (10,000
// with CHELSERU_TEST_FULL=1, 1,000 otherwise); every acknowledged message
// is stored once and reaches every connected client once, in order; a
// client that drops and comes back with after= gets exactly what it
// missed; a resent client id stores nothing new.
func TestChatNoLoss(t *testing.T) {
	twoInstances(t, func(c *chat.Config) { c.Rate = -1 }, func(t *testing.T, a, b *chatEnv) {
		const clients = 20
		total := scale(10_000)
		per := total / clients
		owner, _ := a.user("09120000400")
		tokens := make([]string, clients)
		ids := make([]int64, clients)
		for i := range clients {
			tokens[i], ids[i] = a.user(fmt.Sprintf("0912000%04d", 401+i))
		}
		room := num(a.call(http.MethodPost, "/api/chat/chatrooms/", owner, map[string]any{"name": "load", "users": ids}).body["id"])
		cs := make([]*client, clients)
		for i := range clients {
			e := a
			if i%2 == 1 {
				e = b
			}
			cs[i] = newClient(e.mustDial(room, tokens[i], ""))
		}
		time.Sleep(300 * time.Millisecond)

		// Client 0 drops after a third of its messages and comes back.
		var wg sync.WaitGroup
		var dropped *client
		var lastSeen int64
		for i, c := range cs {
			wg.Go(func() {
				for k := range per {
					cid := fmt.Sprintf("c%d-%d", i, k)
					if !c.sendWait(t, cid, "m "+cid) {
						return
					}
					if k%50 == 0 { // a resend: answered, never stored twice
						c.sendWait(t, cid, "again "+cid)
					}
					if i == 0 && k == per/3 {
						got := c.received()
						lastSeen = got[len(got)-1]
						c.s.ws.Close(websocket.StatusNormalClosure, "")
						time.Sleep(200 * time.Millisecond)
						c2 := newClient(a.mustDial(room, tokens[0], "after="+strconv.FormatInt(lastSeen, 10)))
						dropped, c = c, c2
						cs[0] = c2
					}
				}
			})
		}
		wg.Wait()
		time.Sleep(500 * time.Millisecond) // the last deliveries land

		var stored []int64
		for before := int64(0); ; {
			q := fmt.Sprintf("/api/chat/messages/?chat_room=%d&limit=200", room)
			if before > 0 {
				q += fmt.Sprintf("&before=%d", before)
			}
			page := list(t, a.call(http.MethodGet, q, owner, nil))
			ids := make([]int64, 0, len(page))
			for _, m := range page {
				ids = append(ids, num(m["id"]))
			}
			stored = append(ids, stored...)
			if len(page) < 200 {
				break
			}
			before = ids[0]
		}
		if len(stored) != total {
			t.Fatalf("%d messages stored, want %d", len(stored), total)
		}
		for i, c := range cs {
			got := c.received()
			if i == 0 {
				got = append(slices.DeleteFunc(dropped.received(), func(id int64) bool { return id > lastSeen }), got...)
			}
			if !slices.Equal(got, stored) {
				t.Errorf("client %d received %d messages (first diff at %d), want the %d stored, in order, once", i, len(got), firstDiff(got, stored), len(stored))
			}
		}
	})
}

func firstDiff(a, b []int64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestChatStuckReader: in a room of 100 sockets, one never reads; the
// others receive every message and the stuck one is disconnected (4009).
func TestChatStuckReader(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		// Small socket buffers on both sides, so that the stuck reader's
		// kernel buffers cannot hide that it never reads.
		e := newChatEnvServer(t, st, nil, func(c *chat.Config) { c.Rate = -1; c.SendQueue = 64 }, nil, func(srv *http.Server) {
			srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetWriteBuffer(8192)
				}
				return ctx
			}
		})
		const sockets = 100
		total := scale(10_000)
		owner, _ := e.user("09120000500")
		var ids []int64
		var tokens []string
		for i := range sockets {
			tok, id := e.user(fmt.Sprintf("0912000%04d", 501+i))
			ids, tokens = append(ids, id), append(tokens, tok)
		}
		room := num(e.call(http.MethodPost, "/api/chat/chatrooms/", owner, map[string]any{"name": "big", "users": ids}).body["id"])
		stuck := e.dialStuck(room, tokens[0])
		cs := make([]*client, 0, sockets-1)
		for i := 1; i < sockets; i++ {
			cs = append(cs, newClient(e.mustDial(room, tokens[i], "")))
		}
		sender := cs[0]
		start := time.Now()
		for k := range total {
			if !sender.sendWait(t, fmt.Sprint("s", k), fmt.Sprintf("message %d with some text to fill the pipes", k)) {
				t.Fatalf("send %d failed", k)
			}
		}
		elapsed := time.Since(start)
		time.Sleep(500 * time.Millisecond)
		for i, c := range cs {
			if n := len(c.received()); n != total {
				t.Errorf("socket %d received %d of %d", i+1, n, total)
			}
		}
		// Its queue overflowed: the server closes it with 4009, but a
		// reader that never reads cannot receive the close frame behind
		// the data it left unread, so the connection may just end.
		if code := stuck.closed(); code != chat.CloseTooSlow && code != -1 {
			t.Errorf("the stuck reader: close %d, want 4009 or a dropped connection", code)
		}
		users := list(t, e.call(http.MethodGet, fmt.Sprintf("/api/chat/chatrooms/%d/presence/", room), tokens[1], nil))
		for _, u := range users {
			if num(u["id"]) == ids[0] {
				t.Error("the stuck reader is still connected")
			}
		}
		t.Logf("%d messages to %d sockets in %v", total, sockets-1, elapsed)
	})
}
