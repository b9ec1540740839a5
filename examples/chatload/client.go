package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// plan is what the client side does: the sockets to open and the load to
// put on them. The parent hands it to a child process as JSON.
type plan struct {
	Scenario     string        `json:"scenario"`
	Target       string        `json:"target"` // chelseru or centrifugo
	URL          string        `json:"url"`    // ws://host:port/api/, or Centrifugo's ws://…/connection/websocket
	Sockets      []sockPlan    `json:"sockets"`
	Size         int           `json:"size"`
	Warmup       time.Duration `json:"warmup"`
	Duration     time.Duration `json:"duration"`
	AckTimeout   time.Duration `json:"ack_timeout"`
	DialParallel int           `json:"dial_parallel"`
	Cycles       int           `json:"cycles"` // churn: connect/close cycles, over the Sockets as workers
}

// sockPlan is one socket: a room (or Centrifugo channel) and the token of
// its user; publishers send, every socket receives.
type sockPlan struct {
	Room    int64  `json:"room,omitempty"`
	Group   int    `json:"group"` // the room's index, 0…rooms-1
	Channel string `json:"channel,omitempty"`
	Token   string `json:"token,omitempty"`
	Pub     bool   `json:"pub,omitempty"`
}

// clientResult is what the client side saw.
type clientResult struct {
	Sockets        int         `json:"sockets"` // opened
	DialErrors     int         `json:"dial_errors"`
	FirstDialError string      `json:"first_dial_error,omitempty"`
	ConnectSeconds float64     `json:"connect_s"`
	Closes         []closeInfo `json:"unexpected_closes"`
	ErrorFrames    int64       `json:"error_frames"`
	FirstError     string      `json:"first_error_frame,omitempty"`
	CPUSeconds     float64     `json:"cpu_s"` // this process's CPU time: in the window (fanout), else the run

	// fanout
	WindowSeconds float64 `json:"window_s,omitempty"`
	Published     int64   `json:"published,omitempty"`      // sent in the window
	Deliveries    int64   `json:"deliveries,omitempty"`     // message frames of those, at every socket
	Expected      int64   `json:"expected,omitempty"`       // published × sockets of its room
	Frames        int64   `json:"frames,omitempty"`         // WebSocket frames received in the window
	FrameMessages int64   `json:"frame_messages,omitempty"` // messages in those frames
	AckTimeouts   int64   `json:"ack_timeouts,omitempty"`
	Latency       latency `json:"latency"`

	// idle: the clients' own cost, for information (not the server's)
	ClientHeapPerSocket  float64 `json:"client_heap_per_socket,omitempty"`
	ClientStackPerSocket float64 `json:"client_stack_per_socket,omitempty"`
	ClientGoroutines     int     `json:"client_goroutines,omitempty"`

	// churn
	Cycles      int     `json:"cycles,omitempty"`
	CycleErrors int     `json:"cycle_errors,omitempty"`
	FirstCycErr string  `json:"first_cycle_error,omitempty"`
	CycleSecs   float64 `json:"cycles_s,omitempty"`
}

type closeInfo struct {
	Socket int     `json:"socket"`
	Role   string  `json:"role"`
	Code   int     `json:"code"` // the close code, -1 for a connection that just ended
	Error  string  `json:"error"`
	At     float64 `json:"at_s"` // seconds after the sockets were open
}

// hooks connect the client side to the parent: events ("window_start",
// "window_end", "ready") and, for idle, the word to close.
type hooks struct {
	event   func(name string)
	proceed <-chan struct{}
}

// clientRun is one run of the client side.
type clientRun struct {
	p     plan
	epoch time.Time
	// The window, in ns since epoch: the messages sent in it count. Set
	// once the sockets are open, while their readers run.
	start, end atomic.Int64

	conns    []*conn
	stopping atomic.Bool // closes from now on are ours
	quiet    atomic.Bool // track lastFrame
	last     atomic.Int64

	mu     sync.Mutex
	closes []closeInfo
	errs   int64
	first  string
	opened time.Time
}

