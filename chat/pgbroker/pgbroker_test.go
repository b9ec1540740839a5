package pgbroker_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/brokertest"
	"github.com/chelseru/chelseru-go/chat/pgbroker"
)

// pgDSN returns CHELSERU_TEST_POSTGRES or skips t.
func pgDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("CHELSERU_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CHELSERU_TEST_POSTGRES not set")
	}
	return dsn
}

// withAppName returns dsn with application_name set to name.
func withAppName(t *testing.T, dsn, name string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		return dsn + " application_name=" + name
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// testChannel is a NOTIFY channel no other test uses.
func testChannel() string { return "t_" + strings.ToLower(rand.Text()[:16]) }

func newBroker(t *testing.T, cfg pgbroker.Config) *pgbroker.Broker {
	t.Helper()
	b, err := pgbroker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	return b
}

func TestConformance(t *testing.T) {
	dsn := pgDSN(t)
	channels := map[string]string{} // subtest → channel shared by its instances
	var mu sync.Mutex
	brokertest.Run(t, func(t *testing.T) chat.Broker {
		mu.Lock()
		ch, ok := channels[t.Name()]
		if !ok {
			ch = testChannel()
			channels[t.Name()] = ch
		}
		mu.Unlock()
		return newBroker(t, pgbroker.Config{DSN: dsn, Channel: ch})
	}, brokertest.SlimMessages())
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  pgbroker.Config
	}{
		{"no DSN", pgbroker.Config{}},
		{"bad DSN", pgbroker.Config{DSN: "postgres://%zz"}},
		{"channel with a space", pgbroker.Config{DSN: "postgres://x@127.0.0.1/db", Channel: "a b"}},
		{"channel with a quote", pgbroker.Config{DSN: "postgres://x@127.0.0.1/db", Channel: `a"b`}},
		{"channel with a dash", pgbroker.Config{DSN: "postgres://x@127.0.0.1/db", Channel: "chat-rooms"}},
		{"channel starting with a digit", pgbroker.Config{DSN: "postgres://x@127.0.0.1/db", Channel: "1chat"}},
		{"channel not ASCII", pgbroker.Config{DSN: "postgres://x@127.0.0.1/db", Channel: "چت"}},
		{"channel with upper case", pgbroker.Config{DSN: "postgres://x@127.0.0.1/db", Channel: "Chat"}},
		{"channel too long", pgbroker.Config{DSN: "postgres://x@127.0.0.1/db", Channel: strings.Repeat("c", 64)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err == nil {
				t.Errorf("Validate(%+v): no error", tt.cfg)
			}
			if b, err := pgbroker.New(tt.cfg); err == nil {
				b.Close(context.Background())
				t.Errorf("New(%+v): no error", tt.cfg)
			}
		})
	}
	for _, ch := range []string{"", "chat", "chat_rooms_2", "_x", strings.Repeat("c", 63)} {
		b, err := pgbroker.New(pgbroker.Config{DSN: "postgres://x@127.0.0.1:1/db", Channel: ch})
		if err != nil {
			t.Errorf("channel %q: %v", ch, err)
			continue
		}
		if err := b.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := b.Publish(context.Background(), chat.Envelope{Type: chat.EventTyping, Room: 1}); !errors.Is(err, pgbroker.ErrClosed) {
			t.Errorf("Publish after Close = %v, want ErrClosed", err)
		}
	}
}

// ready subscribes room on b and publishes to it through pub until an
// envelope comes back, so that b's Run is known to listen, then drops what
// that left behind.
func ready(t *testing.T, b, pub *pgbroker.Broker, r *brokertest.Recorder, room int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Subscribe(ctx, room); err != nil {
		t.Fatal(err)
	}
	for {
		if err := pub.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: room, ID: -1}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-r.Envs:
			time.Sleep(100 * time.Millisecond)
			for len(r.Envs) > 0 {
				<-r.Envs
			}
			for len(r.Reconnected) > 0 {
				<-r.Reconnected
			}
			return
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("Run does not listen")
		}
	}
}

// listenerPID waits for the backend pid of the connection with
// application_name app that is not in old, and returns it: the listening
// one, as its Broker never publishes (terminated backends may still show
// for a moment).
func listenerPID(t *testing.T, admin *pgx.Conn, app string, old []int32) int32 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var pid int32
		err := admin.QueryRow(context.Background(),
			`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> ALL($2)`, app, old).Scan(&pid)
		if err == nil {
			return pid
		}
		if !errors.Is(err, pgx.ErrNoRows) || time.Now().After(deadline) {
			t.Fatalf("the listening connection of %s: %v", app, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReconnect(t *testing.T) {
	base := pgDSN(t)
	app := "pgbroker_test_" + strings.ToLower(rand.Text()[:8])
	ch := testChannel()
	b := newBroker(t, pgbroker.Config{DSN: withAppName(t, base, app), Channel: ch})
	other := newBroker(t, pgbroker.Config{DSN: base, Channel: ch})
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	const room = 3
	ready(t, b, other, r, room)

	admin, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	old := []int32{} // not nil: NULL would match no pid
	pid := listenerPID(t, admin, app, old)
	for round := int64(1); round <= 2; round++ {
		var ok bool
		if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
			t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
		}
		select {
		case <-r.Reconnected:
		case <-time.After(15 * time.Second):
			t.Fatalf("round %d: reconnected not called after the listening connection was terminated", round)
		}
		old = append(old, pid)
		pid = listenerPID(t, admin, app, old) // a new backend listens
		if err := other.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: room, ID: round}); err != nil {
			t.Fatal(err)
		}
		r.Await(t, room, round)
	}
	select {
	case <-r.Reconnected:
		t.Error("reconnected called more than once per reconnection")
	case <-time.After(200 * time.Millisecond):
	}
}

