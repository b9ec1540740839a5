package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
)

// Centrifugo's bidirectional JSON protocol (client protocol v2), as its
// documentation and its protobuf schema (centrifugal/protocol,
// client.proto) define it, the parts the load needs:
//
//   - a client sends Commands: {"id":N,"connect":{...}},
//     {"id":N,"subscribe":{"channel":...}},
//     {"id":N,"publish":{"channel":...,"data":<JSON>}}; the server answers
//     each with a Reply of the same id holding the result under the same
//     key, or {"id":N,"error":{"code":...,"message":...}};
//   - publications come as asynchronous Replies without an id:
//     {"push":{"channel":...,"pub":{"data":<JSON>,"offset":...}}}; a
//     channel's subscribers, the publisher among them, get every one;
//   - one WebSocket frame may hold several Commands or Replies, one JSON
//     object a line;
//   - an empty object {} from the server is a ping; the client answers {}.
//
// data travels as the JSON it is, so the message text and client_id of a
// publication are found in the push as the publisher wrote them.

// centrifugoHandshake connects (with the token when there is one) and
// subscribes to the socket's channel, in one frame, and waits for both
// replies.
func centrifugoHandshake(ctx context.Context, ws *websocket.Conn, s sockPlan) error {
	type connectReq struct {
		Token string `json:"token,omitempty"`
		Name  string `json:"name"`
	}
	connect, _ := json.Marshal(map[string]any{"id": 1, "connect": connectReq{Token: s.Token, Name: "chatload"}})
	subscribe, _ := json.Marshal(map[string]any{"id": 2, "subscribe": map[string]string{"channel": s.Channel}})
	frame := append(append(connect, '\n'), subscribe...)
	if err := ws.Write(ctx, websocket.MessageText, frame); err != nil {
		return err
	}
	got := map[uint32]bool{}
	for !got[1] || !got[2] {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("centrifugo handshake: %w", err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var rep struct {
				ID    uint32 `json:"id"`
				Error *struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(line, &rep); err != nil {
				return fmt.Errorf("centrifugo reply %q: %w", line, err)
			}
			if rep.Error != nil {
				what := "connect"
				if rep.ID == 2 {
					what = "subscribe to " + s.Channel
				}
				return fmt.Errorf("centrifugo %s: error %d %s", what, rep.Error.Code, rep.Error.Message)
			}
			if rep.ID != 0 {
				got[rep.ID] = true
			}
		}
	}
	return nil
}

// centrifugoToken signs a connection JWT (HS256, sub and exp) for the
// client.token.hmac_secret_key of Centrifugo's configuration.
func centrifugoToken(secret, user string, ttl time.Duration) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": user,
		"exp": time.Now().Add(ttl).Unix(),
	})
	return t.SignedString([]byte(secret))
}
