package smsir_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/smsir"
)

func Example() {
	// A stand-in for api.sms.ir that accepts one verify send.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-API-KEY") != "my-api-key" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"status":10,"message":"invalid key","data":null}`)
			return
		}
		io.WriteString(w, `{"status":1,"message":"موفق","data":{"messageId":89547,"cost":1.0}}`)
	}))
	defer fake.Close()

	c, err := smsir.New(smsir.Config{
		APIKey:  "my-api-key",
		BaseURL: fake.URL + "/v1", // leave empty for the real API
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := c.Send(context.Background(), sms.Message{To: "+98 912 000 0001", Template: "123456", Params: []string{"01234567"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Provider, r.MessageID, r.Parts)

	// Plain text needs Config.LineNumber: this client has none.
	_, err = c.Send(context.Background(), sms.Message{To: "09120000001", Text: "hello"})
	fmt.Println(errors.Is(err, sms.ErrInvalidMessage))
	// Output:
	// smsir 89547 1
	// true
}
