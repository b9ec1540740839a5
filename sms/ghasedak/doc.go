// Package ghasedak is an [sms.Sender] for Ghasedak (ghasedak.me), an
// Iranian SMS provider, over its new web-service gateway at
// gw.ghasedak.me. The legacy v2 API (api.ghasedak.me/v2) is not supported.
//
// The gateway's one-time-code API sends templates only: a [Client] sends a
// message with Message.Template (the template's name in the Ghasedak
// panel) through SendOtpSMS, filling the template's inputs, named by
// Config.ParamNames, with Message.Params in order. A plain text
// (Message.Text) is refused without a request, with an [*sms.ProviderError]
// of kind [sms.ErrTemplateRequired].
//
// It also reads a message's delivery report ([Client.Status], an
// [sms.StatusChecker]) and the account's remaining credit ([Client.Credit],
// an [sms.CreditChecker]).
//
//	gh, err := ghasedak.New(ghasedak.Config{
//		APIKey:     os.Getenv("GHASEDAK_API_KEY"),
//		ParamNames: []string{"Code"}, // the template's inputs, in order
//	})
//	if err != nil {
//		return err
//	}
//	_, err = gh.Send(ctx, sms.Message{To: "0912 123 4567", Template: "newOTP", Params: []string{"123456"}, Secret: true})
//	if errors.Is(err, sms.ErrInsufficientCredit) {
//		// top up the account
//	}
//
// Every failure the gateway reports (isSuccess false, in any HTTP status)
// is an [*sms.ProviderError] whose Code is the gateway's statusCode and
// whose Kind is one of the sms.Err… kinds. The API key travels in the
// ApiKey header and never appears in an error.
//
// # Concurrency
//
// A [Client] is safe for concurrent use by multiple goroutines, as long as
// its Config.HTTPClient is (an [http.Client] is). It holds no state besides
// its configuration.
package ghasedak
