package parsian

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/wire"
)

// Provider is the short name in receipts and errors.
const Provider = "parsian"

// DefaultBaseURL is Parsian Webco's web service.
const DefaultBaseURL = "https://api.parsianwebco.ir"

// Paths of the operations, relative to the base URL.
const (
	sendPath   = "/webservice-send-sms/send"
	creditPath = "/webservice-get-credit/get"
)

// Config configures a [Client].
type Config struct {
	// APIKey is the panel token, sent as the form field "token". Required.
	// It never appears in an error.
	APIKey string
	// BaseURL is the web service, with or without a trailing slash.
	// Defaults to [DefaultBaseURL]; override it for a sandbox or a fake.
	BaseURL string
	// HTTPClient makes the calls. Defaults to a client with a 10 s timeout
	// that does not follow redirects.
	HTTPClient *http.Client
}

// Client is a Parsian Webco client. It is safe for concurrent use by
// multiple goroutines.
type Client struct {
	caller wire.Caller
	base   string
	token  string
}

var (
	_ sms.Sender        = (*Client)(nil)
	_ sms.CreditChecker = (*Client)(nil)
)

// New checks cfg and returns a Client. APIKey is required; BaseURL, when
// set, must be an absolute http or https URL without a query.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("parsian: Config.APIKey is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	// The URL itself is never quoted: it could carry userinfo.
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("parsian: Config.BaseURL must be an absolute http or https URL without a query")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = wire.NewHTTPClient()
	}
	return &Client{
		caller: wire.Caller{Provider: Provider, Client: client, Secrets: []string{cfg.APIKey}},
		base:   strings.TrimRight(base, "/"),
		token:  cfg.APIKey,
	}, nil
}

// Send sends the template m.Template (a decimal template id) filled with
// m.Params, which go joined with ',' so none may contain ','. Parsian
// Webco sends templates only: a plain text is an [sms.ErrTemplateRequired]
// ProviderError, and no request is made.
//
// The receipt's MessageID is the id the answer carries under "id" or
// "smsID" (any letter case), when it carries one as a decimal number or
// string (other than 0), and "" otherwise: the id field is not documented.
// Parts is 1.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if err := m.Validate(); err != nil {
		return sms.Receipt{}, err
	}
	to, err := sms.ParseMobile(m.To)
	if err != nil { // unreachable: Validate parsed it
		return sms.Receipt{}, err
	}
	if m.Template == "" {
		return sms.Receipt{}, &sms.ProviderError{Provider: Provider, Kind: sms.ErrTemplateRequired,
			Message: "Parsian Webco sends templates only; set Message.Template and Params"}
	}
	templateID, ok := decimal(m.Template)
	if !ok {
		return sms.Receipt{}, &sms.ValidationError{Provider: Provider, Field: "template", Reason: "the TemplateID must be an integer"}
	}
	for i, p := range m.Params {
		if strings.Contains(p, ",") {
			return sms.Receipt{}, &sms.ValidationError{Provider: Provider, Field: "params[" + strconv.Itoa(i) + "]",
				Reason: "contains ',', which separates the template variables"}
		}
	}

	form := url.Values{
		"token":       {c.token},
		"TemplateID":  {templateID},
		"MessageVars": {strings.Join(m.Params, ",")},
		"Receiver":    {to.String()},
		"delay":       {"1"},
	}
	ans, err := c.call(ctx, sendPath, form)
	if err != nil {
		return sms.Receipt{}, err
	}
	id, _ := decimal(text(ans.field("id", "smsID")))
	if id == "0" {
		id = ""
	}
	return sms.Receipt{Provider: Provider, MessageID: id, Parts: 1}, nil
}

// Credit returns the account's credit. The answer's fields beyond "status"
// are not documented, so Credit reads the first of "credit", "balance",
// "amount" and "data" (any letter case) that holds a number or a numeric
// string; an answer with none of them is an [sms.ErrTransport]
// ProviderError.
func (c *Client) Credit(ctx context.Context) (float64, error) {
	ans, err := c.call(ctx, creditPath, url.Values{"token": {c.token}})
	if err != nil {
		return 0, err
	}
	for _, key := range []string{"credit", "balance", "amount", "data"} {
		f, err := strconv.ParseFloat(text(ans.field(key)), 64)
		if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
	}
	return 0, c.caller.Fail(sms.ErrTransport, "", "answer carries no credit value", ans.http)
}

// answer is a successful answer: a JSON object whose status is 200.
type answer struct {
	http   int
	fields map[string]json.RawMessage
}

// field returns the first of names present in the answer, matching the
// keys case-insensitively.
func (a answer) field(names ...string) json.RawMessage {
	for _, name := range names {
		if v, ok := a.fields[name]; ok {
			return v
		}
		for k, v := range a.fields {
			if strings.EqualFold(k, name) {
				return v
			}
		}
	}
	return nil
}

// call posts form to path and returns the answer if its status is 200.
// Only "status" is known for sure: 200 ok, 100 failed, 401 not
// authenticated. Other statuses are read as HTTP statuses.
func (c *Client) call(ctx context.Context, path string, form url.Values) (answer, error) {
	req, err := wire.Form(ctx, c.base+path, form)
	if err != nil {
		return answer{}, c.caller.Transport(err)
	}
	httpStatus, body, err := c.caller.Do(req)
	if err != nil {
		return answer{}, err
	}
	a := answer{http: httpStatus}
	if err := c.caller.Decode(httpStatus, body, &a.fields); err != nil {
		return answer{}, err
	}
	msg := text(a.field("message", "msg", "error"))
	status, err := strconv.ParseInt(text(a.field("status")), 10, 64)
	if err != nil {
		if httpStatus/100 == 2 {
			return answer{}, c.caller.Fail(sms.ErrTransport, "", "answer has no status", httpStatus)
		}
		if msg == "" {
			msg = "answer has no status"
		}
		return answer{}, c.caller.Fail(wire.ByHTTPStatus(httpStatus), "", msg, httpStatus)
	}
	if status == 200 && httpStatus/100 == 2 {
		return a, nil
	}
	var kind error
	switch status {
	case 100:
		kind = sms.ErrRejected
		if msg == "" {
			msg = "failed"
		}
	case 401:
		kind = sms.ErrBadCredentials
		if msg == "" {
			msg = "not authenticated"
		}
	default:
		kind = sms.ErrRejected
		if 100 <= status && status <= 599 {
			kind = wire.ByHTTPStatus(int(status))
		}
		if kind == sms.ErrRejected && httpStatus/100 != 2 {
			kind = wire.ByHTTPStatus(httpStatus)
		}
	}
	return answer{}, c.caller.Fail(kind, strconv.FormatInt(status, 10), msg, httpStatus)
}

// text returns a JSON string's contents or a JSON number's literal, and ""
// for anything else (null, absent, booleans, objects).
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

// decimal returns s, a string of ASCII digits that fits a uint64, in
// canonical form (no leading zeros).
func decimal(s string) (string, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return "", false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}
