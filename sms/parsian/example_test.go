package parsian_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/parsian"
)

func Example() {
	// A stand-in for api.parsianwebco.ir that accepts every template send.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":200}`)
	}))
	defer fake.Close()

	c, err := parsian.New(parsian.Config{
		APIKey:  "panel-token",
		BaseURL: fake.URL, // omit in production
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	r, err := c.Send(ctx, sms.Message{To: "+98 912 123 4567", Template: "1024", Params: []string{"8412"}, Secret: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %q %d\n", r.Provider, r.MessageID, r.Parts)

	// Parsian Webco sends templates only.
	_, err = c.Send(ctx, sms.Message{To: "09121234567", Text: "Hello"})
	fmt.Println(errors.Is(err, sms.ErrTemplateRequired))
	// Output:
	// parsian "" 1
	// true
}
