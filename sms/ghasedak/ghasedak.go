package ghasedak

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/internal/wire"
)

// Provider is the provider's short name in receipts and errors.
const Provider = "ghasedak"

// DefaultBaseURL is the production gateway. The client calls
// {BaseURL}/{Operation}, such as {BaseURL}/SendOtpSMS.
const DefaultBaseURL = "https://gw.ghasedak.me/Rest/api/v1/WebService"

// Config configures a [Client].
type Config struct {
	// APIKey is the account's API key from the Ghasedak panel. Required.
	// It is sent in the ApiKey header; errors never show it.
	APIKey string
	// ParamNames are the names of the template's inputs, in the order of
	// Message.Params: Params[i] fills the input ParamNames[i]. A message
	// with more Params than names is refused. Defaults to ["Code"].
	ParamNames []string
	// BaseURL is the gateway's root, with or without a trailing slash.
	// Defaults to DefaultBaseURL; set it for a fake server in tests.
	BaseURL string
	// HTTPClient makes the calls. Defaults to a client with a 10 s timeout
	// that does not follow redirects.
	HTTPClient *http.Client
}

// Client sends messages through Ghasedak's gateway. Make one with [New].
// It is safe for concurrent use.
type Client struct {
	base       string // BaseURL + "/"
	apiKey     string
	paramNames []string
	caller     wire.Caller
}

var (
	_ sms.Sender        = (*Client)(nil)
	_ sms.StatusChecker = (*Client)(nil)
	_ sms.CreditChecker = (*Client)(nil)
)

// New returns a Client for cfg. It fails when APIKey is empty, when a
// ParamNames entry is empty or repeated, or when BaseURL is not an absolute
// http or https URL.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("ghasedak: Config.APIKey is required")
	}
	if strings.ContainsAny(cfg.APIKey, "\r\n") {
		return nil, errors.New("ghasedak: Config.APIKey must not contain a line break")
	}
	names := []string{"Code"}
	if len(cfg.ParamNames) > 0 {
		names = append([]string(nil), cfg.ParamNames...)
	}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return nil, errors.New("ghasedak: Config.ParamNames[" + strconv.Itoa(i) + "] is empty")
		}
		if seen[n] {
			return nil, errors.New("ghasedak: Config.ParamNames repeats " + strconv.Quote(n))
		}
		seen[n] = true
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("ghasedak: Config.BaseURL must be an absolute http or https URL without a query")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = wire.NewHTTPClient()
	}
	return &Client{
		base:       strings.TrimRight(base, "/") + "/",
		apiKey:     cfg.APIKey,
		paramNames: names,
		caller:     wire.Caller{Provider: Provider, Client: client, Secrets: []string{cfg.APIKey}},
	}, nil
}

// otpRequest is the body of SendOtpSMS.
type otpRequest struct {
	SendDate     string     `json:"sendDate"`
	Receptors    []receptor `json:"receptors"`
	TemplateName string     `json:"templateName"`
	Inputs       []input    `json:"inputs"`
	UDH          bool       `json:"udh"`
}

type receptor struct {
	Mobile            string `json:"mobile"`
	ClientReferenceID string `json:"clientReferenceId"`
}

type input struct {
	Param string `json:"param"`
	Value string `json:"value"`
}

// otpData is the data of a SendOtpSMS answer, as the official C# and PHP
// SDKs read it: {lineNumber, messageBody, items: [{receptor, cost,
// messageId, sendDate, clientReferenceId}], totalCost}. Only the id is
// used.
type otpData struct {
	Items []struct {
		MessageID id `json:"messageId"`
	} `json:"items"`
}

// id is a message id the gateway sends as a JSON string (the SDKs type it
// so) or, leniently, as a number; either way it is kept as text, never
// going through float64.
type id string

func (i *id) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*i = id(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*i = id(n.String())
	return nil
}

