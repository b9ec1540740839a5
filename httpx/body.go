package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultBodyLimit is the request body limit used when none is given.
const DefaultBodyLimit = 64 << 10

// Body is a decoded request body: the fields of a JSON object, or the
// values of a form. The zero Body has no fields.
type Body struct {
	json map[string]json.RawMessage
	form url.Values
}

// Decode reads and decodes r's body according to its Content-Type. It
// reads at most limit bytes (DefaultBodyLimit when limit <= 0).
//
// Accepted are application/json (and any */*+json type), which must hold
// a JSON object (a leading byte-order mark is ignored),
// application/x-www-form-urlencoded and multipart/form-data (file parts
// are skipped), all uncompressed. An empty body without a Content-Type is
// an empty Body. Every failure is an [*Error]: 413 body_too_large, 400
// invalid_json, 400 invalid_request for a malformed form, 415
// unsupported_media_type for another type or a Content-Encoding.
func Decode(r *http.Request, limit int64) (*Body, error) {
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, NewError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"Unsupported content encoding "+strconv.Quote(ce)+": send the body uncompressed.")
	}
	ct := r.Header.Get("Content-Type")
	if r.Body == nil || r.Body == http.NoBody {
		r.Body = http.NoBody
	}
	body := http.MaxBytesReader(nil, r.Body, limit)
	if ct == "" {
		n, err := io.Copy(io.Discard, io.LimitReader(body, 1))
		if err != nil {
			return nil, readError(err, limit)
		}
		if n == 0 {
			return &Body{}, nil
		}
		return nil, unsupported()
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, unsupported()
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, readError(err, limit)
		}
		return decodeJSON(raw)
	case mt == "application/x-www-form-urlencoded":
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, readError(err, limit)
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, NewError(http.StatusBadRequest, CodeInvalidRequest, "The form body is malformed.")
		}
		return &Body{form: form}, nil
	case mt == "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return nil, NewError(http.StatusBadRequest, CodeInvalidRequest, "The multipart body has no boundary.")
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, readError(err, limit)
		}
		if len(raw) == 0 {
			return &Body{}, nil
		}
		return decodeMultipart(multipart.NewReader(bytes.NewReader(raw), boundary), limit)
	default:
		return nil, unsupported()
	}
}

func decodeJSON(raw []byte) (*Body, error) {
	raw = bytes.TrimSpace(bytes.TrimPrefix(raw, []byte("\ufeff"))) // some Windows tools start with a BOM
	if len(raw) == 0 {
		return &Body{}, nil
	}
	if raw[0] != '{' {
		return nil, NewError(http.StatusBadRequest, CodeInvalidJSON, "The JSON body must be an object.")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		msg := "The body is not valid JSON."
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			msg = "The body is not valid JSON: " + syn.Error() + " (at byte " + strconv.FormatInt(syn.Offset, 10) + ")."
		}
		return nil, NewError(http.StatusBadRequest, CodeInvalidJSON, msg)
	}
	return &Body{json: fields}, nil
}

func decodeMultipart(mr *multipart.Reader, limit int64) (*Body, error) {
	form := url.Values{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return &Body{form: form}, nil
		}
		if err != nil {
			return nil, multipartError(err, limit)
		}
		name := part.FormName()
		if name == "" || part.FileName() != "" {
			// Files are not fields of any endpoint; drain and skip them.
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, multipartError(err, limit)
			}
			continue
		}
		v, err := io.ReadAll(part)
		if err != nil {
			return nil, multipartError(err, limit)
		}
		form.Add(name, string(v))
	}
}

func multipartError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(limit)
	}
	return NewError(http.StatusBadRequest, CodeInvalidRequest, "The multipart body is malformed.")
}

func readError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(limit)
	}
	return NewError(http.StatusBadRequest, CodeInvalidRequest, "The request body could not be read.")
}

func unsupported() *Error {
	return NewError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
		"Unsupported content type: send application/json, application/x-www-form-urlencoded or multipart/form-data.")
}

// Problems a field can have; they are the values of an Error's Fields.
var (
	errNotString  = errors.New("must be a string")
	errNotInteger = errors.New("must be an integer")
)

