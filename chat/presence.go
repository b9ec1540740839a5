package chat

import (
	"context"
	"slices"
	"sync"
	"time"
)

// memoryPresence is the Presence of one process.
type memoryPresence struct {
	mu   sync.Mutex
	recs map[presenceKey]time.Time
}

type presenceKey struct {
	room, user int64
	instance   string
}

func newMemoryPresence() *memoryPresence { return &memoryPresence{recs: map[presenceKey]time.Time{}} }

func (p *memoryPresence) SetPresence(_ context.Context, room, user int64, instance string, n int, expires time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := presenceKey{room, user, instance}
	if n <= 0 {
		delete(p.recs, k)
	} else {
		p.recs[k] = expires
	}
	return nil
}

func (p *memoryPresence) RenewPresence(_ context.Context, instance string, expires time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.recs {
		if k.instance == instance {
			p.recs[k] = expires
		}
	}
	return nil
}

func (p *memoryPresence) PresentUsers(_ context.Context, room int64, now time.Time) ([]int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []int64
	for k, exp := range p.recs {
		if k.room == room && exp.After(now) && !slices.Contains(ids, k.user) {
			ids = append(ids, k.user)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
