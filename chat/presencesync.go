package chat

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// presenceWrites keeps this instance's presence records in step with its
// sockets. One goroutine writes them, one user and room at a time, always
// with the user's current socket count: a burst of connects and
// disconnects (a deploy, a network blip, a load test) becomes a queue of
// store writes instead of thousands at once racing each other for a
// timeout, and a record written late is never stale, because it is read
// from the count when it is written. A failed write is tried again.
type presenceWrites struct {
	mu      sync.Mutex
	local   map[presenceKey]*presenceCount // this instance's sockets
	dirty   map[presenceKey]struct{}       // changed since written
	waiters map[presenceKey][]chan struct{}
	busy    bool // a record is being written, or its room told
	wake    chan struct{}
}

type presenceCount struct {
	username string
	n        int // sockets now
	written  int // sockets in the store's record
}

func newPresenceWrites() *presenceWrites {
	return &presenceWrites{
		local: map[presenceKey]*presenceCount{}, dirty: map[presenceKey]struct{}{},
		waiters: map[presenceKey][]chan struct{}{}, wake: make(chan struct{}, 1),
	}
}

// add changes a user's socket count in a room by delta. The channel is
// closed once the store has a record at least as new.
func (p *presenceWrites) add(room, user int64, username string, delta int) <-chan struct{} {
	k := presenceKey{room: room, user: user}
	done := make(chan struct{})
	p.mu.Lock()
	c := p.local[k]
	if c == nil {
		c = &presenceCount{}
		p.local[k] = c
	}
	c.username = username
	c.n += delta
	p.dirty[k] = struct{}{}
	p.waiters[k] = append(p.waiters[k], done)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return done
}

// drain waits until every change has been written, for at most limit
// or until ctx is done.
func (p *presenceWrites) drain(ctx context.Context, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		p.mu.Lock()
		done := len(p.dirty) == 0 && !p.busy
		p.mu.Unlock()
		if done {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// presenceRetry is the pause before writes that failed are tried again.
const presenceRetry = time.Second

// writePresence runs the writes until ctx is done.
func (h *hub) writePresence(ctx context.Context) {
	p := h.writes
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		p.mu.Lock()
		keys := make([]presenceKey, 0, len(p.dirty))
		for k := range p.dirty {
			keys = append(keys, k)
		}
		p.mu.Unlock()
		failed := false
		for _, k := range keys {
			if ctx.Err() != nil {
				return
			}
			failed = !h.writeOne(ctx, k) || failed
		}
		if failed {
			select {
			case <-ctx.Done():
				return
			case <-time.After(presenceRetry):
			}
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	}
}

// writeOne writes one user's record in one room and, when the user came
// or went (counting every instance), tells the room. It reports whether
// the write succeeded; if not, the record stays dirty.
func (h *hub) writeOne(ctx context.Context, k presenceKey) bool {
	p, s := h.writes, h.s
	p.mu.Lock()
	c := p.local[k]
	n, prev, username := c.n, c.written, c.username
	waiters := p.waiters[k]
	delete(p.waiters, k)
	delete(p.dirty, k)
	p.busy = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.busy = false
		p.mu.Unlock()
	}()

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	now := s.now()
	present := func() (bool, error) {
		ids, err := s.presence.PresentUsers(ctx, k.room, now)
		return slices.Contains(ids, k.user), err
	}
	var elsewhere bool
	var err error
	if prev == 0 && n > 0 {
		elsewhere, err = present()
	}
	if err == nil {
		err = s.presence.SetPresence(ctx, k.room, k.user, s.cfg.Instance, n, now.Add(presenceTTL))
	}
	if err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) { // not the shutdown's
			s.cfg.Logger.WarnContext(ctx, "chat: presence", "room", k.room, "err", err)
		}
		p.mu.Lock()
		p.dirty[k] = struct{}{}
		p.waiters[k] = append(waiters, p.waiters[k]...)
		p.mu.Unlock()
		return false
	}
	p.mu.Lock()
	c.written = n
	if c.n == 0 && c.written == 0 {
		if _, again := p.dirty[k]; !again {
			delete(p.local, k)
		}
	}
	p.mu.Unlock()
	for _, w := range waiters {
		close(w)
	}
	switch {
	case prev == 0 && n > 0 && !elsewhere:
		s.publish(ctx, Envelope{Type: EventJoin, Room: k.room, UserID: k.user, Username: username})
	case prev > 0 && n == 0:
		// Gone from this instance: from the room if no other has them.
		if here, err := present(); err == nil && !here {
			s.publish(ctx, Envelope{Type: EventLeave, Room: k.room, UserID: k.user, Username: username})
		}
	}
	return true
}
