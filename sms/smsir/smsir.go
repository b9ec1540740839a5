package smsir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/wire"
)

// Provider is SMS.ir's short name in receipts and errors.
const Provider = "smsir"

// DefaultBaseURL is SMS.ir's v1 REST endpoint.
const DefaultBaseURL = "https://api.sms.ir/v1"

// DefaultParamName is the one verify-template parameter name used when
// Config.ParamNames is empty.
const DefaultParamName = "CODE"

// Config configures a [Client].
type Config struct {
	// APIKey is the key from the SMS.ir panel, sent in the X-API-KEY
	// header. Required.
	APIKey string
	// LineNumber is the sending line, digits only (such as "30007732").
	// Plain-text sends need it; template sends do not. Defaults to none:
	// a plain-text Send without it is an [*sms.ValidationError].
	LineNumber string
	// ParamNames are the names of the verify template's parameters, in
	// the order of Message.Params, as defined in the SMS.ir panel.
	// Defaults to ["CODE"].
	ParamNames []string
	// BaseURL is the API root, with or without a trailing slash. Defaults
	// to DefaultBaseURL.
	BaseURL string
	// HTTPClient makes the calls. Defaults to a client with a 10 s
	// timeout that does not follow redirects.
	HTTPClient *http.Client
}

// Client sends messages through SMS.ir. Make one with [New]; it is safe for
// concurrent use.
type Client struct {
	base    string
	apiKey  string
	line    int64
	hasLine bool
	names   []string
	caller  wire.Caller
}

var (
	_ sms.Sender        = (*Client)(nil)
	_ sms.StatusChecker = (*Client)(nil)
	_ sms.CreditChecker = (*Client)(nil)
)

// New checks cfg and returns a Client. APIKey is required; LineNumber,
// when set, must be a decimal number; no ParamNames entry may be empty.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("smsir: Config.APIKey is required")
	}
	c := &Client{apiKey: cfg.APIKey}
	if cfg.LineNumber != "" {
		n, ok := parseDecimal(cfg.LineNumber, 63)
		if !ok {
			return nil, errors.New("smsir: Config.LineNumber must be a line number, digits only")
		}
		c.line, c.hasLine = int64(n), true
	}
	if len(cfg.ParamNames) == 0 {
		c.names = []string{DefaultParamName}
	} else {
		for i, name := range cfg.ParamNames {
			if name == "" {
				return nil, fmt.Errorf("smsir: Config.ParamNames[%d] is empty", i)
			}
		}
		c.names = append([]string(nil), cfg.ParamNames...)
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("smsir: Config.BaseURL must be an absolute http or https URL")
	}
	c.base = strings.TrimRight(base, "/")
	client := cfg.HTTPClient
	if client == nil {
		client = wire.NewHTTPClient()
	}
	c.caller = wire.Caller{Provider: Provider, Client: client, Secrets: []string{cfg.APIKey}}
	return c, nil
}

// parseDecimal parses s, ASCII digits only (no sign, no spaces), as an
// unsigned number of at most bits bits.
func parseDecimal(s string, bits int) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, bits)
	return n, err == nil
}

// Request bodies. SMS.ir matches request keys case-insensitively; these are
// the camelCase names of its documentation.
type bulkRequest struct {
	LineNumber   int64    `json:"lineNumber"`
	MessageText  string   `json:"messageText"`
	Mobiles      []string `json:"mobiles"`
	SendDateTime *int64   `json:"sendDateTime"` // always null: send now
}

type verifyParameter struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type verifyRequest struct {
	Mobile     string            `json:"mobile"`
	TemplateID int64             `json:"templateId"`
	Parameters []verifyParameter `json:"parameters"`
}

// id is a message id as SMS.ir sends it: a JSON number (kept as its
// decimal text, never through float64), a string, or null ("").
type id string

func (v *id) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*v = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = id(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*v = id(n.String())
	}
	return nil
}

