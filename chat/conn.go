package chat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/httpx"
)

// Close codes of the contract (API-CONTRACT section 7) beyond RFC 6455's.
const (
	CloseTokenExpired = 4001 // token expired, session revoked or logged out
	CloseRemoved      = 4003 // banned or removed from the room
	CloseRoomDeleted  = 4004
	CloseRateLimited  = 4008
	CloseTooSlow      = 4009 // the send queue overflowed
)

// writeTimeout bounds one frame's write.
const writeTimeout = 10 * time.Second

// conn is one WebSocket: one room, one user.
type conn struct {
	s       *Service
	ws      *websocket.Conn
	net     *batchConn // ws's connection: the writer's frames flush together
	user    auth.User
	session string
	token   string
	expires time.Time
	room    int64
	hubRoom *hubRoom
	limiter *rate.Limiter

	mu      sync.Mutex
	queue   []*frame // waiting for the writer; nil while idle
	writing bool     // a writer goroutine runs (at most one does)
	closing bool
	// The close, kept for the socket when it closed before it was
	// accepted (ws is set under mu).
	closeCode   websocket.StatusCode
	closeReason string
	writers     sync.WaitGroup // the writer, while one runs
	ctx         context.Context
	once        sync.Once
	cancel      context.CancelFunc // ends the socket's context
	ping        *time.Timer        // the next ping, under mu
	expiry      *time.Timer

	replayed int64 // the last seq the replay sent; the writer's
}

// serveSocket is GET chat/{room_id}/: the WebSocket of one room.
func (s *Service) serveSocket(w http.ResponseWriter, r *http.Request) {
	roomID, err := strconv.ParseInt(r.PathValue("room_id"), 10, 64)
	if err != nil || roomID <= 0 {
		httpx.WriteError(w, r, httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "Not found."))
		return
	}
	token, subprotocol := socketToken(r)
	ident, claims, err := s.cfg.Auth.Authenticate(r.Context(), token)
	if err != nil {
		if errors.Is(err, auth.ErrInvalidToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			httpx.WriteError(w, r, httpx.NewError(http.StatusUnauthorized, httpx.CodeUnauthorized, "Given token not valid for any token type"))
			return
		}
		s.fail(w, r, err)
		return
	}
	if _, _, err := s.access(r.Context(), ident.User.ID, roomID); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.originAllowed(r) {
		httpx.WriteError(w, r, httpx.NewError(http.StatusForbidden, httpx.CodeForbidden, "This Origin may not open a socket."))
		return
	}
	after := int64(-1) // no replay
	if a := r.URL.Query().Get("after"); a != "" {
		if after, err = strconv.ParseInt(a, 10, 64); err != nil || after < 0 {
			httpx.WriteError(w, r, httpx.FieldError(httpx.CodeInvalidRequest, map[string]string{"after": "must be a message id"}))
			return
		}
	}
	select {
	case <-s.running:
	default:
		httpx.WriteError(w, r, httpx.NewError(http.StatusServiceUnavailable, "unavailable", "Chat is not running."))
		return
	}

	if !isUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		httpx.WriteError(w, r, httpx.NewError(http.StatusUpgradeRequired, "upgrade_required", "This path is a WebSocket: open it with a WebSocket client."))
		return
	}
	c := &conn{
		s: s, user: ident.User, session: ident.Session.ID, token: token,
		expires: time.Unix(claims.ExpiresAt, 0), room: roomID,
		writing: true, // the first writer, started below, replays first
	}
	if s.cfg.Rate > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(s.cfg.Rate), max(1, int(2*s.cfg.Rate)))
	}
	// The socket outlives the request: it has a context of its own.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c.ctx, c.cancel = ctx, cancel
	// The socket joins the room before the client learns it is connected,
	// so that everything that happens in the room from then on reaches
	// it; what happened before is the replay's. A ban or removal that
	// landed between the check above and the join is caught by the check
	// after it.
	if err := s.hub.join(ctx, c); err != nil {
		cancel()
		if errors.Is(err, errShuttingDown) {
			err = httpx.NewError(http.StatusServiceUnavailable, "unavailable", "Chat is shutting down.")
		}
		s.fail(w, r, err)
		return
	}
	if _, _, err := s.access(ctx, ident.User.ID, roomID); err != nil {
		c.closeWith(websocket.StatusNormalClosure, "")
		cancel()
		s.hub.leave(c)
		s.fail(w, r, err)
		return
	}

	opts := &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled}
	if subprotocol {
		opts.Subprotocols = []string{"bearer"}
	}
	bw := &batchWriter{ResponseWriter: w}
	ws, err := websocket.Accept(bw, r, opts)
	if err != nil { // Accept has answered
		c.closeWith(websocket.StatusNormalClosure, "")
		cancel()
		s.hub.leave(c)
		return
	}
	ws.SetReadLimit(s.cfg.ReadLimit)
	c.mu.Lock()
	c.ws, c.net = ws, bw.conn
	closed, code, reason := c.closing, c.closeCode, c.closeReason
	c.mu.Unlock()
	if closed { // while it was joining: a ban, the room deleted, a shutdown
		go ws.Close(code, reason)
	}
	c.writers.Add(1)
	go c.writeLoop(after)
	s.hub.sockets.Add(1)
	c.mu.Lock()
	c.ping = time.AfterFunc(s.cfg.PingInterval, c.pingPeer)
	c.mu.Unlock()
	c.expiry = time.AfterFunc(time.Until(c.expires), func() { c.closeWith(CloseTokenExpired, "token expired") })
	// The reader runs on a goroutine of its own and the handler returns,
	// so that the server's goroutine for the request, its deep stack and
	// its buffers, are not kept for the socket's life. An idle socket is
	// its reader alone: a writer runs while there is something to send.
	go func() {
		c.readLoop(ctx)
		c.closeWith(websocket.StatusNormalClosure, "")
		c.mu.Lock()
		c.ping.Stop()
		c.mu.Unlock()
		c.expiry.Stop()
		cancel()
		c.writers.Wait()
		s.hub.leave(c)
		s.hub.sockets.Add(-1)
	}()
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	has := func(header, token string) bool {
		for _, v := range r.Header.Values(header) {
			for _, t := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(t), token) {
					return true
				}
			}
		}
		return false
	}
	return has("Connection", "upgrade") && has("Upgrade", "websocket")
}

