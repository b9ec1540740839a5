package chat

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"sync"
	"time"
)

// batchConn is a socket's network connection with write coalescing: while
// the writer holds it, the frames the WebSocket library writes (each of
// which it flushes on its own) gather in memory, and flush sends them all
// in one system call under one write deadline. A room's burst then costs
// each socket one write instead of one per frame. Writes outside a hold
// (pongs, pings, the close frame) go straight through, in order with the
// held ones. Close sends what is held first: the library closes the
// connection right after writing its close frame, which may be held.
type batchConn struct {
	net.Conn
	mu   sync.Mutex // held, buf, closed; taken before wmu
	held bool
	buf  *[]byte // the gathered bytes while held; pooled, nil when idle
	// wmu orders the writes to Conn. It is held during a write, which
	// may wait for a slow peer, but never longer than the write's
	// deadline: a flush's own, or for writes that pass through, the
	// library's, which closes the connection. A write that passes through
	// waits for wmu holding mu, so as to stay in order; Close may wait
	// behind it, as long as that.
	wmu    sync.Mutex
	closed bool

	ahead []byte // read before the connection: what the server had buffered (the reader's)
}

func (b *batchConn) Read(p []byte) (int, error) {
	if len(b.ahead) > 0 {
		n := copy(p, b.ahead)
		b.ahead = b.ahead[n:]
		if len(b.ahead) == 0 {
			b.ahead = nil
		}
		return n, nil
	}
	return b.Conn.Read(p)
}

// batchBufs keeps gathering buffers between bursts, so that an idle socket
// holds none.
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBatch is the largest buffer kept for reuse.
const maxPooledBatch = 64 << 10

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.held {
		*b.buf = append(*b.buf, p...)
		b.mu.Unlock()
		return len(p), nil
	}
	b.wmu.Lock()
	b.mu.Unlock()
	defer b.wmu.Unlock()
	return b.Conn.Write(p)
}

// hold starts gathering writes.
func (b *batchConn) hold() {
	b.mu.Lock()
	b.held = !b.closed
	if b.held && b.buf == nil {
		b.buf = batchBufs.Get().(*[]byte)
	}
	b.mu.Unlock()
}

// take ends the hold and returns what was gathered; mu is held.
func (b *batchConn) take() *[]byte {
	b.held = false
	buf := b.buf
	b.buf = nil
	return buf
}

// flush ends the hold and sends what was gathered, waiting at most
// timeout for the peer to take it.
func (b *batchConn) flush(timeout time.Duration) error {
	b.mu.Lock()
	buf := b.take()
	if buf == nil {
		b.mu.Unlock()
		return nil
	}
	b.wmu.Lock()
	b.mu.Unlock()
	defer b.wmu.Unlock()
	return b.send(buf, timeout)
}

// send writes buf under a deadline of its own and returns it to the
// pool; wmu is held.
func (b *batchConn) send(buf *[]byte, timeout time.Duration) error {
	var err error
	if len(*buf) > 0 {
		_ = b.Conn.SetWriteDeadline(time.Now().Add(timeout))
		_, err = b.Conn.Write(*buf)
		_ = b.Conn.SetWriteDeadline(time.Time{})
	}
	if cap(*buf) <= maxPooledBatch {
		*buf = (*buf)[:0]
		batchBufs.Put(buf)
	}
	return err
}

// closeFlushTimeout bounds the last write of Close.
const closeFlushTimeout = time.Second

// Close sends what is held, unless a write to the peer is under way
// (which may be stuck: Close is how it ends), and closes the connection.
func (b *batchConn) Close() error {
	b.mu.Lock()
	b.closed = true
	buf := b.take()
	sending := buf != nil && b.wmu.TryLock()
	b.mu.Unlock()
	if sending {
		_ = b.send(buf, closeFlushTimeout)
		b.wmu.Unlock()
	}
	return b.Conn.Close()
}

// batchWriter hands the WebSocket library a batchConn when it hijacks the
// request's connection.
type batchWriter struct {
	http.ResponseWriter
	conn *batchConn
}

func (w *batchWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: nc}
	// The server's 4 KiB buffers are dropped for small ones: the batchConn
	// gathers what is written, and an idle socket should cost little. A
	// frame larger than a buffer is read or written past it, directly.
	// What the server had read ahead (a client's first frames may come
	// with its handshake) the batchConn reads first.
	if n := brw.Reader.Buffered(); n > 0 {
		ahead, _ := brw.Reader.Peek(n)
		w.conn.ahead = bytes.Clone(ahead)
	}
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, socketReadBuffer), bufio.NewWriterSize(w.conn, socketWriteBuffer)), nil
}

// The buffers of a socket: room for a frame header and a control frame
// (at most 127 bytes), and for the client frames of a chat.
const (
	socketWriteBuffer = 256
	socketReadBuffer  = 1024
)

// Unwrap lets http.ResponseController reach the server's writer.
func (w *batchWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
