package httpx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chelseru/chelseru-go/httpx"
)

// multipartBody returns a multipart/form-data body with the given value
// fields (in order) and, when file is not empty, a file part named "avatar"
// holding file.
func multipartBody(t *testing.T, fields [][2]string, file string) (contentType, body string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		noError(t, mw.WriteField(f[0], f[1]))
	}
	if file != "" {
		fw, err := mw.CreateFormFile("avatar", "avatar.png")
		noError(t, err)
		_, err = io.WriteString(fw, file)
		noError(t, err)
	}
	noError(t, mw.Close())
	return mw.FormDataContentType(), buf.String()
}

// failingReader fails the test if anything reads it.
type failingReader struct{ t *testing.T }

func (r failingReader) Read([]byte) (int, error) {
	r.t.Error("body was read although Content-Length is over the limit")
	return 0, io.EOF
}

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	mpCT, mpBody := multipartBody(t, [][2]string{
		{"mobile_number", "09120000001"},
		{"group", "2"},
		{"group", "3"},
	}, "\x89PNG not a field")
	exact := `{"a":"` + strings.Repeat("x", 100-8) + `"}`
	if len(exact) != 100 {
		t.Fatalf("len(exact) = %d", len(exact))
	}
	tests := []struct {
		name    string
		ct      string
		body    string
		chunked bool  // ContentLength -1, as for Transfer-Encoding: chunked
		limit   int64 // 0 for the default
		want    map[string]string
		absent  []string
	}{
		{name: "json object", ct: "application/json",
			body: `{"mobile_number":"09120000001","code":"12345"}`,
			want: map[string]string{"mobile_number": "09120000001", "code": "12345"}},
		{name: "json empty body", ct: "application/json", body: "", absent: []string{"mobile_number", ""}},
		{name: "json whitespace only", ct: "application/json", body: " \r\n\t ", absent: []string{"mobile_number"}},
		{name: "json empty object", ct: "application/json", body: "{}", absent: []string{"a"}},
		{name: "json surrounded by whitespace", ct: "application/json", body: "\n  {\"a\": \"b\"}\n",
			want: map[string]string{"a": "b"}},
		{name: "json with charset", ct: "application/json; charset=utf-8", body: `{"a":"é"}`,
			want: map[string]string{"a": "é"}},
		{name: "json upper case type", ct: "Application/JSON", body: `{"a":"b"}`,
			want: map[string]string{"a": "b"}},
		{name: "json suffix type", ct: "application/vnd.x+json", body: `{"a":"b"}`,
			want: map[string]string{"a": "b"}},
		{name: "json chunked", ct: "application/json", body: `{"a":"b"}`, chunked: true,
			want: map[string]string{"a": "b"}},
		{name: "json exactly at the limit", ct: "application/json", body: exact, limit: 100,
			want: map[string]string{"a": strings.Repeat("x", 92)}},
		{name: "json exactly at the limit chunked", ct: "application/json", body: exact, limit: 100, chunked: true,
			want: map[string]string{"a": strings.Repeat("x", 92)}},
		{name: "json duplicate key keeps the last", ct: "application/json", body: `{"a":"1","a":"2"}`,
			want: map[string]string{"a": "2"}},
		{name: "form", ct: "application/x-www-form-urlencoded",
			body:   "mobile_number=09120000001&message_text=salam+donya&e=%C3%A9",
			want:   map[string]string{"mobile_number": "09120000001", "message_text": "salam donya", "e": "é"},
			absent: []string{"code"}},
		{name: "form with charset", ct: "application/x-www-form-urlencoded; charset=UTF-8", body: "a=b",
			want: map[string]string{"a": "b"}},
		{name: "form repeated value keeps the last", ct: "application/x-www-form-urlencoded", body: "a=1&a=2",
			want: map[string]string{"a": "2"}},
		{name: "form empty", ct: "application/x-www-form-urlencoded", body: "", absent: []string{"a"}},
		{name: "multipart values, file skipped", ct: mpCT, body: mpBody,
			want:   map[string]string{"mobile_number": "09120000001", "group": "3"},
			absent: []string{"avatar"}},
		{name: "multipart chunked", ct: mpCT, body: mpBody, chunked: true,
			want: map[string]string{"mobile_number": "09120000001"}},
		{name: "multipart no parts", ct: "multipart/form-data; boundary=xyz", body: "--xyz--\r\n",
			absent: []string{"a"}},
		{name: "no content type, empty body", ct: "", body: "", absent: []string{"a"}},
		{name: "no content type, empty chunked body", ct: "", body: "", chunked: true, absent: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := post(tt.ct, tt.body)
			if tt.chunked {
				r.ContentLength = -1
			}
			b, err := httpx.Decode(r, tt.limit)
			noError(t, err)
			if b == nil {
				t.Fatal("Decode returned a nil Body and no error")
			}
			for name, want := range tt.want {
				equal(t, "Has("+name+")", b.Has(name), true)
				got, ok, err := b.String(name)
				noError(t, err)
				equal(t, "String("+name+") ok", ok, true)
				equal(t, "String("+name+")", got, want)
			}
			for _, name := range tt.absent {
				equal(t, "Has("+name+")", b.Has(name), false)
				got, ok, err := b.String(name)
				noError(t, err)
				equal(t, "String("+name+") ok", ok, false)
				equal(t, "String("+name+")", got, "")
			}
		})
	}
}