func newClientRun(p plan) *clientRun {
	r := &clientRun{p: p, epoch: time.Now()}
	r.start.Store(math.MaxInt64)
	r.end.Store(math.MaxInt64)
	return r
}

// now is the time since the run began, on the monotonic clock: the
// publishers and the readers are in this one process.
func (r *clientRun) now() int64 { return int64(time.Since(r.epoch)) }

// conn is one client socket with its reader.
type conn struct {
	r      *clientRun
	idx    int
	plan   sockPlan
	ws     *websocket.Conn
	pub    *publisher
	done   chan struct{} // the reader ended
	n      atomic.Int64  // deliveries counted
	frames atomic.Int64  // every frame
	// Received in the measured window: frames, and the messages in them
	// (Centrifugo may put several in one frame; chelseru-go one each).
	winFrames, winMsgs atomic.Int64
	hist               histogram // the reader's; read once it ended
}

func runClients(ctx context.Context, p plan, h hooks) (clientResult, error) {
	if h.event == nil {
		h.event = func(string) {}
	}
	switch p.Scenario {
	case "fanout":
		return runFanout(ctx, p, h)
	case "idle":
		return runIdle(ctx, p, h)
	case "churn":
		return runChurn(ctx, p)
	}
	return clientResult{}, fmt.Errorf("unknown scenario %q", p.Scenario)
}

// socketURL is the WebSocket address of a socket.
func (p plan) socketURL(s sockPlan) string {
	if p.Target == "centrifugo" {
		return p.URL
	}
	return fmt.Sprintf("%schat/%d/?token=%s", p.URL, s.Room, s.Token)
}

var dialOpts = &websocket.DialOptions{
	CompressionMode: websocket.CompressionDisabled,
	HTTPClient:      &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
}

// dial opens one socket and, for Centrifugo, connects and subscribes.
func (p plan) dial(ctx context.Context, s sockPlan) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, p.socketURL(s), dialOpts)
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, res.StatusCode)
		}
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	if p.Target == "centrifugo" {
		if err := centrifugoHandshake(ctx, ws, s); err != nil {
			ws.CloseNow()
			return nil, err
		}
	}
	return ws, nil
}

// open dials every socket of the plan, DialParallel at a time, and starts
// their readers.
func (r *clientRun) open(ctx context.Context) (clientResult, error) {
	var res clientResult
	t0 := time.Now()
	r.conns = make([]*conn, len(r.p.Sockets))
	var mu sync.Mutex
	err := forEach(ctx, len(r.p.Sockets), r.p.DialParallel, func(ctx context.Context, i int) error {
		s := r.p.Sockets[i]
		ws, err := r.p.dial(ctx, s)
		if err != nil {
			mu.Lock()
			res.DialErrors++
			if res.FirstDialError == "" {
				res.FirstDialError = err.Error()
			}
			mu.Unlock()
			return nil
		}
		c := &conn{r: r, idx: i, plan: s, ws: ws, done: make(chan struct{})}
		r.conns[i] = c
		return nil
	})
	if err != nil {
		return res, err
	}
	r.opened = time.Now()
	res.ConnectSeconds = time.Since(t0).Seconds()
	for _, c := range r.conns {
		if c != nil {
			res.Sockets++
		}
	}
	return res, nil
}

// startReaders starts one reader per socket (after the publishers are
// set, so that a reader sees its socket's publisher).
func (r *clientRun) startReaders() {
	for _, c := range r.conns {
		if c != nil {
			go c.read()
		}
	}
}

// waitQuiet waits until no socket received a frame for quiet, or max.
func (r *clientRun) waitQuiet(quiet, maxWait time.Duration) {
	r.last.Store(r.now())
	r.quiet.Store(true)
	defer r.quiet.Store(false)
	deadline := time.Now().Add(maxWait)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if time.Duration(r.now()-r.last.Load()) >= quiet {
			return
		}
	}
}

