package melipayamak_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/melipayamak"
)

func Example() {
	// A stand-in for rest.payamak-panel.com: it accepts template sends and
	// reports an empty account for plain ones.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/SendSMS/BaseServiceNumber":
			fmt.Fprint(w, `{"Value":"5243690627088685351","RetStatus":1,"StrRetStatus":"Ok"}`)
		default:
			fmt.Fprint(w, `{"Value":"2","RetStatus":35,"StrRetStatus":"InvalidData"}`)
		}
	}))
	defer fake.Close()

	c, err := melipayamak.New(melipayamak.Config{
		Username: "user",
		Password: "api-key",
		From:     "50004000123456",
		BaseURL:  fake.URL + "/api/SendSMS", // omit in production
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	r, err := c.Send(ctx, sms.Message{To: "0912 123 4567", Template: "123456", Params: []string{"8412"}, Secret: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Provider, r.MessageID, r.Parts)

	_, err = c.Send(ctx, sms.Message{To: "09121234567", Text: "Your order is on its way."})
	fmt.Println(errors.Is(err, sms.ErrInsufficientCredit), err)
	// Output:
	// melipayamak 5243690627088685351 1
	// true melipayamak: insufficient credit (code 2): InvalidData: not enough credit
}