// socketToken finds the access token: the subprotocol pair "bearer,
// <token>" (subprotocol is then true), the Authorization header, or the
// token query parameter (compat).
func socketToken(r *http.Request) (token string, subprotocol bool) {
	var protos []string
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			protos = append(protos, strings.TrimSpace(p))
		}
	}
	for i, p := range protos {
		if strings.EqualFold(p, "bearer") && i+1 < len(protos) {
			return protos[i+1], true
		}
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), false
	}
	return r.URL.Query().Get("token"), false
}

// originAllowed: no Origin (not a browser), the server's own host, or an
// allowed pattern.
func (s *Service) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, p := range s.cfg.AllowedOrigins {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

// enqueue queues f for the writer, never blocking: a full queue closes
// the socket with 4009. An ephemeral frame is dropped instead once the
// queue is half full, so that a burst of them (a room's members all
// joining at once) leaves room for the messages and closes no one.
func (c *conn) enqueue(f *frame) {
	c.mu.Lock()
	if c.closing || f.ephemeral && len(c.queue) >= c.s.cfg.SendQueue/2 {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.s.cfg.SendQueue {
		c.mu.Unlock()
		go c.closeWith(CloseTooSlow, "too slow: the send queue overflowed")
		return
	}
	c.queue = append(c.queue, f)
	start := !c.writing
	if start {
		c.writing = true
		c.writers.Add(1) // not closing: the reader has not waited yet
	}
	c.mu.Unlock()
	if start {
		go c.writeLoop(-1)
	}
}

// take hands the writer everything queued. When nothing is, the writer
// ends: writing goes false under the same lock, so the next enqueue
// starts another.
func (c *conn) take() []*frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queue
	c.queue = nil
	if len(q) == 0 || c.closing {
		c.writing = false
		return nil
	}
	return q
}

// closeWith closes the socket once, with a code and reason.
func (c *conn) closeWith(code websocket.StatusCode, reason string) {
	c.once.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.queue = nil
		c.closeCode, c.closeReason = code, reason
		ws := c.ws
		c.mu.Unlock()
		// Close waits for the peer's answer: not on the caller's time, and
		// not for long: a peer that does not answer loses the socket after
		// closeGrace. Not accepted yet: serveSocket closes it once it is.
		if ws != nil {
			go ws.Close(code, reason)
		}
		if c.cancel != nil {
			time.AfterFunc(closeGrace, c.cancel)
		}
	})
}