// Send sends m: plain text through /send/bulk from Config.LineNumber, a
// template through /send/verify with m.Params named by Config.ParamNames.
// The receipt's MessageID is SMS.ir's message id; Parts is [sms.Parts] of
// the text, or 1 for a template.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if err := m.Validate(); err != nil {
		return sms.Receipt{}, err
	}
	to, err := sms.ParseMobile(m.To)
	if err != nil { // unreachable: Validate parsed it
		return sms.Receipt{}, err
	}
	if m.Template != "" {
		return c.sendVerify(ctx, to, m)
	}
	return c.sendBulk(ctx, to, m)
}

func (c *Client) sendBulk(ctx context.Context, to sms.Mobile, m sms.Message) (sms.Receipt, error) {
	if !c.hasLine {
		return sms.Receipt{}, &sms.ValidationError{Provider: Provider, Field: "text",
			Reason: "plain text needs Config.LineNumber (templates are sent without a line)"}
	}
	body := bulkRequest{LineNumber: c.line, MessageText: m.Text, Mobiles: []string{to.String()}}
	var data struct {
		MessageIDs []id `json:"messageIds"`
	}
	if _, err := c.call(ctx, http.MethodPost, "/send/bulk", body, &data); err != nil {
		return sms.Receipt{}, err
	}
	r := sms.Receipt{Provider: Provider}
	if len(data.MessageIDs) > 0 {
		r.MessageID = string(data.MessageIDs[0])
	}
	_, r.Parts = sms.Parts(m.Text)
	return r, nil
}

func (c *Client) sendVerify(ctx context.Context, to sms.Mobile, m sms.Message) (sms.Receipt, error) {
	tid, ok := parseDecimal(m.Template, 31)
	if !ok || tid == 0 {
		return sms.Receipt{}, &sms.ValidationError{Provider: Provider, Field: "template",
			Reason: "an SMS.ir template id is a positive integer"}
	}
	if len(m.Params) > len(c.names) {
		return sms.Receipt{}, &sms.ValidationError{Provider: Provider, Field: "params",
			Reason: fmt.Sprintf("%d parameters but Config.ParamNames names %d", len(m.Params), len(c.names))}
	}
	params := make([]verifyParameter, len(m.Params))
	for i, v := range m.Params {
		params[i] = verifyParameter{Name: c.names[i], Value: v}
	}
	body := verifyRequest{Mobile: to.String(), TemplateID: int64(tid), Parameters: params}
	var data struct {
		MessageID id `json:"messageId"`
	}
	if _, err := c.call(ctx, http.MethodPost, "/send/verify", body, &data); err != nil {
		return sms.Receipt{}, err
	}
	return sms.Receipt{Provider: Provider, MessageID: string(data.MessageID), Parts: 1}, nil
}

// Status fetches the delivery report of messageID, a decimal id from a
// [sms.Receipt] of this provider. SMS.ir's deliveryState maps onto
// [sms.Delivery] as follows; Code is the state as text:
//
//	1 delivered to the handset           DeliveryDelivered
//	2 not delivered to the handset       DeliveryUndelivered
//	3 processing at the operator         DeliverySent
//	4 not delivered to the operator      DeliveryFailed
//	5 delivered to the operator          DeliverySent
//	6 error                              DeliveryFailed
//	7 blacklisted                        DeliveryFailed
//	null (no report yet), other values   DeliveryUnknown
//
// At is the report's deliveryDateTime when SMS.ir gives one. An id SMS.ir
// does not know is an [*sms.ProviderError] with Code "111"; an id that is
// not a decimal number is an error, without a request.
func (c *Client) Status(ctx context.Context, messageID string) (sms.Status, error) {
	if _, ok := parseDecimal(messageID, 64); !ok {
		return sms.Status{}, errors.New("smsir: status: the message id must be a decimal number")
	}
	var data *struct {
		DeliveryState    *int   `json:"deliveryState"`
		DeliveryDateTime *int64 `json:"deliveryDateTime"`
	}
	status, err := c.call(ctx, http.MethodGet, "/send/"+messageID, nil, &data)
	if err != nil {
		return sms.Status{}, err
	}
	if data == nil {
		return sms.Status{}, c.malformed(status, "answer has no report in data")
	}
	st := sms.Status{MessageID: messageID, Delivery: sms.DeliveryUnknown}
	if data.DeliveryState != nil {
		st.Code = strconv.Itoa(*data.DeliveryState)
		st.Delivery = delivery(*data.DeliveryState)
	}
	if data.DeliveryDateTime != nil && *data.DeliveryDateTime > 0 {
		st.At = time.Unix(*data.DeliveryDateTime, 0).UTC()
	}
	return st, nil
}