func TestDecodeNilBody(t *testing.T) {
	t.Parallel()
	for _, body := range []io.ReadCloser{nil, http.NoBody} {
		r := httptest.NewRequest(http.MethodPost, "/logout/", nil)
		r.Body = body
		b, err := httpx.Decode(r, 0)
		noError(t, err)
		equal(t, "Has", b.Has("refresh"), false)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	big := `{"a":"` + strings.Repeat("x", httpx.DefaultBodyLimit) + `"}`
	bigForm := "a=" + strings.Repeat("x", httpx.DefaultBodyLimit)
	mpCT, mpBody := multipartBody(t, [][2]string{{"a", strings.Repeat("x", 200)}}, "")
	fileCT, fileBody := multipartBody(t, [][2]string{{"a", "b"}}, strings.Repeat("x", 200))
	tests := []struct {
		name    string
		ct      string
		body    string
		chunked bool
		limit   int64
		status  int
		code    string
		msg     string // a substring of the message
	}{
		{name: "no content type, non-empty body", body: `{"a":"b"}`,
			status: 415, code: httpx.CodeUnsupportedMediaType},
		{name: "no content type, non-empty chunked body", body: "a=b", chunked: true,
			status: 415, code: httpx.CodeUnsupportedMediaType},
		{name: "text/plain", ct: "text/plain", body: "hello",
			status: 415, code: httpx.CodeUnsupportedMediaType},
		{name: "xml", ct: "application/xml", body: "<a/>",
			status: 415, code: httpx.CodeUnsupportedMediaType},
		{name: "malformed content type", ct: "application/json; =;", body: `{}`,
			status: 415, code: httpx.CodeUnsupportedMediaType},
		{name: "content length over the default limit", ct: "application/json", body: big,
			status: 413, code: httpx.CodeBodyTooLarge, msg: "65536"},
		{name: "chunked over the default limit", ct: "application/json", body: big, chunked: true,
			status: 413, code: httpx.CodeBodyTooLarge, msg: "65536"},
		{name: "negative limit means the default", ct: "application/json", body: big, chunked: true, limit: -1,
			status: 413, code: httpx.CodeBodyTooLarge, msg: "65536"},
		{name: "custom limit, content length", ct: "application/json", body: `{"a":"bcdef"}`, limit: 12,
			status: 413, code: httpx.CodeBodyTooLarge, msg: "12 bytes"},
		{name: "custom limit, chunked", ct: "application/json", body: `{"a":"bcdef"}`, limit: 12, chunked: true,
			status: 413, code: httpx.CodeBodyTooLarge, msg: "12 bytes"},
		{name: "form over the limit, chunked", ct: "application/x-www-form-urlencoded", body: bigForm, chunked: true,
			status: 413, code: httpx.CodeBodyTooLarge},
		{name: "multipart value over the limit, chunked", ct: mpCT, body: mpBody, chunked: true, limit: 100,
			status: 413, code: httpx.CodeBodyTooLarge},
		{name: "multipart file over the limit, chunked", ct: fileCT, body: fileBody, chunked: true, limit: 150,
			status: 413, code: httpx.CodeBodyTooLarge},
		{name: "content length over the limit with unknown type", ct: "text/plain", body: "hello", limit: 4,
			status: 413, code: httpx.CodeBodyTooLarge},
		{name: "malformed json", ct: "application/json", body: `{"a":`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json syntax error", ct: "application/json", body: `{"a" "b"}`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json trailing garbage", ct: "application/json", body: `{"a":"b"} x`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json two objects", ct: "application/json", body: `{}{}`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json single quotes", ct: "application/json", body: `{'a':'b'}`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "form body sent as json", ct: "application/json", body: "a=b",
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json top-level array", ct: "application/json", body: `[{"a":"b"}]`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json top-level string", ct: "application/json", body: `"a"`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json top-level number", ct: "application/json", body: `12`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json top-level null", ct: "application/json", body: `null`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "json suffix type, malformed", ct: "application/vnd.x+json", body: `{`,
			status: 400, code: httpx.CodeInvalidJSON, msg: "JSON"},
		{name: "bad form encoding", ct: "application/x-www-form-urlencoded", body: "a=%zz",
			status: 400, code: httpx.CodeInvalidRequest},
		{name: "form with semicolon", ct: "application/x-www-form-urlencoded", body: "a=1;b=2",
			status: 400, code: httpx.CodeInvalidRequest},
		{name: "multipart without boundary", ct: "multipart/form-data", body: mpBody,
			status: 400, code: httpx.CodeInvalidRequest, msg: "boundary"},
		{name: "multipart with another boundary", ct: "multipart/form-data; boundary=other", body: mpBody,
			status: 400, code: httpx.CodeInvalidRequest},
		{name: "multipart truncated", ct: mpCT, body: mpBody[:len(mpBody)/2],
			status: 400, code: httpx.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := post(tt.ct, tt.body)
			if tt.chunked {
				r.ContentLength = -1
			}
			b, err := httpx.Decode(r, tt.limit)
			if b != nil {
				t.Errorf("Body = %+v, want nil", b)
			}
			e := httpError(t, err, tt.status, tt.code)
			if e.Message == "" {
				t.Error("the error has no message")
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", e.Message, tt.msg)
			}
		})
	}
}

