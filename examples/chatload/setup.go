package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/smstest"
)

// codeSource finds the one-time code the server sent to a number.
type codeSource interface {
	code(ctx context.Context, mobile string) (string, error)
}

// api is a client of the server's HTTP API, for the setup: logins and
// rooms, as any client makes them.
type api struct {
	base  string // http://host:port/api/
	http  *http.Client
	codes codeSource
}

func newAPI(base string, codes codeSource, parallel int) *api {
	tr := &http.Transport{MaxIdleConnsPerHost: parallel, MaxConnsPerHost: parallel, IdleConnTimeout: 30 * time.Second}
	return &api{base: base, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}, codes: codes}
}

// done drops the setup's connections, so that neither side keeps their
// goroutines while the server is measured.
func (a *api) done() { a.http.CloseIdleConnections() }

func (a *api) call(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", "chatload/1")
	res, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

type user struct {
	mobile string
	id     int64
	token  string
}

// login asks for a code and logs in with it: otp/send/ then
// authenticate/.
func (a *api) login(ctx context.Context, mobile string) (user, error) {
	if err := a.call(ctx, http.MethodPost, "otp/send/", "", map[string]string{"mobile_number": mobile}, nil); err != nil {
		return user{}, err
	}
	code, err := a.codes.code(ctx, mobile)
	if err != nil {
		return user{}, err
	}
	var out struct {
		Access string `json:"access"`
		User   struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	if err := a.call(ctx, http.MethodPost, "authenticate/", "", map[string]string{"mobile_number": mobile, "code": code}, &out); err != nil {
		return user{}, err
	}
	if out.Access == "" || out.User.ID == 0 {
		return user{}, fmt.Errorf("authenticate/ %s: no token or user id", mobile)
	}
	return user{mobile: mobile, id: out.User.ID, token: out.Access}, nil
}

// users logs n new users in, parallel at a time. Their numbers start at a
// random point, so that runs against one long-lived server do not meet
// the resend cooldown of an earlier run's numbers.
func (a *api) users(ctx context.Context, n, parallel int) ([]user, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	const span = 10_000_000 // 0912 and 7 digits
	base := int(binary.BigEndian.Uint64(b[:]) % uint64(span-n))
	out := make([]user, n)
	err := forEach(ctx, n, parallel, func(ctx context.Context, i int) error {
		u, err := a.login(ctx, fmt.Sprintf("0912%07d", base+i))
		out[i] = u
		return err
	})
	return out, err
}

// groupRoom makes a group room of members, owned by the first. A room is
// created with at most 1000 users (the API's limit); the rest are added
// one by one through members/.
func (a *api) groupRoom(ctx context.Context, name string, members []user) (int64, error) {
	const perCreate = 1000
	owner := members[0]
	ids := make([]int64, 0, min(len(members)-1, perCreate))
	for _, m := range members[1:min(len(members), perCreate+1)] {
		ids = append(ids, m.id)
	}
	var room struct {
		ID int64 `json:"id"`
	}
	if err := a.call(ctx, http.MethodPost, "chat/chatrooms/", owner.token, map[string]any{"name": name, "users": ids}, &room); err != nil {
		return 0, err
	}
	for _, m := range members[min(len(members), perCreate+1):] {
		if err := a.call(ctx, http.MethodPost, fmt.Sprintf("chat/chatrooms/%d/members/", room.ID), owner.token, map[string]any{"user": m.id}, nil); err != nil {
			return 0, err
		}
	}
	return room.ID, nil
}

// forEach runs fn for 0..n-1, parallel at a time, and returns the first
// error (the others stop being started).
func forEach(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range max(1, min(parallel, n)) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
		if first == context.Canceled {
			first = nil
		}
	}
	return first
}

// logCodes reads the codes from a running examples/server's log (its
// console SMS provider writes `to=0912… text="Your code: NNNN"` lines), as
// the file grows. Only lines written after it was opened count.
type logCodes struct {
	mu     sync.Mutex
	f      *os.File
	offset int64
	rest   []byte
	codes  map[string]string
}

var codeLine = regexp.MustCompile(`\bto=(\S+) text="([^"]*)"`)

func openLogCodes(path string) (*logCodes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &logCodes{f: f, offset: end, codes: map[string]string{}}, nil
}

func (l *logCodes) code(ctx context.Context, mobile string) (string, error) {
	m, err := sms.ParseMobile(mobile)
	if err != nil {
		return "", err
	}
	want := m.String()
	deadline := time.Now().Add(15 * time.Second)
	for {
		l.mu.Lock()
		l.scan()
		c, ok := l.codes[want]
		if ok {
			delete(l.codes, want)
		}
		l.mu.Unlock()
		if ok {
			return c, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no code for %s in the log after 15 s", want)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// scan reads what was appended since the last scan; l.mu is held.
func (l *logCodes) scan() {
	buf := make([]byte, 64<<10)
	for {
		n, err := l.f.ReadAt(buf, l.offset)
		l.offset += int64(n)
		data := append(l.rest, buf[:n]...)
		for {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			if m := codeLine.FindSubmatch(data[:i]); m != nil {
				if pm, err := sms.ParseMobile(string(m[1])); err == nil {
					if c := smstest.Code(string(m[2])); c != "" {
						l.codes[pm.String()] = c
					}
				}
			}
			data = data[i+1:]
		}
		l.rest = append(l.rest[:0], data...)
		if err != nil || n < len(buf) {
			return
		}
	}
}