// Message, edit and delete envelopes arrive Slim; the others whole.
func TestSlim(t *testing.T) {
	ch := testChannel()
	dsn := pgDSN(t)
	b := newBroker(t, pgbroker.Config{DSN: dsn, Channel: ch})
	other := newBroker(t, pgbroker.Config{DSN: dsn, Channel: ch})
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	const room = 11
	ready(t, b, b, r, room)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	long := strings.Repeat("ب", 5000) // 10000 bytes: a NOTIFY could not carry it
	for i, env := range []chat.Envelope{
		{Type: chat.EventMessage, Room: room, Seq: 9, ID: 1, UserID: 4, Username: "u", Text: long, ClientID: "c", At: at},
		{Type: chat.EventEdit, Room: room, Seq: 9, ID: 2, UserID: 4, Text: long, At: at},
		{Type: chat.EventDelete, Room: room, Seq: 9, ID: 3, UserID: 4, Text: "x", At: at},
		{Type: chat.EventTyping, Room: room, ID: 4, UserID: 4, Username: "typist"},
	} {
		if err := other.Publish(ctx, env); err != nil {
			t.Fatalf("Publish #%d: %v", i, err)
		}
		got := r.Await(t, room, env.ID)
		want := env.Slim()
		if env.Type == chat.EventTyping {
			want = env
		}
		if got.Text != want.Text || got.Username != want.Username || got.ClientID != want.ClientID ||
			got.Thin != want.Thin || got.Seq != want.Seq || got.UserID != want.UserID || !got.At.Equal(want.At) {
			t.Errorf("#%d: got %+v, want %+v", i, got, want)
		}
		if env.Type != chat.EventTyping && !got.Thin {
			t.Errorf("#%d: a %s envelope arrived without Thin", i, env.Type)
		}
	}
}

// An envelope over MaxPayload even Slim loses its optional fields; one too
// large even then is refused.
func TestPayloadSize(t *testing.T) {
	ch := testChannel()
	dsn := pgDSN(t)
	b := newBroker(t, pgbroker.Config{DSN: dsn, Channel: ch})
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	const room = 12
	ready(t, b, b, r, room)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	fits := chat.Envelope{Type: chat.EventTyping, Room: room, ID: 1, UserID: 5, Username: strings.Repeat("n", 7000)}
	if err := b.Publish(ctx, fits); err != nil {
		t.Fatal(err)
	}
	if got := r.Await(t, room, 1); got.Username != fits.Username {
		t.Errorf("a %d-byte Username that fits did not arrive whole", len(fits.Username))
	}

	huge := chat.Envelope{Type: chat.EventTyping, Room: room, ID: 2, UserID: 5, Username: strings.Repeat("n", 9000), ClientID: "c"}
	if err := b.Publish(ctx, huge); err != nil {
		t.Fatal(err)
	}
	got := r.Await(t, room, 2)
	if got.Username != "" || got.ClientID != "" || got.UserID != 5 || got.Type != chat.EventTyping {
		t.Errorf("oversized envelope arrived as %+v, want its ids without Username and ClientID", got)
	}

	absurd := chat.Envelope{Type: strings.Repeat("t", 8000), Room: room, ID: 3}
	if err := b.Publish(ctx, absurd); !errors.Is(err, pgbroker.ErrTooLarge) {
		t.Errorf("Publish of an envelope with an 8000-byte Type = %v, want ErrTooLarge", err)
	}
}

// A Subscribe made before Run listens makes Run call reconnected once it
// does; an envelope published in between may have been missed.
func TestSubscribeBeforeRun(t *testing.T) {
	b := newBroker(t, pgbroker.Config{DSN: pgDSN(t), Channel: testChannel()})
	if err := b.Subscribe(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	select {
	case <-r.Reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("reconnected not called for a subscription made before Run")
	}
	if err := b.Publish(context.Background(), chat.Envelope{Type: chat.EventJoin, Room: 1, ID: 8}); err != nil {
		t.Fatal(err)
	}
	r.Await(t, 1, 8)
	select {
	case <-r.Reconnected:
		t.Error("reconnected called twice")
	case <-time.After(200 * time.Millisecond):
	}
}

// Run keeps trying while the server cannot be reached, and returns when
// its ctx is done.
func TestRunUnreachable(t *testing.T) {
	b := newBroker(t, pgbroker.Config{DSN: "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, func(chat.Envelope) {}, func() {}) }()
	time.Sleep(400 * time.Millisecond) // a few attempts
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
}

// Notifications on the channel that are not envelopes are dropped.
func TestForeignPayloads(t *testing.T) {
	dsn := pgDSN(t)
	ch := testChannel()
	b := newBroker(t, pgbroker.Config{DSN: dsn, Channel: ch})
	r := brokertest.NewRecorder()
	brokertest.Start(t, b, r)
	const room = 5
	ready(t, b, b, r, room)
	admin, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.Exec(ctx, "SELECT pg_notify($1, 'not json')", ch); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `SELECT pg_notify($1, '{"t":"typing","r":6,"i":1}')`, ch); err != nil { // room 6: not subscribed
		t.Fatal(err)
	}
	if err := b.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: room, ID: 2}); err != nil {
		t.Fatal(err)
	}
	select {
	case env := <-r.Envs:
		if env.ID != 2 {
			t.Errorf("delivered %+v, want only envelope 2", env)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing delivered")
	}
}