func TestDecodeContentLengthOverLimitReadsNothing(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(failingReader{t}))
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = httpx.DefaultBodyLimit + 1
	_, err := httpx.Decode(r, 0)
	httpError(t, err, http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge)
}

// decodeJSON decodes a JSON body, failing the test on error.
func decodeJSON(t *testing.T, body string) *httpx.Body {
	t.Helper()
	b, err := httpx.Decode(post("application/json", body), 0)
	noError(t, err)
	return b
}

const accessorJSON = `{
	"s": "09120000001", "empty": "", "esc": "caf\u00e9 \"q\"",
	"n": 12, "zero": 0, "neg": -7, "neg_s": "-7",
	"ns": "12", "nsp": " 12 ", "nsp_tab": "\t12\n",
	"f": 1.5, "fs": "1.5", "f0": 1.0, "e": 1e3, "es": "1e3",
	"max": 9223372036854775807, "over": 9223372036854775808,
	"big": 99999999999999999999, "bigs": "99999999999999999999", "min": -9223372036854775808,
	"hex": "0x10", "word": "twelve", "inner": "1 2",
	"null": null, "t": true, "f_": false, "o": {"a": 1}, "arr": [1]
}`

func TestBodyString(t *testing.T) {
	t.Parallel()
	b := decodeJSON(t, accessorJSON)
	tests := []struct {
		name   string
		want   string
		ok     bool
		errMsg string
	}{
		{"s", "09120000001", true, ""},
		{"empty", "", true, ""},
		{"esc", `café "q"`, true, ""},
		{"ns", "12", true, ""},
		{"n", "", true, "must be a string"},
		{"f", "", true, "must be a string"},
		{"null", "", true, "must be a string"},
		{"t", "", true, "must be a string"},
		{"f_", "", true, "must be a string"},
		{"o", "", true, "must be a string"},
		{"arr", "", true, "must be a string"},
		{"absent", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := b.String(tt.name)
			checkField(t, got, ok, err, tt.want, tt.ok, tt.errMsg)
			equal(t, "Has", b.Has(tt.name), tt.ok)
		})
	}
}

