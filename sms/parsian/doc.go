// Package parsian is an [sms.Sender] for Parsian Webco
// (api.parsianwebco.ir), a template-only SMS service.
//
// A [Client] supports:
//
//   - template sends (POST /webservice-send-sms/send): m.Template is the
//     panel's numeric TemplateID and m.Params its variables in order, sent
//     joined with ',' (so none may contain ','), to one receiver in the
//     national form 09XXXXXXXXX;
//   - the account's credit (POST /webservice-get-credit/get) with
//     [Client.Credit], read leniently (see below).
//
// A plain text (m.Text) is refused with an [sms.ErrTemplateRequired]
// [*sms.ProviderError] before any request is made. Delivery reports
// (/webservice-check-sms/get) are not supported: nothing is known of their
// answer beyond its status, so a [Client] is not an [sms.StatusChecker].
//
//	c, err := parsian.New(parsian.Config{APIKey: os.Getenv("PARSIAN_TOKEN")})
//	if err != nil {
//		return err
//	}
//	_, err = c.Send(ctx, sms.Message{To: "09121234567", Template: "1024", Params: []string{"8412"}})
//	if errors.Is(err, sms.ErrBadCredentials) {
//		// the token is wrong
//	}
//
// What is known of the wire format comes from third-party code only, so
// the client is lenient with answers. It relies on nothing but the JSON
// field "status": 200 is success, 100 a failure ([sms.ErrRejected]) and 401
// a wrong token ([sms.ErrBadCredentials]); any other status is read as an
// HTTP status (429 [sms.ErrRateLimited], 5xx [sms.ErrTemporary], …) or is
// [sms.ErrRejected]. A text under "message", "msg" or "error" becomes the
// error's Message. Keys match in any letter case and numbers may come as
// JSON strings. The undocumented extras are read where present:
//
//   - the message id of a send, from "id" or "smsID" (the receipt's
//     MessageID is "" without one);
//   - the credit, from "credit", "balance", "amount" or "data"; an answer
//     with none of them is an [sms.ErrTransport] ProviderError.
//
// The token never appears in an error.
//
// # Concurrency
//
// A Client is safe for concurrent use by multiple goroutines; it holds no
// state beyond its configuration.
package parsian