// Null reports whether the named field is present as a JSON null. (A
// form cannot say null.)
func (b *Body) Null(name string) bool {
	if b == nil || b.json == nil {
		return false
	}
	raw, ok := b.json[name]
	return ok && string(raw) == "null"
}

// Has reports whether the body holds the named field.
func (b *Body) Has(name string) bool {
	if b == nil {
		return false
	}
	if b.json != nil {
		_, ok := b.json[name]
		return ok
	}
	_, ok := b.form[name]
	return ok
}

// String returns the named field. ok is false when the field is absent.
// A JSON value that is not a string (a number, null, an object) is an
// error whose text says what the field must be.
func (b *Body) String(name string) (s string, ok bool, err error) {
	if b == nil {
		return "", false, nil
	}
	if b.json != nil {
		raw, ok := b.json[name]
		if !ok {
			return "", false, nil
		}
		if len(raw) == 0 || raw[0] != '"' {
			return "", true, errNotString
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", true, errNotString
		}
		return s, true, nil
	}
	vs, ok := b.form[name]
	if !ok || len(vs) == 0 {
		return "", false, nil
	}
	return vs[len(vs)-1], true, nil
}

// Int returns the named field as an integer. It may arrive as a JSON
// number without fraction or exponent or as a decimal string ("1"), as
// form values always do. ok is false when the field is absent.
func (b *Body) Int(name string) (n int64, ok bool, err error) {
	if b == nil {
		return 0, false, nil
	}
	var text string
	if b.json != nil {
		raw, ok := b.json[name]
		if !ok {
			return 0, false, nil
		}
		switch {
		case len(raw) > 0 && raw[0] == '"':
			if err := json.Unmarshal(raw, &text); err != nil {
				return 0, true, errNotInteger
			}
		case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
			text = string(raw)
		default:
			return 0, true, errNotInteger
		}
	} else {
		vs, ok := b.form[name]
		if !ok || len(vs) == 0 {
			return 0, false, nil
		}
		text = vs[len(vs)-1]
	}
	n, err = parseInt(text)
	if err != nil {
		return 0, true, errNotInteger
	}
	return n, true, nil
}

// parseInt reads a decimal integer the way Django REST framework's
// IntegerField does: surrounding spaces and a fraction of zeros ("1.0")
// are allowed, nothing else.
func parseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, errNotInteger
		}
		s = s[:i]
	}
	return strconv.ParseInt(s, 10, 64)
}

var errNotScalar = errors.New("must be a string or an integer")

// Scalar returns the named field as text when it is a JSON string or a
// JSON integer (a template id may be either); ok is false when the field
// is absent. Form values are always text.
func (b *Body) Scalar(name string) (s string, ok bool, err error) {
	if b != nil && b.json != nil {
		raw, present := b.json[name]
		if present && len(raw) > 0 && raw[0] != '"' {
			n, err := parseInt(string(raw))
			if err != nil {
				return "", true, errNotScalar
			}
			return strconv.FormatInt(n, 10), true, nil
		}
	}
	s, ok, err = b.String(name)
	if err != nil {
		err = errNotScalar
	}
	return s, ok, err
}

var errNotIntList = errors.New("must be a list of integers")

// IntList returns the named field as integers: a JSON array of integers
// (numbers or decimal strings), or in a form every value of the field (or
// one value with commas). An absent field is an empty list.
func (b *Body) IntList(name string) ([]int64, error) {
	if b == nil {
		return nil, nil
	}
	var texts []string
	if b.json != nil {
		raw, ok := b.json[name]
		if !ok || string(raw) == "null" {
			return nil, nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, errNotIntList
		}
		for _, it := range items {
			s := string(it)
			if len(it) > 0 && it[0] == '"' {
				if json.Unmarshal(it, &s) != nil {
					return nil, errNotIntList
				}
			}
			texts = append(texts, s)
		}
	} else {
		for _, v := range b.form[name] {
			texts = append(texts, strings.Split(v, ",")...)
		}
	}
	out := make([]int64, 0, len(texts))
	for _, t := range texts {
		n, err := parseInt(t)
		if err != nil {
			return nil, errNotIntList
		}
		out = append(out, n)
	}
	return out, nil
}
