// Package webhook is an [sms.Sender] that hands each message to an HTTP
// endpoint the host runs, signed the Standard Webhooks way
// (https://www.standardwebhooks.com). It plugs in an SMS provider that has
// no client in this module, or any other delivery channel, without
// changing the module: the endpoint does the real sending.
//
// For every [sms.Message], [Client.Send] makes one POST to Config.URL with
// this JSON body (empty fields are left out):
//
//	{
//	  "to":       "09121234567",       // always the canonical national form
//	  "text":     "Your code: 01234",  // a plain-text message, or:
//	  "template": "otp",               // a template message
//	  "params":   ["01234"],           //   and its values, in order
//	  "secret":   true                 // Message.Secret: do not log text or params
//	}
//
// and these headers:
//
//	Content-Type:      application/json
//	webhook-id:        msg_<random>     (new for every Send call)
//	webhook-timestamp: <Unix seconds>
//	webhook-signature: v1,<base64 of HMAC-SHA256(key, id + "." + timestamp + "." + body)>
//
// The HMAC key is Config.Secret: when it starts with "whsec_", the rest is
// base64 and the key is what it decodes to (the Standard Webhooks format);
// otherwise it is the secret's own bytes.
//
// The endpoint answers with any 2xx status for an accepted message,
// optionally with a JSON body {"message_id": "...", "parts": 2} that fills
// the [sms.Receipt] (a number for message_id is accepted too). Any other
// status is an [*sms.ProviderError] whose Kind follows the status (401
// sms.ErrBadCredentials, 402 sms.ErrInsufficientCredit, 403
// sms.ErrAccessDenied, 429 sms.ErrRateLimited, 5xx sms.ErrTemporary,
// anything else sms.ErrRejected), whose Code is the status as text, and
// whose Message is the "error" string of a JSON body {"error": "..."} when
// there is one. A redirect is not followed: it is a failure too.
//
// The receiving side is here as well. [Verify] checks a request's signature
// and timestamp; [Handler] is a complete receiver that verifies, decodes and
// calls a function of the host:
//
//	// The process that owns the SMS account:
//	mux.Handle("POST /sms", webhook.Handler(secret, func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
//		return myProvider.Send(ctx, m)
//	}))
//
//	// The process that sends:
//	s, err := webhook.New(webhook.Config{URL: "https://sms.internal.example/sms", Secret: secret})
//	if err != nil {
//		return err
//	}
//	sms.SetDefault(s)
//
// The secret never appears in an error. Keep credentials out of Config.URL
// (the signature is what authenticates the sender), and prefer https: the
// signature protects the message from changes, not from being read.
//
// # Concurrency
//
// A [Client] and the handler [Handler] returns are safe for concurrent use
// by multiple goroutines. The function given to Handler is called on the
// request's goroutine, once per request, and must itself be safe for
// concurrent use.
package webhook