// Send sends m, which must be a template message, through SendOtpSMS to
// be sent at once. It returns the error of [sms.Message.Validate] for an
// invalid message; an [*sms.ProviderError] of kind [sms.ErrTemplateRequired]
// for a plain text and an [*sms.ValidationError] for more Params than
// Config.ParamNames, both without a request; and an [*sms.ProviderError]
// for every failure the gateway reports or a failure to reach it.
//
// Each send carries a random clientReferenceId. The receipt's MessageID is
// the gateway's messageId ("" if it gave none); Parts is 1.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if err := m.Validate(); err != nil {
		return sms.Receipt{}, err
	}
	if m.Template == "" {
		return sms.Receipt{}, &sms.ProviderError{Provider: Provider, Kind: sms.ErrTemplateRequired,
			Message: "the gateway sends templates only; set Message.Template to a template name"}
	}
	if len(m.Params) > len(c.paramNames) {
		return sms.Receipt{}, &sms.ValidationError{Provider: Provider, Field: "params",
			Reason: strconv.Itoa(len(m.Params)) + " parameters, but Config.ParamNames names " + strconv.Itoa(len(c.paramNames))}
	}
	to, err := sms.ParseMobile(m.To)
	if err != nil { // unreachable: Validate parsed it
		return sms.Receipt{}, err
	}

	body := otpRequest{
		SendDate:     time.Now().UTC().Format(time.RFC3339),
		Receptors:    []receptor{{Mobile: to.String(), ClientReferenceID: rand.Text()}},
		TemplateName: m.Template,
		Inputs:       make([]input, len(m.Params)),
	}
	for i, p := range m.Params {
		body.Inputs[i] = input{Param: c.paramNames[i], Value: p}
	}
	var data otpData
	if err := c.call(ctx, http.MethodPost, "SendOtpSMS", nil, body, &data); err != nil {
		return sms.Receipt{}, err
	}
	r := sms.Receipt{Provider: Provider, Parts: 1}
	if len(data.Items) > 0 {
		r.MessageID = string(data.Items[0].MessageID)
	}
	return r, nil
}

// statusItem is an element of a CheckSmsStatus answer's data (the SDKs'
// SmsStatusResponseItems); status is null when there is no report yet.
type statusItem struct {
	MessageID id   `json:"messageId"`
	Status    *int `json:"status"`
}

// Status returns the delivery report of a message the gateway accepted,
// from CheckSmsStatus with Type=1 (messageID is a message id, not a client
// reference id). The gateway's send states (the SendStatus enum of its
// official SDKs) map onto [sms.Delivery] as follows (Status.Code keeps the
// gateway's code):
//
//	0 awaiting approval, 2 to be sent, 3 in the send queue,
//	9 paused, 17 processing                     → DeliveryPending
//	4 sent, 10 sent to the operator,
//	11 reached the operator                      → DeliverySent
//	14 delivered                                 → DeliveryDelivered
//	13 not delivered                             → DeliveryUndelivered
//	1 rejected, 6 and 16 failed, 7 cancelled,
//	8 and 12 blacklisted, 15 filtered            → DeliveryFailed
//	5 debug mode, null, any other                → DeliveryUnknown
func (c *Client) Status(ctx context.Context, messageID string) (sms.Status, error) {
	if strings.TrimSpace(messageID) == "" {
		return sms.Status{}, errors.New("ghasedak: status: the message id is empty")
	}
	q := url.Values{"Type": {"1"}, "Ids": {messageID}}
	var items []statusItem
	if err := c.call(ctx, http.MethodGet, "CheckSmsStatus", q, nil, &items); err != nil {
		return sms.Status{}, err
	}
	st := sms.Status{MessageID: messageID, Delivery: sms.DeliveryUnknown}
	if len(items) == 0 {
		return st, nil
	}
	it := items[0]
	for _, x := range items {
		if string(x.MessageID) == messageID {
			it = x
			break
		}
	}
	if it.Status != nil {
		st.Code = strconv.Itoa(*it.Status)
		st.Delivery = delivery(*it.Status)
	}
	return st, nil
}

// Credit returns the account's remaining credit, from GetAccountInformation
// (data.credit), in the gateway's unit (rials).
func (c *Client) Credit(ctx context.Context) (float64, error) {
	var info struct {
		Credit *json.Number `json:"credit"`
	}
	if err := c.call(ctx, http.MethodGet, "GetAccountInformation", nil, nil, &info); err != nil {
		return 0, err
	}
	if info.Credit == nil {
		return 0, c.caller.Fail(sms.ErrTransport, "", "answer has no data.credit", http.StatusOK)
	}
	credit, err := strconv.ParseFloat(info.Credit.String(), 64)
	if err != nil {
		return 0, c.caller.Fail(sms.ErrTransport, "", "data.credit is not a number", http.StatusOK)
	}
	return credit, nil
}