// closeGrace is how long a closing socket waits for the peer's close.
const closeGrace = time.Second

// writeLoop is the socket's writer while there is something to send:
// first, for the socket's first writer when after ≥ 0, the replay of what
// the client missed; then the queued frames, a batch at a time, until the
// queue is empty. At most one runs (see enqueue and take).
func (c *conn) writeLoop(after int64) {
	defer c.writers.Done()
	if after >= 0 {
		last, ok := c.replay(c.ctx, after)
		if !ok {
			c.take() // ends the writing; the socket is closing
			return
		}
		c.replayed = last
	}
	for {
		q := c.take()
		if q == nil {
			return
		}
		c.net.hold()
		for _, f := range q {
			if f.seq != 0 && f.seq <= c.replayed {
				continue // the replay sent it
			}
			if !c.write(f.data) {
				c.take()
				return
			}
		}
		if !c.flush() {
			c.take()
			return
		}
	}
}

// pingPeer checks, every PingInterval, that the session still stands
// and the peer still answers.
func (c *conn) pingPeer() {
	ctx := c.ctx
	if _, _, err := c.s.cfg.Auth.Authenticate(ctx, c.token); errors.Is(err, auth.ErrInvalidToken) {
		c.closeWith(CloseTokenExpired, "session ended")
		return
	}
	pctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := c.ws.Ping(pctx); err != nil {
		if ctx.Err() == nil {
			c.closeWith(websocket.StatusPolicyViolation, "no pong")
		}
		return
	}
	c.mu.Lock()
	if !c.closing {
		c.ping = time.AfterFunc(c.s.cfg.PingInterval, c.pingPeer)
	}
	c.mu.Unlock()
}

// write adds a frame to the writer's batch, which must be held: the
// frame goes out, under writeTimeout, when flush sends the batch. (So the
// library's own per-write timer is not needed: its context never ends.)
func (c *conn) write(data []byte) bool {
	if err := c.ws.Write(context.Background(), websocket.MessageText, data); err != nil {
		_ = c.net.flush(writeTimeout) // end the hold, so that the close frame goes out
		c.closeWith(websocket.StatusAbnormalClosure, "")
		return false
	}
	return true
}

// flush sends the writer's batch.
func (c *conn) flush() bool {
	if err := c.net.flush(writeTimeout); err != nil {
		c.closeWith(websocket.StatusAbnormalClosure, "")
		return false
	}
	return true
}

// replayBatch is the page size of a replay.
const replayBatch = 200

// replay sends the room's messages after the id after (0: from the
// first), in order, and returns the sequence number of the last one.
func (c *conn) replay(ctx context.Context, after int64) (int64, bool) {
	var last int64
	for {
		msgs, more, err := c.replayPage(ctx, &after)
		if err != nil {
			c.s.cfg.Logger.WarnContext(ctx, "chat: replay", "room", c.room, "err", err)
			c.closeWith(websocket.StatusInternalError, "could not read the room's history")
			return 0, false
		}
		c.net.hold()
		for _, env := range c.s.hub.envelopes(ctx, msgs) {
			if !c.write(frameOf(env).data) {
				return 0, false
			}
			last = env.Seq
		}
		if !c.flush() {
			return 0, false
		}
		if !more {
			return last, true
		}
	}
}

