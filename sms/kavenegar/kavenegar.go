package kavenegar

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/wire"
)

// Provider is the provider's short name in receipts and errors.
const Provider = "kavenegar"

// DefaultBaseURL is Kavenegar's production API. The client calls
// {BaseURL}/v1/{APIKey}/{scope}/{method}.json.
const DefaultBaseURL = "https://api.kavenegar.com"

// Limits Kavenegar is known to enforce; Send checks them before sending.
const (
	maxText     = 900 // characters of a plain text (code 413)
	maxTokenLen = 100 // characters of one lookup token
	maxSpaces10 = 5   // whitespace characters in token10
	maxSpaces20 = 8   // whitespace characters in token20
)

// tokenFields are the lookup fields Message.Params fill, in order.
var tokenFields = [...]string{"token", "token2", "token3", "token10", "token20"}

// Config configures a [Client].
type Config struct {
	// APIKey is the account's API key from the Kavenegar panel. Required.
	// Kavenegar takes it as a URL path segment; errors never show it.
	APIKey string
	// Sender is the line number plain texts are sent from. Optional:
	// defaults to the account's default line (the field is then left out of
	// the request). Template sends always use the template's own line.
	Sender string
	// BaseURL is the API's root, with or without a trailing slash.
	// Defaults to DefaultBaseURL; set it for a fake server in tests.
	BaseURL string
	// HTTPClient makes the calls. Defaults to a client with a 10 s timeout
	// that does not follow redirects.
	HTTPClient *http.Client
}

// Client sends messages through Kavenegar. Make one with [New]. It is safe
// for concurrent use.
type Client struct {
	base   string // BaseURL + "/v1/" + escaped API key + "/"
	sender string
	caller wire.Caller
}

var (
	_ sms.Sender        = (*Client)(nil)
	_ sms.StatusChecker = (*Client)(nil)
	_ sms.CreditChecker = (*Client)(nil)
)

// New returns a Client for cfg. It fails when APIKey is empty or BaseURL is
// not an absolute http or https URL.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("kavenegar: Config.APIKey is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("kavenegar: Config.BaseURL must be an absolute http or https URL without a query")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = wire.NewHTTPClient()
	}
	return &Client{
		base:   strings.TrimRight(base, "/") + "/v1/" + url.PathEscape(cfg.APIKey) + "/",
		sender: cfg.Sender,
		caller: wire.Caller{Provider: Provider, Client: client, Secrets: []string{cfg.APIKey}},
	}, nil
}

// messageEntry is an element of entries for sms/send, verify/lookup and
// sms/status. Ids are kept as json.Number: they may exceed 2^53.
type messageEntry struct {
	MessageID  json.Number `json:"messageid"`
	Status     int         `json:"status"`
	StatusText string      `json:"statustext"`
}

// messageEntries is the entries of sms/send, verify/lookup and sms/status:
// an array, as every official SDK reads it. A single object (as one README
// shows for lookup) is taken as an array of one, so that a send Kavenegar
// accepted is never reported as failed for the shape of its answer.
type messageEntries []messageEntry

func (es *messageEntries) UnmarshalJSON(b []byte) error {
	if t := strings.TrimSpace(string(b)); t != "" && t[0] == '{' {
		var e messageEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		*es = messageEntries{e}
		return nil
	}
	return json.Unmarshal(b, (*[]messageEntry)(es))
}

// Send sends m: a plain text through sms/send, a template through
// verify/lookup. It returns the error of [sms.Message.Validate] for an
// invalid message, an [*sms.ValidationError] (no request made) for a
// message Kavenegar is known to refuse, and an [*sms.ProviderError] for
// every failure Kavenegar reports or a failure to reach it.
//
// The receipt's MessageID is Kavenegar's messageid ("" if the answer
// lists no message); Parts is [sms.Parts] of the text, or 1 for a
// template.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if err := m.Validate(); err != nil {
		return sms.Receipt{}, err
	}
	to, err := sms.ParseMobile(m.To)
	if err != nil { // unreachable: Validate parsed it
		return sms.Receipt{}, err
	}

	form := url.Values{}
	form.Set("receptor", to.String())
	var method string
	parts := 1
	if m.Template != "" {
		if err := checkTokens(m.Params); err != nil {
			return sms.Receipt{}, err
		}
		method = "verify/lookup.json"
		form.Set("template", m.Template)
		for i, p := range m.Params {
			if p != "" { // an empty optional token is left out, not sent empty
				form.Set(tokenFields[i], p)
			}
		}
	} else {
		if n := utf8.RuneCountInString(m.Text); n > maxText {
			return sms.Receipt{}, &sms.ValidationError{Provider: Provider, Field: "text",
				Reason: strconv.Itoa(n) + " characters; Kavenegar takes at most " + strconv.Itoa(maxText)}
		}
		method = "sms/send.json"
		form.Set("message", m.Text)
		if c.sender != "" {
			form.Set("sender", c.sender)
		}
		_, parts = sms.Parts(m.Text)
	}

	var entries messageEntries
	if err := c.call(ctx, method, form, &entries); err != nil {
		return sms.Receipt{}, err
	}
	r := sms.Receipt{Provider: Provider, Parts: parts}
	if len(entries) > 0 {
		r.MessageID = entries[0].MessageID.String()
	}
	return r, nil
}

