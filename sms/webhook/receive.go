package webhook

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chelseru/chelseru-go/sms"
)

// Errors of [Verify], wrapped with more detail. Match them with
// [errors.Is].
var (
	// ErrNoSignature: the webhook-id, webhook-timestamp or
	// webhook-signature header is missing or empty.
	ErrNoSignature = errors.New("webhook: request is not signed")
	// ErrBadSignature: no v1 signature of the request matches its id,
	// timestamp and body under the secret.
	ErrBadSignature = errors.New("webhook: signature does not match")
	// ErrTimestamp: webhook-timestamp is not Unix seconds, or is further
	// from now than the tolerance (a replay, or a clock off).
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
)

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock, either way, when [Verify] is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// MaxBodySize bounds the request body [Handler] reads.
const MaxBodySize = 64 << 10

// Verify checks a signed request: that it has the three Standard Webhooks
// headers, that webhook-timestamp is within tolerance of now (either way),
// and that one of the space-separated "v1,<base64>" entries of
// webhook-signature is HMAC-SHA256(key, id + "." + timestamp + "." + body),
// compared in constant time. Entries of other versions (such as v1a) are
// skipped. secret is as in Config.Secret. A zero now means time.Now(); a
// zero or negative tolerance means DefaultTolerance.
//
// The errors wrap [ErrNoSignature], [ErrTimestamp] or [ErrBadSignature];
// an empty or malformed secret is an error of its own. None quotes the
// secret. body must be the raw bytes received, not re-encoded JSON.
//
// Verify does not remember ids: a receiver that must act once per message
// should keep the webhook-id values it has seen for the tolerance window.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := decodeSecret(secret)
	if err != nil {
		return errors.New("webhook: secret: " + err.Error())
	}
	return verify(key, header, body, now, tolerance)
}

func verify(key []byte, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id := first(values(header, HeaderID))
	ts := first(values(header, HeaderTimestamp))
	sigs := strings.Join(values(header, HeaderSignature), " ")
	for _, h := range [...]struct{ name, value string }{{HeaderID, id}, {HeaderTimestamp, ts}, {HeaderSignature, sigs}} {
		if strings.TrimSpace(h.value) == "" {
			return fmt.Errorf("%w: no %s header", ErrNoSignature, h.name)
		}
	}

	sec, err := unixSeconds(ts)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrTimestamp, HeaderTimestamp)
	}
	if now.IsZero() {
		now = time.Now()
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	switch age := now.Sub(time.Unix(sec, 0)); {
	case age > tolerance:
		return fmt.Errorf("%w: %s is %s old (tolerance %s)", ErrTimestamp, HeaderTimestamp, age.Truncate(time.Second), tolerance)
	case age < -tolerance:
		return fmt.Errorf("%w: %s is %s ahead (tolerance %s)", ErrTimestamp, HeaderTimestamp, (-age).Truncate(time.Second), tolerance)
	}

	want := mac(key, id, ts, body)
	for _, entry := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// values returns the values of the header name, also under keys that are
// not in canonical form (a header map built by hand or by a gateway).
func values(h http.Header, name string) []string {
	if v := h.Values(name); len(v) > 0 {
		return v
	}
	var v []string
	for k, vv := range h {
		if strings.EqualFold(k, name) {
			v = append(v, vv...)
		}
	}
	return v
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// unixSeconds parses a timestamp of ASCII digits only.
func unixSeconds(s string) (int64, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

type idKey struct{}

// IDFrom returns the webhook-id of the request whose context ctx is, in
// the function given to [Handler]; "" elsewhere. A receiver can use it to
// drop repeated deliveries.
func IDFrom(ctx context.Context) string {
	id, _ := ctx.Value(idKey{}).(string)
	return id
}

// Handler returns a reference receiver for a [Client]: it accepts POST
// only (405 otherwise), reads at most MaxBodySize bytes (413), checks the
// request with [Verify] and DefaultTolerance (401), decodes the [Payload]
// and checks the message with [sms.Message.Validate] (400), then calls fn
// with the request's context and the message.
//
// fn's receipt becomes a 200 answer {"message_id": ..., "parts": ...}
// (empty fields left out). An error of fn becomes a {"error": "...",
// "kind": "..."} answer with its text and its failure kind's word
// (sms.KindName), which the Client turns back into that kind, and a
// status that says the same to other clients: sms.ErrBadCredentials 401,
// sms.ErrInsufficientCredit 402, sms.ErrAccessDenied 403,
// sms.ErrRateLimited 429, sms.ErrTemporary 503, sms.ErrTransport 502, a
// done context 503, other provider kinds and [*sms.ValidationError] 422,
// anything else 500 (which a Client takes as temporary, and sms.Retry
// tries again: return a typed error for failures that will not pass).
// Every answer is JSON.
//
// Handler panics if secret is empty or malformed or fn is nil: both are
// wiring mistakes.
func Handler(secret string, fn func(ctx context.Context, m sms.Message) (sms.Receipt, error)) http.Handler {
	key, err := decodeSecret(secret)
	if err != nil {
		panic("webhook: Handler: secret: " + err.Error())
	}
	if fn == nil {
		panic("webhook: Handler: nil function")
	}
	return &handler{key: key, fn: fn}
}

type handler struct {
	key []byte
	fn  func(ctx context.Context, m sms.Message) (sms.Receipt, error)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "webhook: method not allowed"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: "webhook: body larger than " + strconv.Itoa(MaxBodySize) + " bytes"})
			return
		}
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "webhook: reading the body failed"})
		return
	}
	if err := verify(h.key, r.Header, body, time.Now(), DefaultTolerance); err != nil {
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: err.Error()})
		return
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "webhook: body is not the expected JSON"})
		return
	}
	m := sms.Message{To: p.To, Text: p.Text, Template: p.Template, Params: p.Params, Secret: p.Secret}
	if err := m.Validate(); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
		return
	}

	ctx := context.WithValue(r.Context(), idKey{}, r.Header.Get(HeaderID))
	rec, err := h.fn(ctx, m)
	if err != nil {
		writeJSON(w, errorStatus(err), errorBody{Error: err.Error(), Kind: sms.KindName(err)})
		return
	}
	writeJSON(w, http.StatusOK, Answer{MessageID: rec.MessageID, Parts: rec.Parts})
}

// errorStatus is the HTTP status that tells a Client err's kind.
func errorStatus(err error) int {
	var verr *sms.ValidationError
	var perr *sms.ProviderError
	switch {
	case errors.Is(err, sms.ErrBadCredentials):
		return http.StatusUnauthorized
	case errors.Is(err, sms.ErrInsufficientCredit):
		return http.StatusPaymentRequired
	case errors.Is(err, sms.ErrAccessDenied):
		return http.StatusForbidden
	case errors.Is(err, sms.ErrRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, sms.ErrTemporary):
		return http.StatusServiceUnavailable
	case errors.Is(err, sms.ErrTransport):
		return http.StatusBadGateway
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.As(err, &perr), errors.As(err, &verr):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// errorBody is a failed answer; Kind is the sms.KindName word of the
// failure, when it has one.
type errorBody struct {
	Error string `json:"error"`
	Kind  string `json:"kind,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // unreachable: the values are plain structs
		status, b = http.StatusInternalServerError, []byte(`{"error":"webhook: encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
