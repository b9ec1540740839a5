package ghasedak_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/ghasedak"
)

func Example() {
	// A stand-in for gw.ghasedak.me that accepts every one-time code.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"isSuccess":true,"statusCode":200,"message":"با موفقیت انجام شد","data":{"lineNumber":"30005088","messageBody":"کد ورود: 123456","items":[{"receptor":"09121234567","cost":1150,"messageId":"2366799","sendDate":"2024-07-11T18:16:05.952Z","clientReferenceId":"x"}],"totalCost":1150}}`)
	}))
	defer srv.Close()

	gh, err := ghasedak.New(ghasedak.Config{
		APIKey:     "your-api-key",
		ParamNames: []string{"Code"}, // the template's input names, in order
		BaseURL:    srv.URL,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	r, err := gh.Send(context.Background(), sms.Message{To: "0912 123 4567", Template: "newOTP", Params: []string{"123456"}, Secret: true})
	fmt.Println(r.Provider, r.MessageID, r.Parts, err)

	// The gateway sends templates only.
	_, err = gh.Send(context.Background(), sms.Message{To: "0912 123 4567", Text: "Hello"})
	fmt.Println(errors.Is(err, sms.ErrTemplateRequired))
	// Output:
	// ghasedak 2366799 1 <nil>
	// true
}
