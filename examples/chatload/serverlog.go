package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
)

// countingLog is the in-process server's logger: it counts the records
// at Warn and above by message and error, and passes only the first few
// of each kind on, so that a fault repeated for thousands of sockets shows
// as one line of the summary instead of thousands in the terminal.
type countingLog struct {
	mu     sync.Mutex
	counts map[string]int
	order  []string
	out    slog.Handler
}

const logShown = 3 // records of one kind passed on

func newCountingLog(w io.Writer) *countingLog {
	return &countingLog{counts: map[string]int{}, out: slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})}
}

func (l *countingLog) handler() slog.Handler { return &countingHandler{l: l} }

// logCount is one kind of server log record and how often it came.
type logCount struct {
	Record string `json:"record"`
	Count  int    `json:"count"`
}

func (l *countingLog) summary() []logCount {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]logCount, 0, len(l.order))
	for _, k := range l.order {
		out = append(out, logCount{Record: k, Count: l.counts[k]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

type countingHandler struct {
	l     *countingLog
	attrs []slog.Attr
}

func (h *countingHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	key := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			key += ": " + fmt.Sprint(a.Value.Any())
		}
		return true
	})
	h.l.mu.Lock()
	if _, ok := h.l.counts[key]; !ok {
		h.l.order = append(h.l.order, key)
	}
	h.l.counts[key]++
	n := h.l.counts[key]
	h.l.mu.Unlock()
	if n > logShown {
		return nil
	}
	out := h.l.out
	if len(h.attrs) > 0 {
		out = out.WithAttrs(h.attrs)
	}
	return out.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{l: h.l, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

// WithGroup is not used by the server; groups are flattened.
func (h *countingHandler) WithGroup(string) slog.Handler { return h }
