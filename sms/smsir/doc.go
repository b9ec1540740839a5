// Package smsir is an [sms.Sender] for SMS.ir (api.sms.ir), through its v1
// REST API.
//
// A [Client] sends both kinds of [sms.Message]:
//
//   - plain text (Message.Text) through POST /send/bulk, from the line in
//     Config.LineNumber, which plain text needs;
//   - a verify template (Message.Template, the template's numeric id from
//     the SMS.ir panel, with Message.Params) through POST /send/verify,
//     which needs no line. The template's parameter names are not part of
//     a Message: Config.ParamNames gives them in order (default "CODE").
//
// [Client.Status] fetches the delivery report of a message id from a
// receipt (GET /send/{id}) and [Client.Credit] the account's credit (GET
// /credit).
//
//	c, err := smsir.New(smsir.Config{
//		APIKey:     os.Getenv("SMSIR_API_KEY"),
//		LineNumber: os.Getenv("SMSIR_LINE_NUMBER"), // for plain text only
//	})
//	if err != nil {
//		return err
//	}
//	// Template 123456 has one parameter, named CODE in the panel.
//	r, err := c.Send(ctx, sms.Message{To: "0912 000 0001", Template: "123456", Params: []string{"01234567"}})
//
// Every failure SMS.ir reports is an [*sms.ProviderError] whose Kind says
// what went wrong (sms.ErrBadCredentials, sms.ErrInsufficientCredit, …) and
// whose Code is SMS.ir's own status code. A message SMS.ir is known to
// refuse (a template id that is not a number, more parameters than
// Config.ParamNames, plain text without a line) is an [*sms.ValidationError],
// returned without any request. The API key never appears in an error.
//
// # Concurrency
//
// A [Client] is safe for concurrent use by multiple goroutines; it keeps no
// state between calls besides its configuration and its *http.Client.
package smsir