func TestBodyInt(t *testing.T) {
	t.Parallel()
	b := decodeJSON(t, accessorJSON)
	const notInt = "must be an integer"
	tests := []struct {
		name   string
		want   int64
		ok     bool
		errMsg string
	}{
		{"n", 12, true, ""},
		{"zero", 0, true, ""},
		{"neg", -7, true, ""},
		{"neg_s", -7, true, ""},
		{"ns", 12, true, ""},
		{"nsp", 12, true, ""},
		{"nsp_tab", 12, true, ""},
		{"max", 9223372036854775807, true, ""},
		{"min", -9223372036854775808, true, ""},
		{"over", 0, true, notInt},
		{"big", 0, true, notInt},
		{"bigs", 0, true, notInt},
		{"f", 0, true, notInt},
		{"fs", 0, true, notInt},
		{"f0", 1, true, ""}, // 1.0: DRF's IntegerField takes a zero fraction
		{"e", 0, true, notInt},
		{"es", 0, true, notInt},
		{"hex", 0, true, notInt},
		{"word", 0, true, notInt},
		{"inner", 0, true, notInt},
		{"empty", 0, true, notInt},
		{"null", 0, true, notInt},
		{"t", 0, true, notInt},
		{"o", 0, true, notInt},
		{"arr", 0, true, notInt},
		{"absent", 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := b.Int(tt.name)
			checkField(t, got, ok, err, tt.want, tt.ok, tt.errMsg)
		})
	}
}

func TestBodyForm(t *testing.T) {
	t.Parallel()
	b, err := httpx.Decode(post("application/x-www-form-urlencoded",
		"group=1&group=2&user=+42+&mobile_number=0912&empty=&neg=-3&f=1.5"), 0)
	noError(t, err)

	s, ok, err := b.String("group")
	checkField(t, s, ok, err, "2", true, "")
	s, ok, err = b.String("mobile_number")
	checkField(t, s, ok, err, "0912", true, "")
	s, ok, err = b.String("empty")
	checkField(t, s, ok, err, "", true, "")
	s, ok, err = b.String("absent")
	checkField(t, s, ok, err, "", false, "")

	n, ok, err := b.Int("group")
	checkField(t, n, ok, err, 2, true, "")
	n, ok, err = b.Int("user")
	checkField(t, n, ok, err, 42, true, "")
	n, ok, err = b.Int("neg")
	checkField(t, n, ok, err, -3, true, "")
	n, ok, err = b.Int("mobile_number")
	checkField(t, n, ok, err, 912, true, "")
	n, ok, err = b.Int("f")
	checkField(t, n, ok, err, 0, true, "must be an integer")
	n, ok, err = b.Int("empty")
	checkField(t, n, ok, err, 0, true, "must be an integer")
	n, ok, err = b.Int("absent")
	checkField(t, n, ok, err, 0, false, "")

	equal(t, "Has(empty)", b.Has("empty"), true)
	equal(t, "Has(absent)", b.Has("absent"), false)
}

func TestBodyNilAndZero(t *testing.T) {
	t.Parallel()
	for name, b := range map[string]*httpx.Body{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			equal(t, "Has", b.Has("a"), false)
			s, ok, err := b.String("a")
			checkField(t, s, ok, err, "", false, "")
			n, ok, err := b.Int("a")
			checkField(t, n, ok, err, 0, false, "")
		})
	}
}

func checkField[T comparable](t *testing.T, got T, ok bool, err error, want T, wantOK bool, errMsg string) {
	t.Helper()
	equal(t, "value", got, want)
	equal(t, "ok", ok, wantOK)
	switch {
	case errMsg == "" && err != nil:
		t.Errorf("err = %v, want nil", err)
	case errMsg != "" && (err == nil || err.Error() != errMsg):
		t.Errorf("err = %v, want %q", err, errMsg)
	}
}