// checkTokens checks lookup parameters against Kavenegar's token rules.
// Reasons never quote a token: it is usually a one-time code.
func checkTokens(params []string) error {
	if len(params) > len(tokenFields) {
		return &sms.ValidationError{Provider: Provider, Field: "params",
			Reason: strconv.Itoa(len(params)) + " parameters; a lookup takes at most 5 (token, token2, token3, token10, token20)"}
	}
	if len(params) == 0 || params[0] == "" {
		return &sms.ValidationError{Provider: Provider, Field: "params[0]", Reason: "the first token is required"}
	}
	for i, p := range params {
		field := "params[" + strconv.Itoa(i) + "]"
		name := tokenFields[i]
		if n := utf8.RuneCountInString(p); n > maxTokenLen {
			return &sms.ValidationError{Provider: Provider, Field: field,
				Reason: name + " is " + strconv.Itoa(n) + " characters; at most " + strconv.Itoa(maxTokenLen)}
		}
		spaces := 0
		for _, r := range p {
			if unicode.IsSpace(r) {
				spaces++
			}
		}
		switch name {
		case "token10", "token20":
			limit := maxSpaces10
			if name == "token20" {
				limit = maxSpaces20
			}
			if spaces > limit {
				return &sms.ValidationError{Provider: Provider, Field: field,
					Reason: name + " has " + strconv.Itoa(spaces) + " whitespace characters; at most " + strconv.Itoa(limit)}
			}
		default:
			if spaces > 0 {
				return &sms.ValidationError{Provider: Provider, Field: field,
					Reason: name + " must not contain whitespace (use token10 or token20 for text with spaces)"}
			}
			if strings.ContainsRune(p, '_') {
				return &sms.ValidationError{Provider: Provider, Field: field, Reason: name + " must not contain an underscore"}
			}
		}
	}
	return nil
}

// Status returns the delivery report of a message Kavenegar accepted,
// from sms/status. messageID is the decimal id of [sms.Receipt.MessageID].
// Kavenegar keeps reports for about 48 hours; its per-message codes map
// onto [sms.Delivery] as follows (Status.Code keeps Kavenegar's code):
//
//	1 queued, 2 scheduled                 → DeliveryPending
//	4 sent to the operator, 5 sent        → DeliverySent
//	10 delivered                          → DeliveryDelivered
//	11 undelivered                        → DeliveryUndelivered
//	6 failed, 13 cancelled, 14 filtered   → DeliveryFailed
//	100 unknown id, 50 inbound, any other → DeliveryUnknown
func (c *Client) Status(ctx context.Context, messageID string) (sms.Status, error) {
	if !isDecimal(messageID) {
		return sms.Status{}, errors.New("kavenegar: status: the message id must be a decimal number")
	}
	var entries messageEntries
	if err := c.call(ctx, "sms/status.json", url.Values{"messageid": {messageID}}, &entries); err != nil {
		return sms.Status{}, err
	}
	st := sms.Status{MessageID: messageID, Delivery: sms.DeliveryUnknown}
	if len(entries) == 0 {
		return st, nil
	}
	e := entries[0]
	for _, x := range entries {
		if x.MessageID.String() == messageID {
			e = x
			break
		}
	}
	st.Code = strconv.Itoa(e.Status)
	st.Delivery = delivery(e.Status)
	return st, nil
}

// Credit returns the account's remaining credit in rials, from
// account/info (entries.remaincredit).
func (c *Client) Credit(ctx context.Context) (float64, error) {
	var info struct {
		RemainCredit *json.Number `json:"remaincredit"`
	}
	if err := c.call(ctx, "account/info.json", url.Values{}, &info); err != nil {
		return 0, err
	}
	if info.RemainCredit == nil {
		return 0, c.caller.Fail(sms.ErrTransport, "", "answer has no entries.remaincredit", http.StatusOK)
	}
	credit, err := strconv.ParseFloat(info.RemainCredit.String(), 64)
	if err != nil {
		return 0, c.caller.Fail(sms.ErrTransport, "", "entries.remaincredit is not a number", http.StatusOK)
	}
	return credit, nil
}

