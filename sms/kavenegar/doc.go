// Package kavenegar is an [sms.Sender] for Kavenegar (kavenegar.com), an
// Iranian SMS provider, over its REST API at api.kavenegar.com.
//
// A [Client] sends both kinds of [sms.Message]:
//
//   - a plain text (Message.Text) through sms/send, from Config.Sender or,
//     when that is empty, from the account's default line;
//   - a template (Message.Template, the template's name as set up in the
//     Kavenegar panel) through verify/lookup, with Message.Params as the
//     tokens token, token2, token3, token10 and token20, in that order.
//
// It also reads a message's delivery report ([Client.Status], an
// [sms.StatusChecker]) and the account's remaining credit in rials
// ([Client.Credit], an [sms.CreditChecker]).
//
//	kn, err := kavenegar.New(kavenegar.Config{APIKey: os.Getenv("KAVENEGAR_API_KEY")})
//	if err != nil {
//		return err
//	}
//	_, err = kn.Send(ctx, sms.Message{To: "0912 123 4567", Template: "otp", Params: []string{"123456"}, Secret: true})
//	switch {
//	case errors.Is(err, sms.ErrInsufficientCredit): // top up the account
//	case errors.Is(err, sms.ErrInvalidMessage): // a token Kavenegar would refuse; nothing was sent
//	}
//
// Send checks what Kavenegar is known to refuse before it makes a request,
// and returns an [*sms.ValidationError] instead: a text over 900
// characters; more than five parameters; an empty first token; a token over
// 100 characters; whitespace or an underscore in token, token2 or token3;
// more than 5 whitespace characters in token10 or 8 in token20.
//
// Every call is a POST of form fields (UTF-8) to
// {BaseURL}/v1/{APIKey}/{scope}/{method}.json: sms/send.json with
// receptor, message and sender; verify/lookup.json with receptor,
// template and the tokens; sms/status.json with messageid;
// account/info.json. Answers are Kavenegar's {"return": {"status",
// "message"}, "entries": …} envelope.
//
// Every failure Kavenegar reports is an [*sms.ProviderError] whose Code is
// Kavenegar's return.status ("418") and whose Kind is one of the sms.Err…
// kinds. The API key travels in the URL path of every call; it never
// appears in an error.
//
// # Concurrency
//
// A [Client] is safe for concurrent use by multiple goroutines, as long as
// its Config.HTTPClient is (an [http.Client] is). It holds no state besides
// its configuration.
package kavenegar
