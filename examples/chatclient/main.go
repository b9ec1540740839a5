// Command chatclient is the README's Go chat client: it logs in with a
// one-time code, opens the direct room with another user, and chats over
// the room's WebSocket, lines from stdin out, messages from the room to
// stdout.
//
//	go run ./examples/chatclient -api http://localhost:8000/api/ -mobile 09120000001 -peer 2
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/coder/websocket"
)

func main() {
	api := flag.String("api", "http://localhost:8000/api/", "the API's base URL")
	mobile := flag.String("mobile", "", "your mobile number")
	peer := flag.Int64("peer", 0, "the user id to chat with")
	flag.Parse()
	if err := run(context.Background(), *api, *mobile, *peer, os.Stdin, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// post sends v as JSON and decodes the answer into out.
func post(url, token string, v, out any) error {
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		body, _ := io.ReadAll(res.Body)
		return fmt.Errorf("%s: %s", url, body)
	}
	return json.NewDecoder(res.Body).Decode(out)
}

func run(ctx context.Context, api, mobile string, peer int64, in io.Reader, out io.Writer) error {
	lines := bufio.NewScanner(in)
	// 1. Log in: ask for a code, read it (from the SMS), authenticate.
	var sent map[string]any
	if err := post(api+"otp/send/", "", map[string]string{"mobile_number": mobile}, &sent); err != nil {
		return err
	}
	fmt.Fprint(out, "code: ")
	if !lines.Scan() {
		return io.ErrUnexpectedEOF
	}
	var login struct{ Access string }
	if err := post(api+"authenticate/", "", map[string]string{"mobile_number": mobile, "code": strings.TrimSpace(lines.Text())}, &login); err != nil {
		return err
	}
	// 2. The direct room with peer (made on first use).
	var room struct{ ID int64 }
	if err := post(api+"chat/chatrooms/", login.Access, map[string]int64{"user": peer}, &room); err != nil {
		return err
	}
	// 3. The room's socket; the token goes in the subprotocol, not the URL.
	wsURL := "ws" + strings.TrimPrefix(api, "http") + fmt.Sprintf("chat/%d/", room.ID)
	ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"bearer", login.Access}})
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	go func() { // print the room's messages, yours included
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var f struct{ Type, Message, Sender string }
			if json.Unmarshal(b, &f) == nil && f.Type == "message" {
				fmt.Fprintf(out, "%s: %s\n", f.Sender, f.Message)
			}
		}
	}()
	run := rand.Text()[:8] // a client_id unique to each line makes a resend safe
	for i := 0; lines.Scan(); i++ {
		frame, _ := json.Marshal(map[string]string{"message": lines.Text(), "client_id": fmt.Sprint(run, "-", i)})
		if err := ws.Write(ctx, websocket.MessageText, frame); err != nil {
			return err
		}
	}
	return ws.Close(websocket.StatusNormalClosure, "")
}