func delivery(state int) sms.Delivery {
	switch state {
	case 1:
		return sms.DeliveryDelivered
	case 2:
		return sms.DeliveryUndelivered
	case 3, 5:
		return sms.DeliverySent
	case 4, 6, 7:
		return sms.DeliveryFailed
	}
	return sms.DeliveryUnknown
}

// Credit returns the account's credit, in SMS.ir's own unit, from GET
// /credit.
func (c *Client) Credit(ctx context.Context) (float64, error) {
	var data *json.Number
	status, err := c.call(ctx, http.MethodGet, "/credit", nil, &data)
	if err != nil {
		return 0, err
	}
	if data == nil {
		return 0, c.malformed(status, "answer has no credit in data")
	}
	f, err := strconv.ParseFloat(data.String(), 64)
	if err != nil {
		return 0, c.malformed(status, "credit is not a number")
	}
	return f, nil
}

// envelope is every SMS.ir answer, success or failure.
type envelope struct {
	Status  *int            `json:"status"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// call makes one API call, decodes the data of a successful answer into
// out and returns the HTTP status. Every failure is an *sms.ProviderError.
func (c *Client) call(ctx context.Context, method, path string, body, out any) (int, error) {
	req, err := wire.JSON(ctx, method, c.base+path, body)
	if err != nil {
		return 0, c.caller.Transport(err)
	}
	req.Header.Set("X-API-KEY", c.apiKey)
	status, raw, err := c.caller.Do(req)
	if err != nil {
		return status, err
	}
	var env envelope
	if err := c.caller.Decode(status, raw, &env); err != nil {
		return status, err
	}
	if env.Status == nil {
		return status, c.malformed(status, "answer has no status")
	}
	ok2xx := status >= 200 && status < 300
	if *env.Status != 1 || !ok2xx {
		code := *env.Status
		kind := codeKind(code)
		if kind == nil { // unlisted code, or 1 with a failed HTTP status
			kind = wire.ByHTTPStatus(status)
		}
		return status, c.caller.Fail(kind, strconv.Itoa(code), env.Message, status)
	}
	if len(env.Data) == 0 {
		env.Data = json.RawMessage("null")
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return status, c.malformed(status, "data is not the expected JSON: "+err.Error())
	}
	return status, nil
}

// malformed is a JSON answer that is not SMS.ir's shape.
func (c *Client) malformed(status int, reason string) *sms.ProviderError {
	kind := sms.ErrTransport
	if status >= 500 {
		kind = sms.ErrTemporary
	}
	return c.caller.Fail(kind, "", "answer is not the expected JSON: "+reason, status)
}

// codeKind maps SMS.ir's status codes (its Laravel SDK's resources/lang/fa.php)
// onto the sms kinds; nil for a code it does not list.
func codeKind(code int) error {
	switch code {
	case 0: // system problem, contact support
		return sms.ErrTemporary
	case 10: // API key invalid
		return sms.ErrBadCredentials
	case 11, 12, 13, 14: // key disabled, key restricted to other IPs, account inactive, account suspended
		return sms.ErrAccessDenied
	case 20: // too many requests
		return sms.ErrRateLimited
	case 101: // line number invalid
		return sms.ErrInvalidSender
	case 102: // not enough credit
		return sms.ErrInsufficientCredit
	case 103, 108: // empty text, text list empty
		return sms.ErrMessageRejected
	case 104, 107: // invalid mobile, mobile list empty
		return sms.ErrInvalidReceiver
	case 113: // template not found
		return sms.ErrTemplateRejected
	case 105, 106, 109, 110, 111, 112:
		// more than 100 mobiles or texts, send time invalid, counts differ,
		// nothing sent with this id, no record to delete
		return sms.ErrRejected
	}
	return nil
}
