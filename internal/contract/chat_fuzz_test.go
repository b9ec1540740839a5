package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/internal/testdb"
)

// FuzzChatSocketFrame sends any text frame a client could send and then
// a message of its own: whatever the frame was, the socket stays open and
// the message comes back. A panic in the server fails it too, since the
// server runs in the test's process.
func FuzzChatSocketFrame(f *testing.F) {
	for _, seed := range []string{
		`not json`, `{"message": "hi"}`, `{"message": "hi", "client_id": "c-1"}`, `{"type": "typing"}`,
		`{"type": "read", "message_id": 1}`, `{"type": "read", "message_id": "x"}`, `{"message": 5}`,
		`{"type": "dance"}`, `{}`, `[1,2]`, `null`, `"a string"`, `{"message": null}`, `{"message": "  "}`,
		`{"type": "message", "message": "ok", "message_id": -1}`, `{"message": "` + "\u202b" + `سلام"}`,
	} {
		f.Add(seed)
	}
	e := newChatEnv(f, testdb.SQLite(f), nil, func(c *chat.Config) { c.Rate = -1 })
	room, ali, _, _, _ := e.directRoom("09120000291", "09120000292")
	s := e.mustDial(room, ali, "")
	n := 0
	f.Fuzz(func(t *testing.T, frame string) {
		if !utf8.ValidString(frame) || len(frame) > 60<<10 {
			t.Skip("not a text frame a client library sends, or over the read limit")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n++
		sentinel := fmt.Sprintf("sentinel %d", n)
		after, _ := json.Marshal(map[string]string{"message": sentinel})
		for _, b := range [][]byte{[]byte(frame), after} {
			if err := s.ws.Write(ctx, websocket.MessageText, b); err != nil {
				t.Fatalf("after %q: write: %v", frame, err)
			}
		}
		for {
			_, data, err := s.ws.Read(ctx)
			if err != nil {
				t.Fatalf("after %q: %v", frame, err)
			}
			var m map[string]any
			if json.Unmarshal(data, &m) == nil && m["type"] == "message" && m["message"] == sentinel {
				return
			}
		}
	})
}
