package redisbroker_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/brokertest"
	"github.com/chelseru/chelseru-go/chat/redisbroker"
)

// redisAddr returns CHELSERU_TEST_REDIS or skips t.
func redisAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("CHELSERU_TEST_REDIS")
	if addr == "" {
		t.Skip("CHELSERU_TEST_REDIS not set")
	}
	return addr
}

// newClient returns a client of addr closed when t ends.
func newClient(t *testing.T, addr, name string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ClientName: name})
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix is a channel prefix no other test uses.
func testPrefix(t *testing.T) string {
	return "chelseru-test:" + rand.Text()[:10] + ":" + t.Name() + ":"
}

func TestConformance(t *testing.T) {
	addr := redisAddr(t)
	prefixes := map[string]string{} // subtest → prefix shared by its instances
	var mu sync.Mutex
	brokertest.Run(t, func(t *testing.T) chat.Broker {
		mu.Lock()
		prefix, ok := prefixes[t.Name()]
		if !ok {
			prefix = testPrefix(t)
			prefixes[t.Name()] = prefix
		}
		mu.Unlock()
		b, err := redisbroker.New(redisbroker.Config{Client: newClient(t, addr, ""), Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestNew(t *testing.T) {
	if err := (redisbroker.Config{}).Validate(); err == nil {
		t.Error("Validate without a Client: no error")
	}
	if _, err := redisbroker.New(redisbroker.Config{}); err == nil {
		t.Error("New without a Client: no error")
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	if _, err := redisbroker.New(redisbroker.Config{Client: ring}); err == nil {
		t.Error("New with a Ring: no error")
	}
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	b, err := redisbroker.New(redisbroker.Config{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := b.Subscribe(context.Background(), 1); !errors.Is(err, redisbroker.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

// killPubSub kills the PubSub connection of the client named name.
func killPubSub(t *testing.T, admin *redis.Client, name string) {
	t.Helper()
	ctx := context.Background()
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for line := range strings.SplitSeq(strings.TrimSpace(list), "\n") {
		f := map[string]string{}
		for kv := range strings.FieldsSeq(line) {
			k, v, _ := strings.Cut(kv, "=")
			f[k] = v
		}
		if f["name"] != name || f["sub"] == "0" || f["sub"] == "" {
			continue
		}
		if err := admin.ClientKillByFilter(ctx, "ID", f["id"]).Err(); err != nil {
			t.Fatal(err)
		}
		killed++
	}
	if killed != 1 {
		t.Fatalf("killed %d PubSub connections named %q, want 1:\n%s", killed, name, list)
	}
}

func TestReconnect(t *testing.T) {
	addr := redisAddr(t)
	name := "chelseru-test-" + strings.ToLower(rand.Text()[:8])
	prefix := testPrefix(t)
	b, err := redisbroker.New(redisbroker.Config{Client: newClient(t, addr, name), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	other, err := redisbroker.New(redisbroker.Config{Client: newClient(t, addr, ""), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Subscribe once Run reads (it then waits for Redis's confirmation),
	// so that no early subscription calls reconnected.
	time.Sleep(100 * time.Millisecond)
	const room = 7
	if err := b.Subscribe(ctx, room); err != nil {
		t.Fatal(err)
	}
	if err := other.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: room, ID: 1}); err != nil {
		t.Fatal(err)
	}
	r.Await(t, room, 1)
	select {
	case <-r.Reconnected:
		t.Fatal("reconnected called on the first subscription")
	default:
	}

	for round := 2; round <= 3; round++ {
		killPubSub(t, newClient(t, addr, ""), name)
		select {
		case <-r.Reconnected:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: reconnected not called after the PubSub connection was killed", round)
		}
		id := int64(round)
		if err := other.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: room, ID: id}); err != nil {
			t.Fatal(err)
		}
		r.Await(t, room, id)
	}
	select {
	case <-r.Reconnected:
		t.Error("reconnected called more than once per reconnection")
	case <-time.After(200 * time.Millisecond):
	}
}

// Many rooms subscribed: the resubscription after a reconnection confirms
// each, and reconnected is still called once.
func TestReconnectManyRooms(t *testing.T) {
	addr := redisAddr(t)
	name := "chelseru-test-" + strings.ToLower(rand.Text()[:8])
	prefix := testPrefix(t)
	b, err := redisbroker.New(redisbroker.Config{Client: newClient(t, addr, name), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	time.Sleep(100 * time.Millisecond)
	for room := int64(1); room <= 20; room++ {
		if err := b.Subscribe(ctx, room); err != nil {
			t.Fatal(err)
		}
	}
	killPubSub(t, newClient(t, addr, ""), name)
	select {
	case <-r.Reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("reconnected not called")
	}
	for room := int64(1); room <= 20; room++ {
		if err := b.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: room, ID: room}); err != nil {
			t.Fatal(err)
		}
		r.Await(t, room, room)
	}
	select {
	case <-r.Reconnected:
		t.Error("reconnected called more than once for one reconnection")
	case <-time.After(200 * time.Millisecond):
	}
}

// A Subscribe made before Run reads returns at once; Run calls
// reconnected when Redis confirms it, as envelopes published in between
// may be lost.
func TestSubscribeBeforeRun(t *testing.T) {
	addr := redisAddr(t)
	b, err := redisbroker.New(redisbroker.Config{Client: newClient(t, addr, ""), Prefix: testPrefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for room := int64(1); room <= 3; room++ {
		if err := b.Subscribe(ctx, room); err != nil {
			t.Fatal(err)
		}
	}
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	select {
	case <-r.Reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("reconnected not called for subscriptions made before Run")
	}
	if err := b.Publish(ctx, chat.Envelope{Type: chat.EventJoin, Room: 2, ID: 9}); err != nil {
		t.Fatal(err)
	}
	r.Await(t, 2, 9)
	select {
	case <-r.Reconnected:
		t.Error("reconnected called twice")
	case <-time.After(200 * time.Millisecond):
	}
}

// Envelopes on a room's channel that do not decode, or that name another
// room, are dropped.
func TestForeignPayloads(t *testing.T) {
	addr := redisAddr(t)
	prefix := testPrefix(t)
	client := newClient(t, addr, "")
	b, err := redisbroker.New(redisbroker.Config{Client: client, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	time.Sleep(100 * time.Millisecond)
	if err := b.Subscribe(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(ctx, 2); err != nil {
		t.Fatal(err)
	}
	client.Publish(ctx, prefix+"1", "not json")
	client.Publish(ctx, prefix+"1", `{"t":"typing","r":2,"i":5}`)
	if err := b.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: 1, ID: 6}); err != nil {
		t.Fatal(err)
	}
	select {
	case env := <-r.Envs:
		if env.ID != 6 {
			t.Errorf("delivered %+v, want only envelope 6", env)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing delivered")
	}
}

func TestDefaultPrefix(t *testing.T) {
	addr := redisAddr(t)
	client := newClient(t, addr, "")
	b, err := redisbroker.New(redisbroker.Config{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub := client.Subscribe(ctx, redisbroker.DefaultPrefix+"123456789")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the confirmation
		t.Fatal(err)
	}
	if err := b.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: 123456789}); err != nil {
		t.Fatal(err)
	}
	m, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var env chat.Envelope
	if err := env.UnmarshalBinary([]byte(m.Payload)); err != nil || env.Room != 123456789 {
		t.Errorf("on %s got %q (%v)", m.Channel, m.Payload, err)
	}
}
