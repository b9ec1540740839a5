package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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

// Provider is the webhook sender's short name in receipts and errors.
const Provider = "webhook"

// The Standard Webhooks headers of every request. HTTP header names are
// case-insensitive; these are the spelling of the specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a Standard Webhooks secret: the rest of it is the HMAC
// key in base64.
const SecretPrefix = "whsec_"

// Payload is the JSON body of every request. Empty fields are left out.
type Payload struct {
	// To is the receiver in canonical form, 09XXXXXXXXX.
	To string `json:"to"`
	// Text is the plain text; Template and Params are a template message.
	// Exactly one of Text and Template is set.
	Text     string   `json:"text,omitempty"`
	Template string   `json:"template,omitempty"`
	Params   []string `json:"params,omitempty"`
	// Secret is Message.Secret: Text or Params hold a secret, such as a
	// one-time code, that the receiver should not log.
	Secret bool `json:"secret,omitempty"`
}

// Answer is the optional JSON body of a successful answer. The sender also
// accepts message_id as a JSON number.
type Answer struct {
	MessageID string `json:"message_id,omitempty"`
	Parts     int    `json:"parts,omitempty"`
}

// Config configures a [Client].
type Config struct {
	// URL is the endpoint every message is posted to, an absolute http
	// or https URL. Required.
	URL string
	// Secret is the HMAC-SHA256 signing key shared with the endpoint: a
	// Standard Webhooks secret "whsec_<base64>" (the key is the decoded
	// base64), or any other string, whose bytes are the key. The key must
	// be at least 16 bytes; use 24 random bytes or more. Required.
	Secret string
	// HTTPClient makes the calls. Defaults to a client with a 10 s
	// timeout that does not follow redirects.
	HTTPClient *http.Client
}

// Client posts each message, signed, to a webhook endpoint. Make one with
// [New]; it is safe for concurrent use.
type Client struct {
	url    string
	key    []byte
	caller wire.Caller
}

var _ sms.Sender = (*Client)(nil)

// New checks cfg and returns a Client. URL and Secret are required; a
// Secret with the whsec_ prefix must be base64 after it.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("webhook: Config.URL is required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("webhook: Config.URL must be an absolute http or https URL")
	}
	if cfg.Secret == "" {
		return nil, errors.New("webhook: Config.Secret is required")
	}
	key, err := decodeSecret(cfg.Secret)
	if err == nil && len(key) < minKey {
		err = errors.New("the key must be at least 16 bytes")
	}
	if err != nil {
		return nil, errors.New("webhook: Config.Secret: " + err.Error())
	}
	client := cfg.HTTPClient
	if client == nil {
		client = wire.NewHTTPClient()
	}
	secrets := []string{cfg.Secret}
	if rest, ok := strings.CutPrefix(cfg.Secret, SecretPrefix); ok {
		secrets = append(secrets, rest)
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		secrets = append(secrets, pw)
	}
	return &Client{
		url:    cfg.URL,
		key:    key,
		caller: wire.Caller{Provider: Provider, Client: client, Secrets: secrets},
	}, nil
}

// minKey is the shortest signing key a Client accepts.
const minKey = 16

// decodeSecret returns the HMAC key of a secret. Its errors never quote
// the secret.
func decodeSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("empty")
	}
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(rest)
	}
	if err != nil || len(key) == 0 {
		return nil, errors.New("the part after " + SecretPrefix + " is not base64")
	}
	return key, nil
}

// mac is HMAC-SHA256(key, id + "." + timestamp + "." + body).
func mac(key []byte, id, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Send validates m and posts it to Config.URL, signed. Any 2xx answer is
// success: the receipt's MessageID and Parts come from a JSON answer body
// when it has them; Parts is otherwise [sms.Parts] of the text, or 1 for
// a template. Every other answer is an [*sms.ProviderError]; see the
// package documentation.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if err := m.Validate(); err != nil {
		return sms.Receipt{}, err
	}
	to, err := sms.ParseMobile(m.To)
	if err != nil { // unreachable: Validate parsed it
		return sms.Receipt{}, err
	}
	body, err := json.Marshal(Payload{To: to.String(), Text: m.Text, Template: m.Template, Params: m.Params, Secret: m.Secret})
	if err != nil {
		return sms.Receipt{}, c.caller.Transport(err)
	}
	req, err := wire.NewRequest(ctx, http.MethodPost, c.url, bytes.NewReader(body), "application/json")
	if err != nil {
		return sms.Receipt{}, c.caller.Transport(err)
	}
	// The id is keyed on the body: a message tried again (sms.Retry) keeps
	// its id, so the receiver can drop the repeat, as Standard Webhooks
	// intends ids to be used.
	id := "msg_" + base64.RawURLEncoding.EncodeToString(mac(c.key, "id", "", body)[:18])
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, "v1,"+base64.StdEncoding.EncodeToString(mac(c.key, id, ts, body)))

	status, raw, err := c.caller.Do(req)
	if err != nil {
		return sms.Receipt{}, err
	}
	if status < 200 || status > 299 {
		var e errorBody
		_ = json.Unmarshal(raw, &e) // the message and the kind are optional
		kind := sms.KindByName(e.Kind)
		switch {
		case e.Kind == "invalid_message": // the receiver's own validation
			kind = sms.ErrMessageRejected
		case kind == nil:
			kind = wire.ByHTTPStatus(status)
		}
		return sms.Receipt{}, c.caller.Fail(kind, strconv.Itoa(status), e.Error, status)
	}

	r := sms.Receipt{Provider: Provider, Parts: 1}
	if m.Text != "" {
		_, r.Parts = sms.Parts(m.Text)
	}
	var a struct {
		MessageID json.RawMessage `json:"message_id"`
		Parts     json.RawMessage `json:"parts"`
	}
	if json.Unmarshal(raw, &a) == nil { // an empty or non-JSON body is still success
		r.MessageID = messageID(a.MessageID)
		if n, err := strconv.Atoi(string(a.Parts)); err == nil && n > 0 {
			r.Parts = n
		}
	}
	return r, nil
}

// messageID reads a JSON string or number; anything else is "".
func messageID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
