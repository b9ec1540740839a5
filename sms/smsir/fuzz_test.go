package smsir_test

import (
	"testing"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/fuzzsend"
	"github.com/chelseru/chelseru-go/sms/smsir"
)

// FuzzAnswer: whatever smsir's API answers, Send returns a receipt or a
// typed error, and never panics.
func FuzzAnswer(f *testing.F) {
	for _, seed := range []string{"", "{}", "[]", "null", "<html></html>", `{"a":`, "0", "\"x\""} {
		f.Add(200, []byte(seed))
		f.Add(500, []byte(seed))
	}
	s := fuzzsend.New(f)
	c, err := smsir.New(smsir.Config{APIKey: "K", LineNumber: "3000", BaseURL: s.URL})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		s.Answer(status, body)
		fuzzsend.Check(t, c, sms.Message{To: "09120000001", Text: "hello"})
		fuzzsend.Check(t, c, sms.Message{To: "09120000001", Template: "12", Params: []string{"1234"}})
	})
}
