package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/redisbroker"
	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms/smstest"
	"github.com/chelseru/chelseru-go/store"
)

// server is the chat server this process runs: built as examples/server
// builds it (SQLite store, session, auth, chat with its broker, the
// httpx router under /api/), with the SMS codes recorded in memory instead
// of printed, the per-socket rate limit off and long-lived access tokens.
type server struct {
	url   string // http://127.0.0.1:port/api/
	dir   string
	db    *gorm.DB
	codes *smstest.Recorder
	chat  *chat.Service
	http  *http.Server
	stop  context.CancelFunc
	done  chan error
	redis *redis.Client
	log   *countingLog
}

type serverConfig struct {
	broker         string // memory or redis://host:port/db
	sendQueue      int
	accessLifetime time.Duration
}

func startServer(cfg serverConfig) (_ *server, err error) {
	s := &server{codes: &smstest.Recorder{}, done: make(chan error, 1), log: newCountingLog(os.Stderr)}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.dir, err = os.MkdirTemp("", "chatload-"); err != nil {
		return nil, err
	}
	// Every message is stored, as always: the SQLite file is a real file
	// (WAL, synchronous=NORMAL, as store.New sets it up).
	s.db, err = gorm.Open(sqlite.Open(filepath.Join(s.dir, "chatload.db")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, err
	}
	st, err := store.New(s.db, store.Config{})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	sessions, err := session.New(session.Config{Store: st})
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	authn, err := auth.New(auth.Config{
		Secret: secret, Users: st, Codes: st, Sessions: sessions,
		Sender:         s.codes,
		AccessLifetime: cfg.accessLifetime,
	})
	if err != nil {
		return nil, err
	}
	var broker chat.Broker
	switch {
	case cfg.broker == "" || cfg.broker == "memory":
		broker = chat.NewMemoryBroker()
	case strings.HasPrefix(cfg.broker, "redis://") || strings.HasPrefix(cfg.broker, "rediss://"):
		opts, err := redis.ParseURL(cfg.broker)
		if err != nil {
			return nil, fmt.Errorf("-broker: %w", err)
		}
		s.redis = redis.NewClient(opts)
		if err := s.redis.Ping(ctx).Err(); err != nil {
			return nil, fmt.Errorf("-broker %s: %w", cfg.broker, err)
		}
		var b [4]byte
		_, _ = rand.Read(b[:])
		if broker, err = redisbroker.New(redisbroker.Config{Client: s.redis, Prefix: "chatload:" + hex.EncodeToString(b[:]) + ":"}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("-broker %q: want memory or redis://host:port/db", cfg.broker)
	}
	s.chat, err = chat.New(chat.Config{
		Auth: authn, Store: st, Users: st, Broker: broker,
		Rate:      -1, // the per-socket rate limit is off, as -rate-limits off
		SendQueue: cfg.sendQueue,
		Logger:    slog.New(s.log.handler()),
	})
	if err != nil {
		return nil, err
	}
	chatCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go func() { s.done <- s.chat.Run(chatCtx) }()

	api := httpx.Router("/api/", authn, s.chat)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.http = &http.Server{Handler: api, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	s.url = "http://" + ln.Addr().String() + "/api/"
	return s, nil
}

// code returns the last code sent to a mobile number.
func (s *server) code(_ context.Context, mobile string) (string, error) {
	m, ok := s.codes.LastTo(mobile)
	if !ok {
		return "", fmt.Errorf("no SMS to %s", mobile)
	}
	if c := smstest.Code(m.Text); c != "" {
		return c, nil
	}
	return "", fmt.Errorf("no code in the SMS to %s", mobile)
}

func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if s.http != nil {
		err = s.http.Shutdown(ctx)
	}
	if s.chat != nil {
		err = errors.Join(err, s.chat.Close(ctx))
	}
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	if s.redis != nil {
		_ = s.redis.Close()
	}
	if s.db != nil {
		if sqlDB, e := s.db.DB(); e == nil {
			_ = sqlDB.Close()
		}
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatload: server shutdown:", err)
	}
}

// procStats is this process's state, as the server's figures are taken.
type procStats struct {
	Goroutines int     `json:"goroutines"`
	HeapInuse  uint64  `json:"heap_inuse"`
	StackInuse uint64  `json:"stack_inuse"`
	HeapAlloc  uint64  `json:"heap_alloc"`
	Sys        uint64  `json:"sys"`
	RSS        uint64  `json:"rss"` // from /proc/self/status; 0 elsewhere
	TotalAlloc uint64  `json:"total_alloc"`
	Mallocs    uint64  `json:"mallocs"`
	NumGC      uint32  `json:"num_gc"`
	CPU        float64 `json:"cpu_s"` // user+system seconds so far
}

// readStats reads the stats; gc collects garbage first (twice, so that
// finalizers' garbage goes too).
func readStats(gc bool) procStats {
	if gc {
		runtime.GC()
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return procStats{
		Goroutines: runtime.NumGoroutine(),
		HeapInuse:  m.HeapInuse, StackInuse: m.StackInuse, HeapAlloc: m.HeapAlloc, Sys: m.Sys,
		RSS: selfRSS(), TotalAlloc: m.TotalAlloc, Mallocs: m.Mallocs, NumGC: m.NumGC,
		CPU: cpuSeconds(),
	}
}

// selfRSS reads VmRSS from /proc/self/status (Linux), 0 when unknown.
func selfRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// settle waits until the goroutine count stops moving (the same for
// quiet), or until timeout, and returns the last count.
func settle(timeout, quiet time.Duration, target int) int {
	deadline := time.Now().Add(timeout)
	last, since := runtime.NumGoroutine(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		n := runtime.NumGoroutine()
		if target > 0 && n <= target {
			return n
		}
		if n != last {
			last, since = n, time.Now()
			continue
		}
		if target <= 0 && time.Since(since) >= quiet {
			return n
		}
	}
	return runtime.NumGoroutine()
}