// closeAll closes every socket with 1000 and waits for the readers.
func (r *clientRun) closeAll() {
	r.stopping.Store(true)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range r.conns {
		if c == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
		})
	}
	wg.Wait()
	for _, c := range r.conns {
		if c != nil {
			select {
			case <-c.done:
			case <-time.After(5 * time.Second):
				c.ws.CloseNow()
				<-c.done
			}
		}
	}
}

func (r *clientRun) fill(res *clientResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sort.Slice(r.closes, func(i, j int) bool { return r.closes[i].At < r.closes[j].At })
	res.Closes = r.closes
	res.ErrorFrames = r.errs
	res.FirstError = r.first
}

// read is the socket's one reader: it reads every frame into one buffer,
// scans the few bytes it needs and records the delivery.
func (c *conn) read() {
	defer close(c.done)
	r := c.r
	buf := make([]byte, 0, 2048)
	centrifugo := r.p.Target == "centrifugo"
	ctx := context.Background() // no deadline: no timer per read
	for {
		typ, rd, err := c.ws.Reader(ctx)
		if err == nil {
			buf, err = readAll(rd, buf[:0])
		}
		if err != nil {
			c.ended(err)
			return
		}
		now := r.now()
		c.frames.Add(1)
		if now >= r.start.Load() && now < r.end.Load() {
			c.winFrames.Add(1)
		}
		if r.quiet.Load() {
			r.last.Store(now)
		}
		if typ != websocket.MessageText {
			continue
		}
		if !centrifugo {
			c.message(buf, now)
			continue
		}
		// Centrifugo: newline-separated replies; {} is a ping to answer.
		for data := buf; len(data) > 0; {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			line = bytes.TrimSpace(line)
			switch {
			case len(line) == 0:
			case bytes.Equal(line, []byte("{}")):
				go func() { _ = c.ws.Write(context.Background(), websocket.MessageText, []byte("{}")) }()
			case bytes.Contains(line, []byte(`"pub":`)):
				c.delivery(line, now)
			case bytes.Contains(line, []byte(`"error":`)):
				r.errorFrame(line)
			}
		}
	}
}

var (
	typeMessage = []byte(`"type":"message"`)
	typeError   = []byte(`"type":"error"`)
	keyMessage  = []byte(`"message":"`)
	keyClientID = []byte(`"client_id":"p`)
)

// message handles one chelseru frame.
func (c *conn) message(f []byte, now int64) {
	switch {
	case bytes.Contains(f, typeMessage):
		c.delivery(f, now)
	case bytes.Contains(f, typeError):
		c.r.errorFrame(f)
	}
}

// delivery records a message that reached this socket: its latency if it
// was sent in the window, and the acknowledgement of a publisher's own.
func (c *conn) delivery(f []byte, now int64) {
	r := c.r
	i := bytes.Index(f, keyMessage)
	if i < 0 {
		return
	}
	ts, ok := digits(f[i+len(keyMessage):], tsDigits)
	if !ok {
		return // not one of ours
	}
	if now >= r.start.Load() && now < r.end.Load() {
		c.winMsgs.Add(1)
	}
	if int64(ts) >= r.start.Load() && int64(ts) < r.end.Load() {
		c.n.Add(1)
		c.hist.record(now - int64(ts))
	}
	if c.pub == nil {
		return
	}
	j := bytes.Index(f, keyClientID)
	if j < 0 {
		return
	}
	rest := f[j+len(keyClientID):]
	idx, ok := digits(rest, idxDigits)
	if !ok || int(idx) != c.pub.idx || len(rest) < idxDigits+1+seqDigits {
		return
	}
	seq, ok := digits(rest[idxDigits+1:], seqDigits)
	if !ok {
		return
	}
	select {
	case c.pub.ack <- int64(seq):
	default:
	}
}

func (r *clientRun) errorFrame(f []byte) {
	r.mu.Lock()
	r.errs++
	if r.first == "" {
		r.first = string(f)
	}
	r.mu.Unlock()
}

