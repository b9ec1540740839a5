package melipayamak

import (
	"context"
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
const Provider = "melipayamak"

// DefaultBaseURL is the REST web service; the client appends "/{Op}"
// (SendSMS, BaseServiceNumber, GetDeliveries2, GetCredit) to it.
const DefaultBaseURL = "https://rest.payamak-panel.com/api/SendSMS"

// Config configures a [Client].
type Config struct {
	// Username is the panel's user name. Required.
	Username string
	// Password is the panel's password, or the API key the panel issues
	// to be sent in its place (accounts that get error -110 must use the
	// key). Required. It never appears in an error.
	Password string
	// From is the sender line, such as "50004000123456". It is required
	// for plain text sends; template sends go out on the shared service
	// number and do not use it. Defaults to none: New accepts it empty,
	// and a plain send without it is a [*sms.ValidationError].
	From string
	// BaseURL is the REST endpoint, with or without a trailing slash.
	// Defaults to [DefaultBaseURL]; override it for a sandbox or a fake.
	BaseURL string
	// HTTPClient makes the calls. Defaults to a client with a 10 s timeout
	// that does not follow redirects.
	HTTPClient *http.Client
}

// Client is a MeliPayamak REST client. It is safe for concurrent use by
// multiple goroutines.
type Client struct {
	caller   wire.Caller
	base     string
	username string
	password string
	from     string
}

var (
	_ sms.Sender        = (*Client)(nil)
	_ sms.StatusChecker = (*Client)(nil)
	_ sms.CreditChecker = (*Client)(nil)
)

// New checks cfg and returns a Client. Username and Password are required;
// BaseURL, when set, must be an absolute http or https URL without a query.
func New(cfg Config) (*Client, error) {
	switch {
	case strings.TrimSpace(cfg.Username) == "":
		return nil, errors.New("melipayamak: Config.Username is required")
	case strings.TrimSpace(cfg.Password) == "":
		return nil, errors.New("melipayamak: Config.Password is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	// The URL itself is never quoted: it could carry userinfo.
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("melipayamak: Config.BaseURL must be an absolute http or https URL without a query")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = wire.NewHTTPClient()
	}
	return &Client{
		caller:   wire.Caller{Provider: Provider, Client: client, Secrets: []string{cfg.Password}},
		base:     strings.TrimRight(base, "/"),
		username: cfg.Username,
		password: cfg.Password,
		from:     cfg.From,
	}, nil
}

// Send sends m. A plain text goes to SendSMS from Config.From; a template
// goes to BaseServiceNumber (the shared service number), with m.Template as
// the bodyId (a positive integer) and m.Params joined with ';' as the text,
// so no parameter may contain ';'. The receipt's MessageID is the recId;
// Parts is [sms.Parts] of a plain text and 1 for a template.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if err := m.Validate(); err != nil {
		return sms.Receipt{}, err
	}
	to, err := sms.ParseMobile(m.To)
	if err != nil { // unreachable: Validate parsed it
		return sms.Receipt{}, err
	}

	form := c.form()
	op, parts := "SendSMS", 1
	if m.Template != "" {
		bodyID, err := templateID(m.Template)
		if err != nil {
			return sms.Receipt{}, err
		}
		for i, p := range m.Params {
			if strings.Contains(p, ";") {
				return sms.Receipt{}, invalid("params["+strconv.Itoa(i)+"]", "contains ';', which separates the template variables")
			}
		}
		op = "BaseServiceNumber"
		form.Set("text", strings.Join(m.Params, ";"))
		form.Set("to", to.String())
		form.Set("bodyId", bodyID)
	} else {
		if c.from == "" {
			return sms.Receipt{}, invalid("from", "Config.From (the sender line) is required for a plain text")
		}
		_, parts = sms.Parts(m.Text)
		form.Set("to", to.String())
		form.Set("from", c.from)
		form.Set("text", m.Text)
		form.Set("isFlash", "false")
	}

	a, err := c.call(ctx, op, form)
	if err != nil {
		return sms.Receipt{}, err
	}
	if a.ok() {
		if id, ok := recID(a.value); ok {
			return sms.Receipt{Provider: Provider, MessageID: id, Parts: parts}, nil
		}
		if _, ok := parseInt(a.value); !ok {
			return sms.Receipt{}, c.malformed(a, "Value is neither a recId nor a code")
		}
	}
	return sms.Receipt{}, c.fail(a)
}

// Status fetches the delivery report of a recId with GetDeliveries2. The
// delivery code is mapped onto [sms.Delivery]; codes this package does not
// know are reported as [sms.DeliveryPending], and 100 ("unknown") as
// [sms.DeliveryUnknown]. A messageID that is not a decimal recId is a
// [*sms.ValidationError], and no request is made.
func (c *Client) Status(ctx context.Context, messageID string) (sms.Status, error) {
	id, ok := decimal(messageID)
	if !ok {
		return sms.Status{}, invalid("messageID", "not a decimal recId")
	}
	form := c.form()
	form.Set("recId", id)
	a, err := c.call(ctx, "GetDeliveries2", form)
	if err != nil {
		return sms.Status{}, err
	}
	if a.ok() {
		n, ok := parseInt(a.value)
		if !ok {
			return sms.Status{}, c.malformed(a, "Value is not a delivery code")
		}
		if n >= 0 { // delivery codes are never negative; error codes may be
			return sms.Status{MessageID: id, Delivery: delivery(n), Code: strconv.FormatInt(n, 10)}, nil
		}
	}
	return sms.Status{}, c.fail(a)
}

// Credit returns the account's credit as GetCredit reports it (a number
// such as 1000 or 123.5, in the panel's unit).
func (c *Client) Credit(ctx context.Context) (float64, error) {
	a, err := c.call(ctx, "GetCredit", c.form())
	if err != nil {
		return 0, err
	}
	if a.ok() {
		f, err := strconv.ParseFloat(a.value, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, c.malformed(a, "Value is not a number")
		}
		return f, nil
	}
	return 0, c.fail(a)
}

// form returns the credential fields every operation carries.
func (c *Client) form() url.Values {
	return url.Values{"username": {c.username}, "password": {c.password}}
}

func invalid(field, reason string) *sms.ValidationError {
	return &sms.ValidationError{Provider: Provider, Field: field, Reason: reason}
}

// templateID checks that a template is a positive decimal bodyId and
// returns it in canonical form.
func templateID(s string) (string, error) {
	id, ok := decimal(s)
	if !ok || id == "0" {
		return "", invalid("template", "the bodyId must be a positive integer")
	}
	return id, nil
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