// envelope is every gateway answer. Title is read from an ASP.NET
// ProblemDetails body, which a model-validation failure may send instead.
type envelope struct {
	IsSuccess  bool            `json:"isSuccess"`
	StatusCode int             `json:"statusCode"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
	Title      string          `json:"title"`
}

// call makes one gateway call: query goes in the URL, a non-nil body as
// JSON. data receives the answer's data, and is left as it is when that
// is null or absent.
func (c *Client) call(ctx context.Context, method, op string, query url.Values, body any, data any) error {
	u := c.base + op
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var (
		req *http.Request
		err error
	)
	if body != nil {
		req, err = wire.JSON(ctx, method, u, body)
	} else {
		req, err = wire.NewRequest(ctx, method, u, nil, "")
	}
	if err != nil {
		return c.caller.Transport(err)
	}
	req.Header.Set("ApiKey", c.apiKey)
	status, raw, err := c.caller.Do(req)
	if err != nil {
		return err
	}
	httpOK := status >= 200 && status <= 299

	var env envelope
	if err := c.caller.Decode(status, raw, &env); err != nil {
		if httpOK {
			return err
		}
		// An error status without JSON (an empty 401, an HTML page):
		// the HTTP status is all there is.
		msg := ""
		var perr *sms.ProviderError
		if errors.As(err, &perr) {
			msg = perr.Message
		}
		return c.caller.Fail(wire.ByHTTPStatus(status), "", msg, status)
	}
	if !env.IsSuccess || !httpOK {
		return c.failure(env, status)
	}
	d := bytes.TrimSpace(env.Data)
	if len(d) == 0 || string(d) == "null" {
		return nil
	}
	return c.caller.Decode(status, d, data)
}

// failure is the error of an answer the gateway marked as failed.
func (c *Client) failure(env envelope, httpStatus int) error {
	code := env.StatusCode
	kind, ok := codeKinds[code]
	if !ok {
		switch {
		case httpStatus >= 500:
			kind = sms.ErrTemporary
		case code >= 400 && code <= 599:
			kind = wire.ByHTTPStatus(code)
		default:
			kind = wire.ByHTTPStatus(httpStatus)
		}
	}
	codeText := ""
	if code != 0 {
		codeText = strconv.Itoa(code)
	}
	msg := env.Message
	if msg == "" {
		msg = env.Title
	}
	return c.caller.Fail(kind, codeText, msg, httpStatus)
}

// codeKinds maps the gateway's statusCode values to failure kinds. The
// codes are those of Ghasedak's v2 API (the same company's result codes);
// 200 is absent: with isSuccess false it says nothing, and the HTTP status
// decides.
var codeKinds = map[int]error{
	400: sms.ErrRejected,           // bad input
	401: sms.ErrBadCredentials,     // API key invalid
	402: sms.ErrTemporary,          // server cannot respond
	406: sms.ErrAccessDenied,       // line ownership not verified
	412: sms.ErrAccessDenied,       // line or service access problem
	413: sms.ErrMessageRejected,    // message length or receiver count
	418: sms.ErrInsufficientCredit, // not enough credit
	419: sms.ErrRejected,           // tariff invalid
	420: sms.ErrMessageRejected,    // link not allowed
	422: sms.ErrMessageRejected,    // bad characters
	426: sms.ErrAccessDenied,       // plan upgrade needed
	428: sms.ErrTemplateRejected,   // template invalid
	451: sms.ErrRejected,           // duplicate request
}

// delivery maps a send state of CheckSmsStatus to a Delivery.
func delivery(code int) sms.Delivery {
	switch code {
	case 0, 2, 3, 9, 17:
		return sms.DeliveryPending
	case 4, 10, 11:
		return sms.DeliverySent
	case 14:
		return sms.DeliveryDelivered
	case 13:
		return sms.DeliveryUndelivered
	case 1, 6, 7, 8, 12, 15, 16:
		return sms.DeliveryFailed
	}
	return sms.DeliveryUnknown
}