// ended records why the reader stopped, unless we were closing.
func (c *conn) ended(err error) {
	r := c.r
	if r.stopping.Load() {
		return
	}
	role := "sub"
	if c.plan.Pub {
		role = "pub"
	}
	ci := closeInfo{Socket: c.idx, Role: role, Code: int(websocket.CloseStatus(err)), Error: err.Error(), At: time.Since(r.opened).Seconds()}
	r.mu.Lock()
	r.closes = append(r.closes, ci)
	r.mu.Unlock()
}

// readAll reads a message into buf, growing it when needed.
func readAll(rd io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Fixed-width numbers in the frames: the send time, the publisher and its
// sequence number are written into a pre-built frame in place.
const (
	tsDigits  = 19
	idxDigits = 5
	seqDigits = 10
)

func digits(b []byte, n int) (uint64, bool) {
	if len(b) < n {
		return 0, false
	}
	var v uint64
	for _, ch := range b[:n] {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		v = v*10 + uint64(ch-'0')
	}
	return v, true
}

func putDigits(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// publisher sends messages closed-loop: the next once the previous one
// came back on its own socket.
type publisher struct {
	c                   *conn
	idx                 int
	frame               []byte
	tsAt, seqAt, cmdAt  int // where the numbers go in frame; cmdAt < 0 without a command id
	ack                 chan int64
	sent, timeouts      int64
	lastSent, lastAcked int64
}

func newPublisher(c *conn, idx int, p plan) *publisher {
	pb := &publisher{c: c, idx: idx, ack: make(chan int64, 4), cmdAt: -1}
	pad := max(p.Size-tsDigits-1, 0)
	var b strings.Builder
	if p.Target == "centrifugo" {
		b.WriteString(`{"id":`)
		pb.cmdAt = b.Len()
		b.WriteString(strings.Repeat("0", seqDigits))
		b.WriteString(`,"publish":{"channel":"` + c.plan.Channel + `","data":`)
	}
	b.WriteString(`{"message":"`)
	pb.tsAt = b.Len()
	b.WriteString(strings.Repeat("0", tsDigits) + " " + strings.Repeat("x", pad))
	b.WriteString(`","client_id":"p`)
	idxAt := b.Len()
	b.WriteString(strings.Repeat("0", idxDigits) + "-")
	pb.seqAt = b.Len()
	b.WriteString(strings.Repeat("0", seqDigits) + `"}`)
	if p.Target == "centrifugo" {
		b.WriteString(`}}`)
	}
	pb.frame = []byte(b.String())
	putDigits(pb.frame[idxAt:idxAt+idxDigits], uint64(idx))
	return pb
}

// run publishes until the window ends, and waits for the last message.
func (pb *publisher) run(r *clientRun, ackTimeout time.Duration) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	ctx := context.Background()
	start, end := r.start.Load(), r.end.Load()
	for seq := int64(1); ; seq++ {
		ts := r.now()
		if ts >= end {
			return
		}
		putDigits(pb.frame[pb.tsAt:pb.tsAt+tsDigits], uint64(ts))
		putDigits(pb.frame[pb.seqAt:pb.seqAt+seqDigits], uint64(seq))
		if pb.cmdAt >= 0 {
			// A JSON number: no leading zero.
			putDigits(pb.frame[pb.cmdAt:pb.cmdAt+seqDigits], 1_000_000_000+uint64(seq)%1_000_000_000)
		}
		if ts >= start {
			pb.sent++
		}
		if err := pb.c.ws.Write(ctx, websocket.MessageText, pb.frame); err != nil {
			return
		}
		pb.lastSent = seq
		t.Reset(ackTimeout)
	wait:
		for {
			select {
			case a := <-pb.ack:
				if a == seq {
					pb.lastAcked = seq
					break wait
				}
			case <-t.C:
				pb.timeouts++
				break wait
			case <-pb.c.done:
				return
			}
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
	}
}

func runFanout(ctx context.Context, p plan, h hooks) (clientResult, error) {
	r := newClientRun(p)
	res, err := r.open(ctx)
	if err != nil {
		return res, err
	}
	var pubs []*publisher
	perGroup := map[int]int64{}
	for i, c := range r.conns {
		if c == nil {
			continue
		}
		perGroup[c.plan.Group]++
		if c.plan.Pub {
			c.pub = newPublisher(c, i, p)
			pubs = append(pubs, c.pub)
		}
	}
	r.startReaders()
	// The joins of the sockets just opened reach the others: let them
	// settle before loading.
	r.waitQuiet(300*time.Millisecond, 15*time.Second)
	if len(pubs) == 0 {
		r.closeAll()
		r.fill(&res)
		return res, fmt.Errorf("no publisher socket opened (%d dial errors: %s)", res.DialErrors, res.FirstDialError)
	}

	start := r.now() + int64(p.Warmup)
	end := start + int64(p.Duration)
	r.start.Store(start)
	r.end.Store(end)
	var wg sync.WaitGroup
	for _, pb := range pubs {
		wg.Go(func() { pb.run(r, p.AckTimeout) })
	}
	time.Sleep(time.Duration(start - r.now()))
	h.event("window_start")
	cpu0 := cpuSeconds()
	time.Sleep(time.Duration(end - r.now()))
	cpu1 := cpuSeconds()
	h.event("window_end")
	wg.Wait()
	// The last messages of the window reach the other sockets.
	r.waitQuiet(300*time.Millisecond, 5*time.Second)
	r.closeAll()

	res.WindowSeconds = time.Duration(end - start).Seconds()
	res.CPUSeconds = cpu1 - cpu0
	var hist histogram
	for _, c := range r.conns {
		if c == nil {
			continue
		}
		res.Deliveries += c.n.Load()
		res.Frames += c.winFrames.Load()
		res.FrameMessages += c.winMsgs.Load()
		hist.merge(&c.hist)
	}
	for _, pb := range pubs {
		res.Published += pb.sent
		res.AckTimeouts += pb.timeouts
		res.Expected += pb.sent * perGroup[pb.c.plan.Group]
	}
	res.Latency = hist.summary()
	r.fill(&res)
	return res, nil
}

func runIdle(ctx context.Context, p plan, h hooks) (clientResult, error) {
	r := newClientRun(p)
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	cpu0 := cpuSeconds()
	res, err := r.open(ctx)
	if err != nil {
		return res, err
	}
	r.startReaders()
	r.waitQuiet(500*time.Millisecond, 60*time.Second)
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	if res.Sockets > 0 {
		n := float64(res.Sockets)
		res.ClientHeapPerSocket = (float64(m1.HeapInuse) - float64(m0.HeapInuse)) / n
		res.ClientStackPerSocket = (float64(m1.StackInuse) - float64(m0.StackInuse)) / n
		res.ClientGoroutines = runtime.NumGoroutine() - g0
	}
	h.event("ready")
	select {
	case <-h.proceed:
	case <-ctx.Done():
	}
	r.closeAll()
	res.CPUSeconds = cpuSeconds() - cpu0
	r.fill(&res)
	return res, ctx.Err()
}

// runChurn opens and closes sockets, Cycles in all, one worker per socket
// of the plan.
func runChurn(ctx context.Context, p plan) (clientResult, error) {
	var res clientResult
	var mu sync.Mutex
	var next atomic.Int64
	cpu0 := cpuSeconds()
	t0 := time.Now()
	var wg sync.WaitGroup
	for _, s := range p.Sockets {
		wg.Go(func() {
			for next.Add(1) <= int64(p.Cycles) && ctx.Err() == nil {
				err := cycle(ctx, p, s)
				mu.Lock()
				res.Cycles++
				if err != nil {
					res.CycleErrors++
					if res.FirstCycErr == "" {
						res.FirstCycErr = err.Error()
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.CycleSecs = time.Since(t0).Seconds()
	res.CPUSeconds = cpuSeconds() - cpu0
	return res, ctx.Err()
}

// cycle opens a socket and closes it with 1000, waiting for the server's
// close.
func cycle(ctx context.Context, p plan, s sockPlan) error {
	ws, err := p.dial(ctx, s)
	if err != nil {
		return err
	}
	err = ws.Close(websocket.StatusNormalClosure, "")
	if err != nil && websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}
