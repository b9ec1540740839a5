package melipayamak

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/wire"
)

// maxCode is the largest Value read as a result code rather than a recId.
// The codes are 0–35 and negative; recIds are 19-digit numbers.
const maxCode = 1000

// envelope is every REST answer, {"Value","RetStatus","StrRetStatus"}, or
// ASP.NET's own fault, {"Message":"An unexpected error occured"}. The keys
// match case-insensitively, and each value may be a JSON string or number.
type envelope struct {
	Value        json.RawMessage
	RetStatus    json.RawMessage
	StrRetStatus json.RawMessage
	Message      json.RawMessage
}

// answer is an envelope that carried a RetStatus.
type answer struct {
	http  int    // HTTP status
	value string // Value as text: a string's contents or a number's literal
	ret   int64  // RetStatus
	str   string // StrRetStatus, for error messages
}

// ok reports whether the provider says the operation succeeded; Value
// then holds the result (a recId, a delivery code, the credit).
func (a answer) ok() bool { return a.http/100 == 2 && a.ret == 1 }

// call posts form to op and returns the answer. A transport failure, a body
// that is no envelope, and ASP.NET's fault shape are errors.
func (c *Client) call(ctx context.Context, op string, form url.Values) (answer, error) {
	req, err := wire.Form(ctx, c.base+"/"+op, form)
	if err != nil {
		return answer{}, c.caller.Transport(err)
	}
	status, body, err := c.caller.Do(req)
	if err != nil {
		return answer{}, err
	}
	var env envelope
	if err := c.caller.Decode(status, body, &env); err != nil {
		return answer{}, err
	}
	a := answer{http: status, value: text(env.Value), str: text(env.StrRetStatus)}
	rs := text(env.RetStatus)
	if rs == "" {
		if msg := text(env.Message); msg != "" {
			// An unhandled fault on the server; in a 4xx, the framework
			// refusing the request itself.
			kind := sms.ErrTemporary
			if status >= 400 && status < 500 {
				kind = wire.ByHTTPStatus(status)
			}
			return answer{}, c.caller.Fail(kind, "", msg, status)
		}
		return answer{}, c.malformed(a, "answer has no RetStatus")
	}
	if a.ret, err = strconv.ParseInt(rs, 10, 64); err != nil {
		return answer{}, c.malformed(a, "RetStatus is not an integer")
	}
	return a, nil
}

// fail turns a refusal into a ProviderError. The code is Value when it is
// a small or negative integer, and RetStatus otherwise (the spec's client
// rule: Value carries "RecId or Error Number").
func (c *Client) fail(a answer) error {
	code := a.ret
	if v, ok := parseInt(a.value); ok && v <= maxCode {
		code = v
	}
	r, known := codes[code]
	if !known {
		r.kind = sms.ErrRejected
	}
	if r.kind == sms.ErrRejected && a.http/100 != 2 {
		r.kind = wire.ByHTTPStatus(a.http)
	}
	msg := a.str
	switch {
	case msg == "":
		msg = r.text
	case r.text != "":
		msg += ": " + r.text
	}
	return c.caller.Fail(r.kind, strconv.FormatInt(code, 10), msg, a.http)
}

// malformed reports an answer that is not what the operation returns.
func (c *Client) malformed(a answer, reason string) error {
	kind := sms.ErrTransport
	if a.http >= 500 {
		kind = sms.ErrTemporary
	}
	return c.caller.Fail(kind, "", reason, a.http)
}

// text returns a JSON string's contents or a JSON number's literal, and ""
// for anything else (null, absent, objects).
func text(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return ""
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9':
		return string(raw)
	}
	return ""
}

func parseInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// recID returns v in canonical form if it is a recId: a decimal above
// maxCode, read as a uint64 (recIds have 19 digits; a float64 would round
// them).
func recID(v string) (string, bool) {
	id, ok := decimal(v)
	if !ok {
		return "", false
	}
	if n, _ := strconv.ParseUint(id, 10, 64); n <= maxCode {
		return "", false
	}
	return id, true
}

type result struct {
	kind error
	text string
}

// codes are the result codes of providers/README.md §2.3: the Value of the
// send operations (0–35, -108…-112) and of BaseServiceNumber (-1…-10).
// Every other code is ErrRejected (ErrTemporary, ErrBadCredentials … by the
// HTTP status when that is not 2xx).
var codes = map[int64]result{
	0:  {sms.ErrBadCredentials, "wrong username or password"},
	1:  {sms.ErrRejected, "request accepted but no recId returned"},
	2:  {sms.ErrInsufficientCredit, "not enough credit"},
	3:  {sms.ErrRateLimited, "daily send limit reached"},
	4:  {sms.ErrRateLimited, "send volume limit reached"},
	5:  {sms.ErrInvalidSender, "sender number invalid"},
	6:  {sms.ErrTemporary, "system is updating"},
	7:  {sms.ErrMessageRejected, "text contains a filtered word"},
	8:  {sms.ErrRejected, "minimum number of receivers not reached"},
	9:  {sms.ErrInvalidSender, "sending from public lines through the web service is not allowed"},
	10: {sms.ErrAccessDenied, "user not active"},
	11: {sms.ErrRejected, "not sent"},
	12: {sms.ErrAccessDenied, "user documents incomplete"},
	14: {sms.ErrMessageRejected, "text contains a link"},
	15: {sms.ErrMessageRejected, "more than one recipient without the opt-out suffix"},
	16: {sms.ErrInvalidReceiver, "no recipient number found"},
	17: {sms.ErrMessageRejected, "text empty"},
	18: {sms.ErrInvalidReceiver, "recipient mobile invalid"},
	19: {sms.ErrRateLimited, "daily API cap reached"},
	35: {sms.ErrInvalidReceiver, "recipient is on the telecom blacklist"},

	-108: {sms.ErrAccessDenied, "IP blocked after failed API attempts"},
	-109: {sms.ErrAccessDenied, "an allowed IP must be configured for API use"},
	-110: {sms.ErrBadCredentials, "an API key must be used instead of the password"},
	-111: {sms.ErrAccessDenied, "requesting IP not allowed"},
	-112: {sms.ErrAccessDenied, "web-service access disabled for this account"},

	-1:  {sms.ErrAccessDenied, "this web service is disabled for the account"},
	-2:  {sms.ErrInvalidReceiver, "only one mobile number per call"},
	-3:  {sms.ErrInvalidSender, "sending line not defined"},
	-4:  {sms.ErrTemplateRejected, "bodyId wrong or not approved"},
	-5:  {sms.ErrTemplateRejected, "text variables do not match the template"},
	-6:  {sms.ErrTemporary, "internal error"},
	-7:  {sms.ErrInvalidSender, "sender number error"},
	-10: {sms.ErrMessageRejected, "link, IP or email not allowed in variables"},
}

// delivery maps a GetDeliveries2 code (providers/README.md §2.4) onto
// sms.Delivery. Unknown codes are pending, as the spec advises: another
// table is in circulation, so an unknown code is not proof of failure.
func delivery(code int64) sms.Delivery {
	switch code {
	case 0, 8, 200: // sent to telecom, reached telecom, sent
		return sms.DeliverySent
	case 1: // delivered to handset
		return sms.DeliveryDelivered
	case 2: // not delivered to handset
		return sms.DeliveryUndelivered
	case 3, 5, 16, 35, 300, 500: // telecom error, unknown error, did not reach telecom, blacklist, filtered, not accepted
		return sms.DeliveryFailed
	case 100: // unknown
		return sms.DeliveryUnknown
	case 400: // in send list
		return sms.DeliveryPending
	}
	return sms.DeliveryPending
}
