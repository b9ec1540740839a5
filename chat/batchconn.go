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
	mu   sync.Mutex // held, buf, closed, closeSent; never held while waiting
	held bool
	buf  *[]byte // the gathered bytes while held; pooled, nil when idle
	// wmu orders the writes to Conn. It is held during a write, which
	// may wait for a slow peer: a flush until its deadline, a write that
	// passes through until the library's timeout closes the connection
	// (Close never waits for wmu).
	wmu       sync.Mutex
	closed    bool
	closeSent bool // the close frame passed through: no batch may follow it

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
	// Only control frames pass through (the writer's frames are all held),
	// each in one Write: the library flushes after every frame, and its
	// buffer holds a whole control frame.
	if len(p) > 0 && p[0]&0x0f == 0x8 {
		b.closeSent = true
	}
	b.mu.Unlock()
	b.wmu.Lock()
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
// timeout for the peer to take it. What was gathered is dropped if the
// close frame went out meanwhile.
func (b *batchConn) flush(timeout time.Duration) error {
	b.mu.Lock()
	buf := b.take()
	b.mu.Unlock()
	if buf == nil {
		return nil
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	b.mu.Lock()
	late := b.closeSent
	b.mu.Unlock()
	if late {
		release(buf)
		return net.ErrClosed
	}
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
	release(buf)
	return err
}

// release returns a gathering buffer to the pool.
func release(buf *[]byte) {
	if cap(*buf) <= maxPooledBatch {
		*buf = (*buf)[:0]
		batchBufs.Put(buf)
	}
}

// closeFlushTimeout bounds the last write of Close.
const closeFlushTimeout = time.Second

// Close sends what is held (the library's close frame may be in it),
// unless a write to the peer is under way, which may be stuck: closing
// the connection is how that one ends. Then it closes the connection.
func (b *batchConn) Close() error {
	b.mu.Lock()
	b.closed = true
	buf := b.take()
	b.mu.Unlock()
	if buf != nil {
		if b.wmu.TryLock() {
			_ = b.send(buf, closeFlushTimeout)
			b.wmu.Unlock()
		} else {
			release(buf)
		}
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
