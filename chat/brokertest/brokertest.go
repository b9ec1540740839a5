package brokertest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/chat"
)

// How long the kit waits for what must happen, and how long it watches for
// what must not.
const (
	waitTimeout = 10 * time.Second
	stopTimeout = 5 * time.Second
	quiet       = 200 * time.Millisecond
)

// An Option changes what Run expects of a broker.
type Option func(*options)

type options struct {
	isolated bool
	slim     bool
}

// Isolated tells Run that the brokers newBroker returns share nothing, so
// that an envelope published on one never reaches another: the
// cross-instance subtests are skipped and the others use one instance.
// [chat.MemoryBroker] needs it.
func Isolated() Option { return func(o *options) { o.isolated = true } }

// SlimMessages tells Run that the broker delivers message, edit and delete
// envelopes as [chat.Envelope.Slim] returns them (ids only, Thin set). The
// other envelopes must still arrive whole.
func SlimMessages() Option { return func(o *options) { o.slim = true } }

// Run checks that the brokers made by newBroker keep the [chat.Broker]
// contract, each check in a subtest of t. See the package documentation
// for what newBroker must return and what is checked.
func Run(t *testing.T, newBroker func(t *testing.T) chat.Broker, opts ...Option) {
	t.Helper()
	k := &kit{newBroker: newBroker, base: 1<<40 + rand.Int64N(1<<50)}
	for _, opt := range opts {
		opt(&k.opts)
	}
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"LocalDelivery", k.testLocalDelivery},
		{"OtherInstance", k.testOtherInstance},
		{"Unsubscribed", k.testUnsubscribed},
		{"Idempotent", k.testIdempotent},
		{"ManyRooms", k.testManyRooms},
		{"Fields", k.testFields},
		{"Concurrent", k.testConcurrent},
		{"CancelledContext", k.testCancelledContext},
		{"WithoutRun", k.testWithoutRun},
		{"RunCancelled", k.testRunCancelled},
		{"RunStops", k.testRunStops},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.fn)
	}
}

type kit struct {
	newBroker func(t *testing.T) chat.Broker
	opts      options
	base      int64        // random start of this Run's room ids
	next      atomic.Int64 // rooms and envelope ids taken
}

// room returns a room id nobody used before.
func (k *kit) room() int64 { return k.base + k.next.Add(1) }

// id returns an envelope id nobody used before.
func (k *kit) id() int64 { return k.base + k.next.Add(1) }

// want is env as the broker must deliver it.
func (k *kit) want(env chat.Envelope) chat.Envelope {
	if k.opts.slim {
		return env.Slim()
	}
	return env
}

// instance is a broker whose Run runs, with what it delivered.
type instance struct {
	name string
	b    chat.Broker

	mu         sync.Mutex
	got        []chat.Envelope
	ready      bool // the first probe came back
	reconnects int  // reconnected calls once ready
	signal     chan struct{}

	stopOnce  sync.Once
	closeOnce sync.Once
	cancel    context.CancelFunc
	done      chan error
}

func (in *instance) deliver(env chat.Envelope) {
	in.mu.Lock()
	in.got = append(in.got, env)
	in.mu.Unlock()
	select {
	case in.signal <- struct{}{}:
	default:
	}
}

func (in *instance) reconnected() {
	in.mu.Lock()
	if in.ready {
		in.reconnects++
	}
	in.mu.Unlock()
}

// received returns the envelopes delivered for rooms (every room when none
// is given).
func (in *instance) received(rooms ...int64) []chat.Envelope {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []chat.Envelope
	for _, env := range in.got {
		if len(rooms) == 0 || slices.Contains(rooms, env.Room) {
			out = append(out, env)
		}
	}
	return out
}

// await waits until cond holds for what was delivered so far, and fails t
// when it does not within waitTimeout.
func (in *instance) await(t *testing.T, what string, cond func(got []chat.Envelope) bool) bool {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		in.mu.Lock()
		ok := cond(in.got)
		in.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-in.signal:
		case <-deadline.C:
			t.Errorf("%s: %s: not within %v", in.name, what, waitTimeout)
			return false
		}
	}
}

