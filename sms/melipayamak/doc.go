// Package melipayamak is an [sms.Sender] for MeliPayamak (payamak-panel.com,
// the platform FaraPayamak also runs on), over its REST web service at
// https://rest.payamak-panel.com/api/SendSMS. The SOAP service and the
// console API are not covered.
//
// A [Client] supports:
//
//   - plain text sends (SendSMS) from the sender line in Config.From;
//   - template sends on the shared service number (BaseServiceNumber):
//     m.Template is the approved template's bodyId, a positive integer, and
//     m.Params are its variables in order, sent joined with ';' (so none may
//     contain ';');
//   - delivery reports (GetDeliveries2) with [Client.Status];
//   - the account's credit (GetCredit) with [Client.Credit].
//
// Each send goes to one receiver, in the national form 09XXXXXXXXX. The
// receipt's MessageID is the provider's recId (a 19-digit decimal), which
// Status takes back.
//
//	c, err := melipayamak.New(melipayamak.Config{
//		Username: os.Getenv("MELIPAYAMAK_USERNAME"),
//		Password: os.Getenv("MELIPAYAMAK_API_KEY"), // or the panel password
//		From:     "50004000123456",
//	})
//	if err != nil {
//		return err
//	}
//	r, err := c.Send(ctx, sms.Message{To: "09121234567", Template: "123456", Params: []string{"8412"}})
//
// Every refusal is a [*sms.ProviderError] whose Code is MeliPayamak's own
// result code ("2", "-110", …) and whose Kind is one of the sms.Err… kinds:
// wrong credentials are [sms.ErrBadCredentials], no credit
// [sms.ErrInsufficientCredit], a bodyId that is not approved
// [sms.ErrTemplateRejected], and so on. MeliPayamak answers every call
// with {"Value","RetStatus","StrRetStatus"}: a send succeeded when RetStatus
// is 1 and Value is a recId; otherwise the code is Value when it is a small
// or negative number and RetStatus when it is not. The password (or API key)
// never appears in an error.
//
// # Concurrency
//
// A Client is safe for concurrent use by multiple goroutines; it holds no
// state beyond its configuration.
package melipayamak
