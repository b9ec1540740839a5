package chat

import (
	"bufio"
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
// held ones.
type batchConn struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  *[]byte // the gathered bytes while held; pooled, nil when idle
}

// batchBufs keeps gathering buffers between bursts, so that an idle socket
// holds none.
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBatch is the largest buffer kept for reuse.
const maxPooledBatch = 64 << 10

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held {
		*b.buf = append(*b.buf, p...)
		return len(p), nil
	}
	return b.Conn.Write(p)
}

// hold starts gathering writes.
func (b *batchConn) hold() {
	b.mu.Lock()
	b.held = true
	if b.buf == nil {
		b.buf = batchBufs.Get().(*[]byte)
	}
	b.mu.Unlock()
}

// flush ends the hold and sends what was gathered, waiting at most
// timeout for the peer to take it.
func (b *batchConn) flush(timeout time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held = false
	buf := b.buf
	if buf == nil {
		return nil
	}
	b.buf = nil
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
	brw.Writer.Reset(w.conn) // empty after a hijack; now writes through the batchConn
	return w.conn, brw, nil
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *batchWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