// awaitIDs waits until every id has been delivered for room.
func (in *instance) awaitIDs(t *testing.T, room int64, ids ...int64) bool {
	t.Helper()
	return in.await(t, fmt.Sprintf("envelopes %v of room %d delivered", ids, room), func(got []chat.Envelope) bool {
		seen := map[int64]bool{}
		for _, env := range got {
			if env.Room == room {
				seen[env.ID] = true
			}
		}
		for _, id := range ids {
			if !seen[id] {
				return false
			}
		}
		return true
	})
}

// stop cancels Run's ctx and checks that Run returns soon with nil or the
// ctx's error. It is safe to call more than once.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.stopOnce.Do(func() {
		in.cancel()
		select {
		case err := <-in.done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("%s: Run returned %v after its ctx was cancelled, want nil or context.Canceled", in.name, err)
			}
		case <-time.After(stopTimeout):
			t.Errorf("%s: Run did not return within %v of its ctx being cancelled", in.name, stopTimeout)
		}
	})
}

// close calls Close, if the broker has it, once.
func (in *instance) close(t *testing.T) {
	t.Helper()
	in.closeOnce.Do(func() { closeBroker(t, in.name, in.b) })
}

// start makes a broker, runs it, and waits until an envelope it publishes
// comes back to it, so that Run is known to be receiving.
func (k *kit) start(t *testing.T, name string) *instance {
	t.Helper()
	b := k.newBroker(t)
	if b == nil {
		t.Fatal("newBroker returned nil")
	}
	in := &instance{name: name, b: b, signal: make(chan struct{}, 1), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { in.done <- b.Run(ctx, in.deliver, in.reconnected) }()
	t.Cleanup(func() {
		in.stop(t)
		in.mu.Lock()
		n := in.reconnects
		in.mu.Unlock()
		if n > 0 {
			t.Errorf("%s: reconnected was called %d times while the backend was healthy", in.name, n)
		}
		in.close(t)
	})
	k.probe(t, in)
	return in
}

// probe subscribes a fresh room and publishes to it until an envelope
// comes back, then unsubscribes it and marks in ready.
func (k *kit) probe(t *testing.T, in *instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	room := k.room()
	if err := in.b.Subscribe(ctx, room); err != nil {
		t.Fatalf("%s: Subscribe(%d) right after Run started: %v", in.name, room, err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for len(in.received(room)) == 0 {
		if err := in.b.Publish(ctx, chat.Envelope{Type: chat.EventTyping, Room: room, ID: k.id()}); err != nil {
			lastErr = err
		}
		select {
		case <-tick.C:
		case <-in.signal:
		case <-ctx.Done():
			t.Fatalf("%s: no envelope came back within %v of Run starting (is the backend up?); last Publish error: %v",
				in.name, waitTimeout, lastErr)
		}
	}
	if err := in.b.Unsubscribe(ctx, room); err != nil {
		t.Fatalf("%s: Unsubscribe(%d): %v", in.name, room, err)
	}
	in.mu.Lock()
	in.ready = true
	in.mu.Unlock()
}

// instances returns two running instances on one backend, or one when the
// brokers are isolated.
func (k *kit) instances(t *testing.T) []*instance {
	t.Helper()
	if k.opts.isolated {
		return []*instance{k.start(t, "instance A")}
	}
	return []*instance{k.start(t, "instance A"), k.start(t, "instance B")}
}

// pair returns two running instances on one backend, or skips t.
func (k *kit) pair(t *testing.T) (a, b *instance) {
	t.Helper()
	if k.opts.isolated {
		t.Skip("brokertest.Isolated: the instances share nothing")
	}
	return k.start(t, "instance A"), k.start(t, "instance B")
}

func subscribe(t *testing.T, in *instance, room int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := in.b.Subscribe(ctx, room); err != nil {
		t.Fatalf("%s: Subscribe(%d): %v", in.name, room, err)
	}
}

func unsubscribe(t *testing.T, in *instance, room int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := in.b.Unsubscribe(ctx, room); err != nil {
		t.Fatalf("%s: Unsubscribe(%d): %v", in.name, room, err)
	}
}

func publish(t *testing.T, in *instance, env chat.Envelope) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := in.b.Publish(ctx, env); err != nil {
		t.Errorf("%s: Publish(%+v): %v", in.name, env, err)
	}
}

// flush publishes a marker to room (which every instance subscribed) from
// from, waits until every instance has it, then waits a little more: what
// was published before it had its chance to arrive.
func (k *kit) flush(t *testing.T, ins []*instance, from *instance, room int64) {
	t.Helper()
	id := k.id()
	publish(t, from, chat.Envelope{Type: chat.EventRead, Room: room, ID: id})
	for _, in := range ins {
		in.awaitIDs(t, room, id)
	}
	time.Sleep(quiet)
}

// count is how many envelopes of room with id in were delivered.
func count(in *instance, room, id int64) int {
	n := 0
	for _, env := range in.received(room) {
		if env.ID == id {
			n++
		}
	}
	return n
}

func (k *kit) testLocalDelivery(t *testing.T) {
	a := k.start(t, "instance A")
	room := k.room()
	subscribe(t, a, room)
	env := chat.Envelope{Type: chat.EventMessage, Room: room, Seq: 1, ID: k.id(), UserID: 7, Text: "hello", At: time.Now()}
	publish(t, a, env)
	if a.awaitIDs(t, room, env.ID) {
		checkEnvelope(t, a.name, a.received(room)[0], k.want(env))
	}
}

func (k *kit) testOtherInstance(t *testing.T) {
	a, b := k.pair(t)
	room := k.room()
	subscribe(t, a, room)
	subscribe(t, b, room)
	e1 := chat.Envelope{Type: chat.EventMessage, Room: room, Seq: 1, ID: k.id(), UserID: 1, Text: "from A", At: time.Now()}
	e2 := chat.Envelope{Type: chat.EventMessage, Room: room, Seq: 2, ID: k.id(), UserID: 2, Text: "from B", At: time.Now()}
	publish(t, a, e1)
	publish(t, b, e2)
	for _, in := range []*instance{a, b} {
		if !in.awaitIDs(t, room, e1.ID, e2.ID) {
			continue
		}
		for _, got := range in.received(room) {
			want := e1
			if got.ID == e2.ID {
				want = e2
			}
			checkEnvelope(t, in.name, got, k.want(want))
		}
	}
}

func (k *kit) testUnsubscribed(t *testing.T) {
	ins := k.instances(t)
	pub, rx := ins[0], ins[len(ins)-1]
	marker, gone, never := k.room(), k.room(), k.room()
	for _, in := range ins {
		subscribe(t, in, marker)
		subscribe(t, in, gone)
	}
	subscribe(t, rx, never) // and unsubscribed again right away: "never" for rx too
	unsubscribe(t, rx, never)
	unsubscribe(t, rx, gone)

	toNever := chat.Envelope{Type: chat.EventMessage, Room: never, ID: k.id(), Text: "nobody"}
	toGone := chat.Envelope{Type: chat.EventMessage, Room: gone, ID: k.id(), Text: "not rx"}
	publish(t, pub, toNever)
	publish(t, pub, toGone)
	k.flush(t, ins, pub, marker)

	for _, in := range ins {
		if got := in.received(never); len(got) > 0 {
			t.Errorf("%s: got %+v of room %d that nobody subscribed", in.name, got, never)
		}
	}
	if n := count(rx, gone, toGone.ID); n > 0 {
		t.Errorf("%s: got the envelope of room %d %d times after Unsubscribe", rx.name, gone, n)
	}
	if rx != pub {
		if n := count(pub, gone, toGone.ID); n != 1 {
			t.Errorf("%s: got the envelope of room %d %d times, want once (it is still subscribed)", pub.name, gone, n)
		}
	}
}

func (k *kit) testIdempotent(t *testing.T) {
	ins := k.instances(t)
	pub, rx := ins[0], ins[len(ins)-1]
	marker, room, other := k.room(), k.room(), k.room()
	for _, in := range ins {
		subscribe(t, in, marker)
	}
	subscribe(t, rx, room)
	subscribe(t, rx, room)

	first := chat.Envelope{Type: chat.EventTyping, Room: room, ID: k.id(), UserID: 3}
	publish(t, pub, first)
	rx.awaitIDs(t, room, first.ID)
	k.flush(t, ins, pub, marker)
	if n := count(rx, room, first.ID); n != 1 {
		t.Errorf("%s: subscribed twice, got an envelope %d times, want once", rx.name, n)
	}

	unsubscribe(t, rx, room)
	unsubscribe(t, rx, room)
	unsubscribe(t, rx, other) // never subscribed
	second := chat.Envelope{Type: chat.EventTyping, Room: room, ID: k.id(), UserID: 3}
	publish(t, pub, second)
	k.flush(t, ins, pub, marker)
	if n := count(rx, room, second.ID); n != 0 {
		t.Errorf("%s: unsubscribed, got an envelope %d times", rx.name, n)
	}

	subscribe(t, rx, room)
	third := chat.Envelope{Type: chat.EventTyping, Room: room, ID: k.id(), UserID: 3}
	publish(t, pub, third)
	rx.awaitIDs(t, room, third.ID)
	k.flush(t, ins, pub, marker)
	if n := count(rx, room, third.ID); n != 1 {
		t.Errorf("%s: subscribed again, got an envelope %d times, want once", rx.name, n)
	}
}

func (k *kit) testManyRooms(t *testing.T) {
	ins := k.instances(t)
	marker := k.room()
	for _, in := range ins {
		subscribe(t, in, marker)
	}
	// Instance i subscribes the rooms whose index is a multiple of i+2:
	// rooms of one, of both and of nobody.
	const nRooms, perRoom = 24, 3
	rooms := make([]int64, nRooms)
	for r := range rooms {
		rooms[r] = k.room()
		for i, in := range ins {
			if r%(i+2) == 0 {
				subscribe(t, in, rooms[r])
			}
		}
	}
	roomOf := map[int64]int64{} // envelope id → room
	n := 0
	for _, room := range rooms {
		for range perRoom {
			env := chat.Envelope{Type: chat.EventMessage, Room: room, ID: k.id(), Seq: int64(n)}
			roomOf[env.ID] = room
			publish(t, ins[n%len(ins)], env)
			n++
		}
	}
	for i, in := range ins {
		for r, room := range rooms {
			if r%(i+2) != 0 {
				continue
			}
			var ids []int64
			for id, of := range roomOf {
				if of == room {
					ids = append(ids, id)
				}
			}
			in.awaitIDs(t, room, ids...)
		}
	}
	k.flush(t, ins, ins[0], marker)
	for i, in := range ins {
		perRoomGot := map[int64]int{}
		for _, env := range in.received(rooms...) {
			if room, ok := roomOf[env.ID]; !ok || room != env.Room {
				t.Errorf("%s: envelope %d delivered as of room %d, published to room %d", in.name, env.ID, env.Room, room)
			}
			perRoomGot[env.Room]++
		}
		for r, room := range rooms {
			want := 0
			if r%(i+2) == 0 {
				want = perRoom
			}
			if perRoomGot[room] != want {
				t.Errorf("%s: got %d envelopes of room %d, want %d", in.name, perRoomGot[room], room, want)
			}
		}
	}
}

func (k *kit) testFields(t *testing.T) {
	ins := k.instances(t)
	pub := ins[0]
	room, bare, marker := k.room(), k.room(), k.room()
	for _, in := range ins {
		subscribe(t, in, room)
		subscribe(t, in, bare)
		subscribe(t, in, marker)
	}
	at := time.Date(2026, 3, 21, 9, 30, 15, 123456789, time.FixedZone("IRST", 3*3600+1800))
	envs := []chat.Envelope{
		{Type: chat.EventMessage, Room: room, Seq: 1<<53 + 1, ID: 1<<62 + 1, UserID: 1<<61 + 3, Username: "Zoë 🙂",
			Text: "سلام \"quoted\" <b>&amp;</b>\n\ttab \u2028 \x00 end", ClientID: "c-1/ü", At: at},
		{Type: chat.EventEdit, Room: room, Seq: 2, ID: k.id(), UserID: 5, Text: "edited", At: at.Add(time.Minute)},
		{Type: chat.EventDelete, Room: room, Seq: 3, ID: k.id(), UserID: 5, At: at},
		{Type: chat.EventMessage, Room: room, Seq: 4, ID: k.id(), UserID: 6, At: at, Thin: true},
		{Type: chat.EventTyping, Room: room, ID: k.id(), UserID: 7, Username: "typist"},
		{Type: chat.EventRead, Room: room, ID: k.id(), UserID: 8, At: at},
		{Type: chat.EventJoin, Room: room, ID: k.id(), UserID: 9, Username: "joiner", At: at},
		{Type: chat.EventLeave, Room: room, ID: k.id(), UserID: 9, Username: "joiner", At: at},
		{Type: chat.EventKick, Room: room, ID: k.id(), UserID: 10},
		{Type: chat.EventRoomDeleted, Room: room, ID: k.id()},
		{Type: "custom-future-type", Room: room, Seq: -1, ID: k.id(), UserID: -2, Username: "u", Text: "t",
			ClientID: "c", At: time.Unix(0, 1).UTC()},
	}
	ids := make([]int64, len(envs))
	byID := map[int64]chat.Envelope{}
	for i, env := range envs {
		ids[i] = env.ID
		byID[env.ID] = env
		publish(t, pub, env)
	}
	zero := chat.Envelope{Type: chat.EventJoin, Room: bare}
	publish(t, pub, zero)
	for _, in := range ins {
		if in.awaitIDs(t, room, ids...) {
			for _, got := range in.received(room) {
				checkEnvelope(t, in.name, got, k.want(byID[got.ID]))
			}
		}
		if in.await(t, "the envelope with Type and Room only delivered", func(got []chat.Envelope) bool {
			return slices.ContainsFunc(got, func(e chat.Envelope) bool { return e.Room == bare })
		}) {
			checkEnvelope(t, in.name, in.received(bare)[0], zero)
		}
	}
	k.flush(t, ins, pub, marker)
	for _, in := range ins {
		if got, want := len(in.received(room)), len(envs); got != want {
			t.Errorf("%s: got %d envelopes, want %d (each once)", in.name, got, want)
		}
	}
}

func (k *kit) testConcurrent(t *testing.T) {
	ins := k.instances(t)
	marker, room := k.room(), k.room()
	for _, in := range ins {
		subscribe(t, in, marker)
		subscribe(t, in, room)
	}
	const goroutines, each = 8, 25
	ids := make([]int64, goroutines*each)
	for i := range ids {
		ids[i] = k.id()
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range goroutines {
		wg.Go(func() {
			from := ins[g%len(ins)]
			for i := range each {
				env := chat.Envelope{Type: chat.EventMessage, Room: room, ID: ids[g*each+i], Seq: int64(i), UserID: int64(g)}
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				err := from.b.Publish(ctx, env)
				cancel()
				if err != nil {
					if failed.Add(1) == 1 {
						t.Errorf("%s: concurrent Publish: %v", from.name, err)
					}
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d concurrent publishes failed", n, len(ids))
	}
	for _, in := range ins {
		in.awaitIDs(t, room, ids...)
	}
	k.flush(t, ins, ins[0], marker)
	for _, in := range ins {
		seen := map[int64]int{}
		for _, env := range in.received(room) {
			seen[env.ID]++
		}
		dups := 0
		for _, n := range seen {
			if n > 1 {
				dups++
			}
		}
		if dups > 0 {
			t.Errorf("%s: %d envelopes delivered more than once", in.name, dups)
		}
	}
}

// guard runs fn and fails t if it panics or does not return within
// stopTimeout.
func guard(t *testing.T, what string, fn func() error) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Sprintf("panic: %v", p)
			}
		}()
		fn()
		done <- nil
	}()
	select {
	case p := <-done:
		if p != nil {
			t.Errorf("%s: %v", what, p)
		}
	case <-time.After(stopTimeout):
		t.Errorf("%s: did not return within %v", what, stopTimeout)
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// closeBroker calls b's Close, if it has one, under guard.
func closeBroker(t *testing.T, name string, b chat.Broker) {
	t.Helper()
	c, ok := b.(interface{ Close(context.Context) error })
	if !ok {
		return
	}
	guard(t, name+": Close", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("%s: Close: %v", name, err)
		}
		return nil
	})
}

// callsMayFail runs Publish, Subscribe and Unsubscribe on b under guard:
// they may fail, but must return.
func (k *kit) callsMayFail(t *testing.T, ctx context.Context, when string, b chat.Broker) {
	t.Helper()
	room := k.room()
	env := chat.Envelope{Type: chat.EventMessage, Room: room, ID: k.id(), Text: "x"}
	guard(t, "Publish "+when, func() error { return b.Publish(ctx, env) })
	guard(t, "Subscribe "+when, func() error { return b.Subscribe(ctx, room) })
	guard(t, "Unsubscribe "+when, func() error { return b.Unsubscribe(ctx, room) })
}

func (k *kit) testCancelledContext(t *testing.T) {
	a := k.start(t, "instance A")
	k.callsMayFail(t, cancelled(), "with a cancelled ctx", a.b)
	// The broker still works afterwards.
	room := k.room()
	subscribe(t, a, room)
	env := chat.Envelope{Type: chat.EventTyping, Room: room, ID: k.id()}
	publish(t, a, env)
	a.awaitIDs(t, room, env.ID)
}

func (k *kit) testWithoutRun(t *testing.T) {
	b := k.newBroker(t)
	if b == nil {
		t.Fatal("newBroker returned nil")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	k.callsMayFail(t, ctx, "before Run", b)
	k.callsMayFail(t, cancelled(), "before Run with a cancelled ctx", b)
	closeBroker(t, "never run", b)
	k.callsMayFail(t, ctx, "after Close", b)
}

func (k *kit) testRunCancelled(t *testing.T) {
	b := k.newBroker(t)
	if b == nil {
		t.Fatal("newBroker returned nil")
	}
	in := &instance{name: "run with a done ctx", b: b, signal: make(chan struct{}, 1), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in.cancel = func() {}
	go func() { in.done <- b.Run(ctx, in.deliver, in.reconnected) }()
	in.stop(t)
	closeBroker(t, in.name, b)
}

func (k *kit) testRunStops(t *testing.T) {
	// A first round starts what a driver or the runtime starts once per
	// process, so that it is not taken for a leak.
	warm := k.start(t, "warm-up instance")
	warm.stop(t)
	warm.close(t)

	b := k.newBroker(t)
	if b == nil {
		t.Fatal("newBroker returned nil")
	}
	before := goroutines()
	in := &instance{name: "instance A", b: b, signal: make(chan struct{}, 1), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { in.done <- b.Run(ctx, in.deliver, in.reconnected) }()
	k.probe(t, in)
	room := k.room()
	subscribe(t, in, room)
	env := chat.Envelope{Type: chat.EventTyping, Room: room, ID: k.id()}
	publish(t, in, env)
	in.awaitIDs(t, room, env.ID)

	in.stop(t)
	if leaked := leaks(before); len(leaked) > 0 {
		t.Errorf("%d goroutines started after newBroker returned are still there %v after Run returned:\n\n%s",
			len(leaked), stopTimeout, strings.Join(leaked, "\n\n"))
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel2()
	k.callsMayFail(t, ctx2, "after Run returned", b)
	closeBroker(t, in.name, b)
	k.callsMayFail(t, ctx2, "after Run returned and Close", b)
}

// goroutines returns the stack of every goroutine by its id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	all := map[string]string{}
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		// "goroutine 42 [select]:\n…"
		id, _, _ := strings.Cut(strings.TrimPrefix(g, "goroutine "), " ")
		all[id] = g
	}
	return all
}

// leaks waits up to stopTimeout for the goroutines started since before
// to end, and returns the stacks of those that did not.
func leaks(before map[string]string) []string {
	deadline := time.Now().Add(stopTimeout)
	for {
		var leaked []string
		for id, stack := range goroutines() {
			if _, ok := before[id]; !ok {
				leaked = append(leaked, stack)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			slices.Sort(leaked)
			return leaked
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkEnvelope reports every field of got that differs from want.
func checkEnvelope(t *testing.T, who string, got, want chat.Envelope) {
	t.Helper()
	var diffs []string
	field := func(name string, g, w any) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %#v, want %#v", name, g, w))
		}
	}
	field("Type", got.Type, want.Type)
	field("Room", got.Room, want.Room)
	field("Seq", got.Seq, want.Seq)
	field("ID", got.ID, want.ID)
	field("UserID", got.UserID, want.UserID)
	field("Username", got.Username, want.Username)
	field("Text", got.Text, want.Text)
	field("ClientID", got.ClientID, want.ClientID)
	field("Thin", got.Thin, want.Thin)
	if !got.At.Equal(want.At) {
		diffs = append(diffs, fmt.Sprintf("At = %v, want %v", got.At, want.At))
	}
	if len(diffs) == 0 {
		return
	}
	hint := ""
	if got.Thin && !want.Thin {
		hint = " (a broker that delivers message envelopes Slim runs the kit with brokertest.SlimMessages())"
	}
	t.Errorf("%s: envelope %s %d of room %d:\n\t%s%s", who, want.Type, want.ID, want.Room, strings.Join(diffs, "\n\t"), hint)
}
