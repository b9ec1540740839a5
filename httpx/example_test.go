package httpx_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/chelseru/chelseru-go/httpx"
)

func ExampleRouter() {
	hello := httpx.RouteList{{
		Method: http.MethodGet,
		Path:   "hello/",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpx.WriteJSON(w, http.StatusOK, map[string]string{"details": "Hello."})
		}),
	}}

	mux := http.NewServeMux()
	mux.Handle("/api/", httpx.Router("/api/", hello))

	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/api/hello/"},
		{http.MethodGet, "/api/hello"},
		{http.MethodPost, "/api/hello/"},
		{http.MethodGet, "/api/nope/"},
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(req.method, req.path, nil))
		fmt.Print(req.method, " ", req.path, " ", w.Code, " ", w.Body)
	}
	// Output:
	// GET /api/hello/ 200 {"details":"Hello."}
	// GET /api/hello 200 {"details":"Hello."}
	// POST /api/hello/ 405 {"code":"method_not_allowed","error":"Method POST is not allowed here."}
	// GET /api/nope/ 404 {"code":"not_found","error":"Not found."}
}

func ExampleWriteError() {
	r := httptest.NewRequest(http.MethodPost, "/api/otp/send/", nil)

	// A client's mistake is written as it is.
	w := httptest.NewRecorder()
	httpx.WriteError(w, r, httpx.FieldError(httpx.CodeInvalidMobile,
		map[string]string{"mobile_number": "must be an Iranian mobile number"}))
	fmt.Print(w.Code, " ", w.Body)

	// 429 and 409 say when to try again.
	w = httptest.NewRecorder()
	httpx.WriteError(w, r, &httpx.Error{Status: http.StatusTooManyRequests,
		Code: httpx.CodeRateLimited, Message: "Too many requests.", RetryAfter: 30})
	fmt.Print(w.Code, " Retry-After: ", w.Header().Get("Retry-After"), " ", w.Body)

	// A fault shows nothing of itself.
	w = httptest.NewRecorder()
	httpx.WriteError(w, r, fmt.Errorf("store: %w", fmt.Errorf("dial tcp 10.0.0.5:5432: connection refused")))
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// 400 {"code":"invalid_mobile","error":"mobile_number: must be an Iranian mobile number","fields":{"mobile_number":"must be an Iranian mobile number"}}
	// 429 Retry-After: 30 {"code":"rate_limited","error":"Too many requests.","retry_after":30}
	// 500 {"code":"internal","error":"An internal error occurred."}
}

func ExampleDecode() {
	for _, req := range []struct{ contentType, body string }{
		{"application/json", `{"mobile_number": "09120000001", "group": 2}`},
		{"application/x-www-form-urlencoded", "mobile_number=09120000001&group=2"},
		{"application/json", `{"mobile_number": 9120000001}`},
		{"application/json", `{"mobile_number": "09120000001",}`},
		{"text/plain", "09120000001"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/api/authenticate/", strings.NewReader(req.body))
		r.Header.Set("Content-Type", req.contentType)
		body, err := httpx.Decode(r, 0)
		var e *httpx.Error
		if errors.As(err, &e) {
			fmt.Println(e.Status, e.Code)
			continue
		}
		mobile, _, err := body.String("mobile_number")
		if err != nil {
			fmt.Println("mobile_number:", err)
			continue
		}
		group, _, _ := body.Int("group")
		fmt.Println(mobile, group)
	}
	// Output:
	// 09120000001 2
	// 09120000001 2
	// mobile_number: must be a string
	// 400 invalid_json
	// 415 unsupported_media_type
}