// envelope is every Kavenegar answer.
type envelope struct {
	Return struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"return"`
	Entries json.RawMessage `json:"entries"`
}

// call POSTs form to method ("sms/send.json") and decodes the answer's
// entries into entries, which is left as it is when they are null or
// absent.
func (c *Client) call(ctx context.Context, method string, form url.Values, entries any) error {
	req, err := wire.Form(ctx, c.base+method, form)
	if err != nil {
		return c.caller.Transport(err)
	}
	status, body, err := c.caller.Do(req)
	if err != nil {
		return err
	}
	httpOK := status >= 200 && status <= 299

	var env envelope
	if err := c.caller.Decode(status, body, &env); err != nil {
		if httpOK {
			return err
		}
		// Not JSON (an HTML page from a proxy, an empty body): Kavenegar
		// sends its code as the HTTP status too, so that is the code.
		msg := ""
		var perr *sms.ProviderError
		if errors.As(err, &perr) {
			msg = perr.Message
		}
		code := ""
		if _, known := codeKinds[status]; known {
			code = strconv.Itoa(status)
		}
		return c.caller.Fail(kind(status, status), code, msg, status)
	}

	code := env.Return.Status
	if !httpOK && (code == 0 || code == 200) {
		code = status // an error status with a body that says nothing else
	}
	switch {
	case code == 0:
		return c.caller.Fail(sms.ErrTransport, "", "answer has no return.status", status)
	case code != 200:
		return c.caller.Fail(kind(code, status), strconv.Itoa(code), env.Return.Message, status)
	}

	raw := strings.TrimSpace(string(env.Entries))
	if raw == "" || raw == "null" {
		return nil
	}
	return c.caller.Decode(status, env.Entries, entries)
}

// codeKinds maps Kavenegar's return.status codes to failure kinds.
var codeKinds = map[int]error{
	400: sms.ErrRejected,           // parameters incomplete
	401: sms.ErrAccessDenied,       // account disabled
	402: sms.ErrRejected,           // operation failed
	403: sms.ErrBadCredentials,     // API key not valid
	404: sms.ErrRejected,           // method unknown
	405: sms.ErrRejected,           // wrong HTTP method
	406: sms.ErrRejected,           // required parameters empty
	407: sms.ErrAccessDenied,       // access to this data not permitted
	409: sms.ErrTemporary,          // server cannot respond; retry later
	411: sms.ErrInvalidReceiver,    // receptor invalid
	412: sms.ErrInvalidSender,      // sender invalid
	413: sms.ErrMessageRejected,    // message empty or too long
	414: sms.ErrRejected,           // request too large
	415: sms.ErrRejected,           // start index too large
	416: sms.ErrAccessDenied,       // source IP does not match the account settings
	417: sms.ErrRejected,           // send date wrong
	418: sms.ErrInsufficientCredit, // not enough credit
	419: sms.ErrRejected,           // arrays not the same length
	420: sms.ErrMessageRejected,    // links not allowed for this account
	422: sms.ErrMessageRejected,    // bad character
	424: sms.ErrTemplateRejected,   // template not found or not approved
	426: sms.ErrAccessDenied,       // method needs the advanced service
	427: sms.ErrAccessDenied,       // line needs an access level
	428: sms.ErrTemplateRejected,   // code cannot be sent by voice call
	429: sms.ErrAccessDenied,       // IP restricted
	431: sms.ErrTemplateRejected,   // token structure invalid
	432: sms.ErrTemplateRejected,   // %token missing from the template
	451: sms.ErrRateLimited,        // too many calls from this IP
	501: sms.ErrAccessDenied,       // test account: only the owner's number
	607: sms.ErrRejected,           // tag name invalid
}

// kind is the failure kind of Kavenegar code code in an answer with HTTP
// status httpStatus.
func kind(code, httpStatus int) error {
	if k, ok := codeKinds[code]; ok {
		return k
	}
	if (code >= 500 && code <= 599) || httpStatus >= 500 {
		return sms.ErrTemporary
	}
	return sms.ErrRejected
}

// delivery maps a per-message status code to a Delivery.
func delivery(code int) sms.Delivery {
	switch code {
	case 1, 2:
		return sms.DeliveryPending
	case 4, 5:
		return sms.DeliverySent
	case 10:
		return sms.DeliveryDelivered
	case 11:
		return sms.DeliveryUndelivered
	case 6, 13, 14:
		return sms.DeliveryFailed
	}
	return sms.DeliveryUnknown
}

func isDecimal(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
