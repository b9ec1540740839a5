package smstest_test

import (
	"context"
	"fmt"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/smstest"
)

// sendCode stands for the code under test: anything that takes an sms.Sender.
func sendCode(ctx context.Context, s sms.Sender, to string) error {
	_, err := s.Send(ctx, sms.Message{To: to, Text: "Your code: 01234567"})
	return err
}

func ExampleRecorder() {
	rec := new(smstest.Recorder)
	if err := sendCode(context.Background(), rec, "+98 912 000 0001"); err != nil {
		fmt.Println(err)
		return
	}

	m, ok := rec.LastTo("09120000001")
	fmt.Println(ok, m.To, rec.Len())
	fmt.Println(smstest.Code(m.Text))
	// Output:
	// true 09120000001 1
	// 01234567
}

func ExampleRecorder_SetErr() {
	rec := new(smstest.Recorder)
	rec.SetErr(fmt.Errorf("provider down"))

	err := sendCode(context.Background(), rec, "09120000001")
	fmt.Println(err, rec.Len())
	// Output:
	// provider down 0
}

func ExampleCode() {
	fmt.Printf("%q\n", smstest.Code("Order 42: your code is 01234567"))
	fmt.Printf("%q\n", smstest.Code("no code here"))
	// Output:
	// "01234567"
	// ""
}
