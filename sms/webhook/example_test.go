package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/webhook"
)

func Example() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

	// The receiving side: in a real deployment, the host's own service
	// that talks to an SMS provider.
	receiver := httptest.NewServer(webhook.Handler(secret, func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
		fmt.Println("received for", m.To+":", m.Text)
		return sms.Receipt{MessageID: "42"}, nil
	}))
	defer receiver.Close()

	// The sending side.
	s, err := webhook.New(webhook.Config{URL: receiver.URL + "/sms", Secret: secret})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := s.Send(context.Background(), sms.Message{To: "+98 912 000 0001", Text: "Your order is on its way."})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Provider, r.MessageID, r.Parts)

	// A sender with another secret is refused.
	other, _ := webhook.New(webhook.Config{URL: receiver.URL + "/sms", Secret: "not-the-secret-the-receiver-has"})
	_, err = other.Send(context.Background(), sms.Message{To: "09120000001", Text: "hi"})
	fmt.Println(errors.Is(err, sms.ErrBadCredentials), err)
	// Output:
	// received for 09120000001: Your order is on its way.
	// webhook 42 1
	// true webhook: bad credentials (code 401): webhook: signature does not match
}

func ExampleVerify() {
	// A request as a Standard Webhooks sender signs it.
	body := []byte(`{"test": 2432232314}`)
	header := map[string][]string{
		"Webhook-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
		"Webhook-Timestamp": {"1614265330"},
		"Webhook-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	}
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	sent := time.Unix(1614265330, 0)

	fmt.Println(webhook.Verify(secret, header, body, sent.Add(time.Minute), 0))
	err := webhook.Verify(secret, header, body, sent.Add(time.Hour), 0)
	fmt.Println(errors.Is(err, webhook.ErrTimestamp))
	err = webhook.Verify(secret, header, []byte(`{"test": 1}`), sent, 0)
	fmt.Println(errors.Is(err, webhook.ErrBadSignature))
	// Output:
	// <nil>
	// true
	// true
}
