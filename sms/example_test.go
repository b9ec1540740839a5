package sms_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/chelseru/chelseru-go/sms"
)

func ExampleParseMobile() {
	for _, s := range []string{
		"0912 000 0001",
		"+98 (912) 000-0001",
		"00989120000001",
		"۰۹۱۲۰۰۰۰۰۰۱", // Persian digits
		"0912000000",  // a digit short
		"02188887777", // a landline
	} {
		m, err := sms.ParseMobile(s)
		if err != nil {
			fmt.Println(errors.Is(err, sms.ErrInvalidNumber), err)
			continue
		}
		fmt.Println(m)
	}
	// Output:
	// 09120000001
	// 09120000001
	// 09120000001
	// 09120000001
	// true sms: invalid Iranian mobile number: too few digits
	// true sms: invalid Iranian mobile number: not a mobile number
}

func ExampleMobile_E164() {
	m, err := sms.ParseMobile("09121234567")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.E164())
	// Output: +989121234567
}

func ExampleMobile_LogValue() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // a stable output for the example
			}
			return a
		},
	}))
	m, _ := sms.ParseMobile("+989121234567")
	logger.Info("code sent", "to", m)
	// Output: level=INFO msg="code sent" to=0912***4567
}

func ExampleNormalizeDigits() {
	fmt.Println(sms.NormalizeDigits("کد: ۰۱۲۳٤٥"))
	// Output: کد: 012345
}

func ExampleParts() {
	for _, text := range []string{
		"Your code: 01234567",
		strings.Repeat("a", 161),
		"Price: 10€ {net}",
		"کد ورود شما: ۰۱۲۳۴۵۶۷",
		strings.Repeat("س", 71),
	} {
		enc, parts := sms.Parts(text)
		fmt.Println(enc, parts)
	}
	// Output:
	// GSM-7 1
	// GSM-7 2
	// GSM-7 1
	// UCS-2 1
	// UCS-2 2
}

func ExampleSend() {
	// A host sets the default once at start-up, usually to a provider
	// client; here it is a function that prints what it is given.
	prev := sms.Default()
	defer sms.SetDefault(prev)
	sms.SetDefault(sms.SenderFunc(func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
		if err := m.Validate(); err != nil {
			return sms.Receipt{}, err
		}
		to, _ := sms.ParseMobile(m.To)
		_, parts := sms.Parts(m.Text)
		fmt.Printf("to %s: %s\n", to.E164(), m.Text)
		return sms.Receipt{Provider: "example", MessageID: "1", Parts: parts}, nil
	}))

	// Business code anywhere in the program:
	r, err := sms.Send(context.Background(), sms.Message{To: "0912-000-0001", Text: "Order 42 is on its way."})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Provider, r.MessageID, r.Parts)

	_, err = sms.Send(context.Background(), sms.Message{To: "0812 000 0001", Text: "hi"})
	fmt.Println(errors.Is(err, sms.ErrInvalidNumber))
	// Output:
	// to +989120000001: Order 42 is on its way.
	// example 1 1
	// true
}
