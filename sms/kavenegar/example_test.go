package kavenegar_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/kavenegar"
)

func Example() {
	// A stand-in for api.kavenegar.com: it accepts one lookup, then runs
	// out of credit.
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		if calls > 1 {
			w.WriteHeader(http.StatusTeapot) // 418, as Kavenegar answers
			fmt.Fprint(w, `{"return":{"status":418,"message":"اعتبار حساب شما کافی نیست"},"entries":null}`)
			return
		}
		fmt.Fprint(w, `{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"message":"code 123456","status":5,"statustext":"ارسال به مخابرات","sender":"10008663","receptor":"09121234567","date":1700000000,"cost":120}]}`)
	}))
	defer srv.Close()

	kn, err := kavenegar.New(kavenegar.Config{APIKey: "your-api-key", BaseURL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	otp := sms.Message{To: "+98 912 123 4567", Template: "otp", Params: []string{"123456"}, Secret: true}

	r, err := kn.Send(context.Background(), otp)
	fmt.Println(r.Provider, r.MessageID, r.Parts, err)

	_, err = kn.Send(context.Background(), otp)
	fmt.Println(errors.Is(err, sms.ErrInsufficientCredit), err)
	// Output:
	// kavenegar 8792343 1 <nil>
	// true kavenegar: insufficient credit (code 418): اعتبار حساب شما کافی نیست
}
