package chat

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// pipeConn returns a batchConn on one end of a net.Pipe (unbuffered: a
// write waits for its read) and the other end, closed when t ends.
func pipeConn(t *testing.T) (*batchConn, net.Conn) {
	server, client := net.Pipe()
	t.Cleanup(func() { client.Close() })
	return &batchConn{Conn: server}, client
}

// readAll reads c until it closes, and then sends what it read.
func readAll(c net.Conn) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		data, _ := io.ReadAll(c)
		got <- data
	}()
	return got
}

func TestBatchConnGathersUntilFlush(t *testing.T) {
	b, client := pipeConn(t)
	defer b.Close()

	got := readAll(client)

	b.hold()
	for _, p := range []string{"one ", "two ", "three "} {
		if n, err := b.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("held Write(%q) = %d, %v", p, n, err)
		}
	}
	if err := b.flush(time.Second); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if b.buf != nil {
		t.Error("a flushed batchConn still holds a buffer")
	}
	// Not held: straight through, after what was flushed.
	if _, err := b.Write([]byte("four")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	// A flush with nothing held sends nothing and fails nothing.
	if err := b.flush(time.Second); err != nil {
		t.Fatalf("empty flush: %v", err)
	}
	b.Close()
	if data := string(<-got); data != "one two three four" {
		t.Errorf("peer read %q", data)
	}
}

func TestBatchConnFlushTimesOut(t *testing.T) {
	b, client := pipeConn(t) // unbuffered: a write waits for a read that never comes
	defer b.Close()
	b.hold()
	_, _ = b.Write([]byte("never read"))
	start := time.Now()
	err := b.flush(50 * time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("flush to a peer that does not read: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("flush took %v", d)
	}
	// The deadline was the flush's only: the next write is not refused
	// for it.
	go func() { _, _ = io.ReadFull(client, make([]byte, 2)) }()
	if _, err := b.Write([]byte("ok")); err != nil {
		t.Errorf("Write after a timed-out flush: %v", err)
	}
}

// The WebSocket library closes the connection right after its close
// frame, which may have gone into a hold: Close sends it.
func TestBatchConnCloseSendsWhatIsHeld(t *testing.T) {
	b, client := pipeConn(t)
	got := readAll(client)
	b.hold()
	_, _ = b.Write([]byte("data, then the close frame"))
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if data := string(<-got); data != "data, then the close frame" {
		t.Errorf("peer read %q", data)
	}
	// Closed: a hold gathers nothing, a write fails.
	b.hold()
	if _, err := b.Write([]byte("late")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// A client may send its first frame with its handshake, in one packet:
// the server has read it ahead by the time the connection is hijacked,
// and the socket must still read it first.
func TestBatchWriterKeepsWhatWasReadAhead(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(&batchWriter{ResponseWriter: w}, r, nil)
		if err != nil {
			got <- "accept: " + err.Error()
			return
		}
		defer ws.CloseNow()
		_, data, err := ws.Read(r.Context())
		if err != nil {
			got <- "read: " + err.Error()
			return
		}
		got <- string(data)
	}))
	defer srv.Close()

	nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	payload := []byte("first")
	key := [4]byte{1, 2, 3, 4}
	frame := []byte{0x81, 0x80 | byte(len(payload)), key[0], key[1], key[2], key[3]}
	for i, b := range payload {
		frame = append(frame, b^key[i%4])
	}
	req := "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := nc.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "first" {
			t.Errorf("the server read %q, want the frame sent with the handshake", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server never read the frame sent with the handshake")
	}
}

// A write that passes through (a ping) is stuck on a peer that reads
// nothing, and the writer's flush waits behind it: Close must not wait
// for either, and both must end when it closes the connection.
func TestBatchConnCloseEndsStuckWrites(t *testing.T) {
	b, _ := pipeConn(t) // the other end reads nothing
	stuck := make(chan error, 2)
	go func() {
		_, err := b.Write([]byte{0x89, 0}) // a ping, passing through
		stuck <- err
	}()
	time.Sleep(50 * time.Millisecond)
	b.hold()
	_, _ = b.Write([]byte("a frame"))
	go func() { stuck <- b.flush(time.Hour) }()
	time.Sleep(50 * time.Millisecond)

	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the stuck writes")
	}
	for range 2 {
		select {
		case err := <-stuck:
			if err == nil {
				t.Error("a write to a peer that read nothing succeeded")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a stuck write did not end when the connection closed")
		}
	}
}

// Once the close frame has passed through, a batch gathered before it is
// not sent after it.
func TestBatchConnNoBatchAfterTheCloseFrame(t *testing.T) {
	b, client := pipeConn(t)
	defer b.Close()
	got := readAll(client)
	b.hold()
	_, _ = b.Write([]byte("data"))
	// The writer has taken its batch (flush) when the close frame comes:
	// take it by hand here, as flush does, and let the close pass.
	b.mu.Lock()
	buf := b.take()
	b.mu.Unlock()
	if _, err := b.Write([]byte{0x88, 0}); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.held, b.buf = true, buf
	b.mu.Unlock()
	if err := b.flush(time.Second); err == nil {
		t.Error("a batch was sent after the close frame")
	}
	b.Close()
	if data := <-got; string(data) != "\x88\x00" {
		t.Errorf("peer read %q, want the close frame alone", data)
	}
}
