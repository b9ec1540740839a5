package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/console"
)

func Example() {
	// Drop the time so that the output is the same on every run.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	s := console.New(logger)

	r, err := s.Send(context.Background(), sms.Message{To: "+98 912 000 0001", Text: "Your code: 01234567"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Provider, r.MessageID, r.Parts)
	// Output:
	// level=INFO msg="sms (console)" to=09120000001 text="Your code: 01234567" message_id=1 parts=1
	// console 1 1
}