func FuzzDecode(f *testing.F) {
	seeds := []struct {
		ct   string
		body string
	}{
		{"application/json", `{"mobile_number":"09120000001","group":"1","user":2}`},
		{"application/json", ""},
		{"application/json", " \n"},
		{"application/json", `{"a":`},
		{"application/json", `[1,2]`},
		{"application/json", `"x"`},
		{"application/json; charset=utf-8", `{"a":{"b":[null,true,1e3]}}`},
		{"application/vnd.x+json", `{"a":"\u00e9"}`},
		{"application/x-www-form-urlencoded", "a=1&a=2&b=%C3%A9"},
		{"application/x-www-form-urlencoded", "a=%zz;"},
		{"multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--\r\n"},
		{"multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.txt\"\r\n\r\ndata\r\n--xyz--\r\n"},
		{"multipart/form-data; boundary=xyz", ""},
		{"multipart/form-data", "--xyz--"},
		{"", ""},
		{"", "a=b"},
		{"text/plain", "hi"},
		{";;", "x"},
	}
	for _, s := range seeds {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		for _, cfg := range []struct {
			chunked bool
			limit   int64
		}{{false, 0}, {true, 0}, {false, 64}, {true, 64}} {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", ct)
			if cfg.chunked {
				r.ContentLength = -1
			}
			b, err := httpx.Decode(r, cfg.limit)
			if err != nil {
				e, ok := err.(*httpx.Error)
				if !ok {
					t.Fatalf("Decode(%q, %q) error %v is a %T, want *httpx.Error", ct, body, err, err)
				}
				if e.Status < 400 || e.Status > 499 || e.Code == "" || e.Message == "" {
					t.Fatalf("Decode(%q, %q) = %d %q %q, want a 4xx with a code and a message", ct, body, e.Status, e.Code, e.Message)
				}
				if b != nil {
					t.Fatalf("Decode returned both a Body and an error")
				}
				w := httptest.NewRecorder()
				httpx.WriteError(w, r, err)
				if w.Code != e.Status || !json.Valid(w.Body.Bytes()) {
					t.Fatalf("WriteError wrote %d %q", w.Code, w.Body)
				}
				continue
			}
			if b == nil {
				t.Fatalf("Decode(%q, %q) returned neither a Body nor an error", ct, body)
			}
			for _, name := range []string{"", "a", "b", "f", "mobile_number", "group", "user"} {
				b.Has(name)
				if _, _, err := b.String(name); err != nil && err.Error() != "must be a string" {
					t.Fatalf("String(%q) error %q", name, err)
				}
				if _, _, err := b.Int(name); err != nil && err.Error() != "must be an integer" {
					t.Fatalf("Int(%q) error %q", name, err)
				}
			}
		}
	})
}

// errReader fails after its data, as a body does when the client goes away.
type errReader struct{ data string }

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestDecodeReadError(t *testing.T) {
	t.Parallel()
	for name, ct := range map[string]string{
		"no content type": "", "json": "application/json",
		"form": "application/x-www-form-urlencoded", "multipart": "multipart/form-data; boundary=xyz",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(&errReader{data: "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1"}))
			r.ContentLength = -1
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			if ct == "" {
				r.Body = io.NopCloser(&errReader{})
			}
			_, err := httpx.Decode(r, 0)
			httpError(t, err, http.StatusBadRequest, httpx.CodeInvalidRequest)
		})
	}
}

func TestBodyIntZeroFraction(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"a":1.0,"b":"2.00","c":"1.50","d":-3.0,"e":"."}`))
	req.Header.Set("Content-Type", "application/json")
	b, err := httpx.Decode(req, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"a": 1, "b": 2, "d": -3} {
		if n, ok, err := b.Int(name); n != want || !ok || err != nil {
			t.Errorf("%s: %d %v %v, want %d", name, n, ok, err, want)
		}
	}
	for _, name := range []string{"c", "e"} {
		if _, _, err := b.Int(name); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestDecodeEmptyMultipart(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("POST", "/", strings.NewReader(""))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	b, err := httpx.Decode(req, 0)
	if err != nil || b.Has("a") {
		t.Errorf("empty multipart body: %v", err)
	}
}

func TestDecodeBOMAndEncoding(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("POST", "/", strings.NewReader("\ufeff{\"a\":\"b\"}"))
	req.Header.Set("Content-Type", "application/json")
	if b, err := httpx.Decode(req, 0); err != nil || !b.Has("a") {
		t.Errorf("JSON with a BOM: %v", err)
	}
	for _, ce := range []string{"gzip", "br", "deflate"} {
		req := httptest.NewRequest("POST", "/", strings.NewReader("\x1f\x8b"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", ce)
		_, err := httpx.Decode(req, 0)
		var e *httpx.Error
		if !errors.As(err, &e) || e.Status != 415 || e.Code != httpx.CodeUnsupportedMediaType {
			t.Errorf("Content-Encoding %s: %v", ce, err)
		}
	}
	req = httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "identity")
	if _, err := httpx.Decode(req, 0); err != nil {
		t.Errorf("identity: %v", err)
	}
}