// replayPage reads the page of the replay after *after and moves *after
// to its end; more reports whether there may be another. A page after
// nothing (0) is read by sequence number, skipping deleted messages as
// Messages does.
func (c *conn) replayPage(ctx context.Context, after *int64) (msgs []Message, more bool, err error) {
	if *after > 0 {
		msgs, err = c.s.store.Messages(ctx, c.room, Page{After: *after, Limit: replayBatch})
		if len(msgs) > 0 {
			*after = msgs[len(msgs)-1].ID
		}
		return msgs, len(msgs) == replayBatch, err
	}
	all, err := c.s.store.MessagesAfterSeq(ctx, c.room, 0, replayBatch)
	for _, m := range all {
		if m.DeletedAt.IsZero() {
			msgs = append(msgs, m)
		}
	}
	if len(all) == 0 {
		return nil, false, err
	}
	*after = all[len(all)-1].ID
	return msgs, len(all) == replayBatch, err
}

// inFrame is a client-to-server frame.
type inFrame struct {
	Type      string  `json:"type"`
	Message   *string `json:"message"`
	ClientID  string  `json:"client_id"`
	MessageID int64   `json:"message_id"`
}

// readLoop reads the client's frames until the socket closes.
func (c *conn) readLoop(ctx context.Context) {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return // closed; an oversize frame was closed with 1009 by Read
		}
		if typ != websocket.MessageText {
			c.closeWith(websocket.StatusUnsupportedData, "binary frames are not accepted")
			return
		}
		if c.limiter != nil && !c.limiter.Allow() {
			c.closeWith(CloseRateLimited, "message rate limit exceeded")
			return
		}
		var in inFrame
		if err := json.Unmarshal(data, &in); err != nil {
			c.enqueue(errorFrame("invalid_json", "The frame is not a JSON object of the expected shape.", ""))
			continue
		}
		c.handle(ctx, in)
	}
}

func (c *conn) handle(ctx context.Context, in inFrame) {
	s := c.s
	switch {
	case (in.Type == "" || in.Type == EventMessage) && in.Message != nil:
		m, created, err := s.Post(ctx, c.user, c.room, *in.Message, in.ClientID)
		if err == nil && !created {
			// A repeat: answer with the stored message, to this socket only.
			c.enqueue(frameOf(Envelope{Type: EventMessage, Room: c.room, ID: m.ID, UserID: c.user.ID,
				Username: c.user.Username, Text: m.Text, ClientID: m.ClientID, At: m.CreatedAt}))
		}
		c.refuse(ctx, err, in.ClientID)
	case in.Type == EventTyping:
		s.publish(ctx, Envelope{Type: EventTyping, Room: c.room, UserID: c.user.ID, Username: c.user.Username})
	case in.Type == EventRead:
		c.refuse(ctx, s.MarkRead(ctx, c.user.ID, c.room, in.MessageID), "")
	case in.Type == "" || in.Type == EventMessage:
		c.enqueue(errorFrame(httpx.CodeInvalidRequest, "message: this field is required and must be a string", in.ClientID))
	default:
		c.enqueue(errorFrame(httpx.CodeInvalidRequest, "Unknown frame type.", ""))
	}
}

// refuse answers a frame the server refused with an error frame (with
// the frame's client_id, when it had one), or a close when the user may
// no longer be in the room.
func (c *conn) refuse(ctx context.Context, err error, clientID string) {
	var fe *FieldError
	switch {
	case err == nil:
	case errors.As(err, &fe):
		field := fe.Field
		if field == "text" {
			field = "message" // the socket's name for it
		}
		c.enqueue(errorFrame(httpx.CodeInvalidRequest, field+": "+fe.Problem, clientID))
	case errors.Is(err, ErrRoomClosed):
		c.enqueue(errorFrame("room_closed", "The room is closed to new messages.", clientID))
	case errors.Is(err, ErrNotFound):
		c.closeWith(CloseRemoved, "not a member of the room")
	case errors.Is(err, ErrForbidden):
		c.enqueue(errorFrame(httpx.CodeForbidden, "You may not do that in this room.", clientID))
	default:
		c.s.cfg.Logger.ErrorContext(ctx, "chat: socket frame", "room", c.room, "err", err)
		c.enqueue(errorFrame(httpx.CodeInternal, "An internal error occurred.", clientID))
	}
}
