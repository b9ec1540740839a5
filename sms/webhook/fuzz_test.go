package webhook_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chelseru/chelseru-go/sms/webhook"
)

// FuzzVerify: Verify never panics, and never accepts what was not signed
// with the secret.
func FuzzVerify(f *testing.F) {
	f.Add("msg_1", "1700000000", "v1,abc", []byte(`{"to":"09120000001","text":"hi"}`))
	f.Add("", "", "", []byte{})
	f.Add("x", "-1", "v1, v2,", []byte("{"))
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(webhook.HeaderID, id)
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		if err := webhook.Verify("fuzz-secret", h, body, now, 0); err == nil {
			t.Fatalf("accepted an unsigned request: id %q ts %q sig %q", id, ts, sig)
		}
	})
}
