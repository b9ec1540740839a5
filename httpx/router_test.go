package httpx_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chelseru/chelseru-go/httpx"
)

// echo is a handler that writes its name, the request body and the path
// value "id" as "name|body|id".
func echo(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, name+"|"+string(b)+"|"+r.PathValue("id"))
	})
}

func testRoutes() httpx.RouteList {
	return httpx.RouteList{
		{Method: http.MethodPost, Path: "otp/send/", Handler: echo("send")},
		{Method: http.MethodPost, Path: "authenticate/", Handler: echo("auth")},
		{Method: http.MethodGet, Path: "sessions/", Handler: echo("list")},
		{Method: http.MethodDelete, Path: "sessions/", Handler: echo("revoke-others")},
		{Method: http.MethodDelete, Path: "sessions/{id}/", Handler: echo("revoke")},
		{Method: http.MethodGet, Path: "chat/rooms/{id}/messages/", Handler: echo("messages")},
		{Method: http.MethodGet, Path: "chat/rooms/new/messages/", Handler: echo("new-messages")},
		{Method: http.MethodGet, Path: "openapi.json", Handler: echo("openapi")},
	}
}

type routeCase struct {
	name   string
	method string
	path   string
	body   string
	status int
	want   string // the handler's answer, or for errors the code
	allow  string
}

func serve(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, rd))
	return w
}

func checkRoute(t *testing.T, h http.Handler, tt routeCase) {
	t.Helper()
	w := serve(h, tt.method, tt.path, tt.body)
	equal(t, "status", w.Code, tt.status)
	equal(t, "Allow", w.Header().Get("Allow"), tt.allow)
	if w.Code >= 400 {
		body := decodeBody(t, w)
		equal(t, "keys", keys(body), "code,error")
		equal(t, "code", body["code"], any(tt.want))
		return
	}
	if loc := w.Header().Get("Location"); loc != "" {
		t.Errorf("redirected to %q", loc)
	}
	equal(t, "body", w.Body.String(), tt.want)
}

func TestRouter(t *testing.T) {
	t.Parallel()
	h := httpx.Router("/api/", testRoutes())
	tests := []routeCase{
		{name: "post with slash", method: "POST", path: "/api/otp/send/", body: `{"a":1}`, status: 200, want: `send|{"a":1}|`},
		{name: "post without slash keeps the body", method: "POST", path: "/api/otp/send", body: `{"a":1}`, status: 200, want: `send|{"a":1}|`},
		{name: "query string", method: "POST", path: "/api/authenticate/?x=1", body: "a=b", status: 200, want: "auth|a=b|"},
		{name: "get", method: "GET", path: "/api/sessions/", status: 200, want: "list||"},
		{name: "get without slash", method: "GET", path: "/api/sessions", status: 200, want: "list||"},
		{name: "head served by get", method: "HEAD", path: "/api/sessions/", status: 200, want: "list||"},
		{name: "second method on a path", method: "DELETE", path: "/api/sessions/", status: 200, want: "revoke-others||"},
		{name: "wildcard", method: "DELETE", path: "/api/sessions/AbC-_9/", status: 200, want: "revoke||AbC-_9"},
		{name: "wildcard without slash", method: "DELETE", path: "/api/sessions/AbC-_9", status: 200, want: "revoke||AbC-_9"},
		{name: "wildcard in the middle", method: "GET", path: "/api/chat/rooms/7/messages/", status: 200, want: "messages||7"},
		{name: "literal beats wildcard", method: "GET", path: "/api/chat/rooms/new/messages/", status: 200, want: "new-messages||"},
		{name: "path without slash of its own", method: "GET", path: "/api/openapi.json", status: 200, want: "openapi||"},
		{name: "unknown path", method: "GET", path: "/api/nope/", status: 404, want: httpx.CodeNotFound},
		{name: "unknown path under a known one", method: "GET", path: "/api/otp/send/more/", status: 404, want: httpx.CodeNotFound},
		{name: "prefix itself", method: "GET", path: "/api/", status: 404, want: httpx.CodeNotFound},
		{name: "outside the prefix", method: "POST", path: "/other/otp/send/", status: 404, want: httpx.CodeNotFound},
		{name: "prefix without its slash", method: "GET", path: "/api", status: 404, want: httpx.CodeNotFound},
		{name: "prefix glued to the path", method: "POST", path: "/apiotp/send/", status: 404, want: httpx.CodeNotFound},
		{name: "root", method: "GET", path: "/", status: 404, want: httpx.CodeNotFound},
		{name: "two trailing slashes", method: "POST", path: "/api/otp/send//", status: 404, want: httpx.CodeNotFound},
		{name: "empty segment", method: "POST", path: "/api/otp//send/", status: 404, want: httpx.CodeNotFound},
		{name: "empty wildcard segment", method: "DELETE", path: "/api/sessions//", status: 404, want: httpx.CodeNotFound},
		{name: "empty wildcard in the middle", method: "GET", path: "/api/chat/rooms//messages/", status: 404, want: httpx.CodeNotFound},
		{name: "wildcard does not span segments", method: "DELETE", path: "/api/sessions/a/b/", status: 404, want: httpx.CodeNotFound},
		{name: "wrong method", method: "GET", path: "/api/otp/send/", status: 405, want: httpx.CodeMethodNotAllowed, allow: "POST"},
		{name: "wrong method without slash", method: "PUT", path: "/api/otp/send", status: 405, want: httpx.CodeMethodNotAllowed, allow: "POST"},
		{name: "head on a post route", method: "HEAD", path: "/api/otp/send/", status: 405, want: httpx.CodeMethodNotAllowed, allow: "POST"},
		{name: "allow lists every method", method: "POST", path: "/api/sessions/", status: 405, want: httpx.CodeMethodNotAllowed, allow: "DELETE, GET, HEAD"},
		{name: "wrong method on a wildcard", method: "GET", path: "/api/sessions/abc/", status: 405, want: httpx.CodeMethodNotAllowed, allow: "DELETE"},
		{name: "options", method: "OPTIONS", path: "/api/authenticate/", status: 405, want: httpx.CodeMethodNotAllowed, allow: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkRoute(t, h, tt)
		})
	}
}

func TestRouterPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		inside string // a path that reaches the hello route
		out    string // a path outside the prefix
	}{
		{"/api/", "/api/hello/", "/hello/"},
		{"api", "/api/hello", "/hello/"},
		{"/api", "/api/hello/", "/apihello/"},
		{"api/", "/api/hello/", "/v1/hello/"},
		{"/api/v1/", "/api/v1/hello/", "/api/hello/"},
		{"/", "/hello/", "/api/"},
		{"", "/hello", "/api/"},
	}
	for _, tt := range tests {
		t.Run("prefix "+tt.prefix, func(t *testing.T) {
			t.Parallel()
			h := httpx.Router(tt.prefix, httpx.RouteList{{Method: "GET", Path: "hello/", Handler: echo("hello")}})
			checkRoute(t, h, routeCase{method: "GET", path: tt.inside, status: 200, want: "hello||"})
			checkRoute(t, h, routeCase{method: "GET", path: tt.out, status: 404, want: httpx.CodeNotFound})
		})
	}
}

func TestRouterMounted(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/api/", httpx.Router("/api/", testRoutes()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, path := range []string{"/api/otp/send/", "/api/otp/send"} {
		resp, err := client.Post(srv.URL+path, "application/json", strings.NewReader(`{"mobile_number":"09120000001"}`))
		noError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		equal(t, path+" status", resp.StatusCode, http.StatusOK)
		equal(t, path+" body", string(b), `send|{"mobile_number":"09120000001"}|`)
	}
}

func TestRouterSeveralParts(t *testing.T) {
	t.Parallel()
	h := httpx.Router("/api/",
		httpx.RouteList{{Method: "POST", Path: "a/", Handler: echo("a")}},
		httpx.RouteList{{Method: "GET", Path: "a/", Handler: echo("a-get")}, {Method: "GET", Path: "b/", Handler: echo("b")}},
		httpx.RouteList(nil),
	)
	checkRoute(t, h, routeCase{method: "POST", path: "/api/a/", status: 200, want: "a||"})
	checkRoute(t, h, routeCase{method: "GET", path: "/api/a", status: 200, want: "a-get||"})
	checkRoute(t, h, routeCase{method: "GET", path: "/api/b/", status: 200, want: "b||"})
	checkRoute(t, h, routeCase{method: "PUT", path: "/api/a/", status: 405, want: httpx.CodeMethodNotAllowed, allow: "GET, HEAD, POST"})
}

func TestRouterPanics(t *testing.T) {
	t.Parallel()
	ok := echo("x")
	tests := []struct {
		name  string
		parts []httpx.Routes
		msg   string // a substring of the panic
	}{
		{"duplicate route", []httpx.Routes{httpx.RouteList{
			{Method: "POST", Path: "a/", Handler: ok}, {Method: "POST", Path: "a/", Handler: ok}}}, "duplicate"},
		{"duplicate across parts", []httpx.Routes{
			httpx.RouteList{{Method: "GET", Path: "a/{id}/", Handler: ok}},
			httpx.RouteList{{Method: "GET", Path: "a/{id}/", Handler: ok}}}, "duplicate"},
		{"duplicate with and without slash", []httpx.Routes{httpx.RouteList{
			{Method: "POST", Path: "a/", Handler: ok}, {Method: "POST", Path: "a", Handler: ok}}}, "duplicate"},
		{"nil handler", []httpx.Routes{httpx.RouteList{{Method: "GET", Path: "a/"}}}, "no handler"},
		{"no method", []httpx.Routes{httpx.RouteList{{Path: "a/", Handler: ok}}}, "no handler or method"},
		{"leading slash", []httpx.Routes{httpx.RouteList{{Method: "GET", Path: "/a/", Handler: ok}}}, "malformed"},
		{"empty segment", []httpx.Routes{httpx.RouteList{{Method: "GET", Path: "a//b/", Handler: ok}}}, "malformed"},
		{"empty wildcard", []httpx.Routes{httpx.RouteList{{Method: "GET", Path: "a/{}/", Handler: ok}}}, "malformed"},
		{"unclosed wildcard", []httpx.Routes{httpx.RouteList{{Method: "GET", Path: "a/{id/", Handler: ok}}}, "malformed"},
		{"brace inside a segment", []httpx.Routes{httpx.RouteList{{Method: "GET", Path: "a/x{id}/", Handler: ok}}}, "malformed"},
		{"nil part", []httpx.Routes{nil}, "nil part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg := mustPanic(t, func() { httpx.Router("/api/", tt.parts...) })
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("panic %q does not contain %q", msg, tt.msg)
			}
		})
	}
}

// Two wildcard routes that differ only in the name of their wildcard match
// exactly the same requests, so they are one path.
func TestRouterWildcardNameDoesNotMakeAnotherPath(t *testing.T) {
	t.Parallel()
	t.Run("methods split across names", func(t *testing.T) {
		t.Parallel()
		h := httpx.Router("/api/", httpx.RouteList{
			{Method: "GET", Path: "rooms/{id}/", Handler: echo("get")},
			{Method: "DELETE", Path: "rooms/{room}/", Handler: echo("delete")},
		})
		checkRoute(t, h, routeCase{method: "GET", path: "/api/rooms/7/", status: 200, want: "get||7"})
		checkRoute(t, h, routeCase{method: "DELETE", path: "/api/rooms/7/", status: 200, want: "delete||"})
		checkRoute(t, h, routeCase{method: "PUT", path: "/api/rooms/7/", status: 405,
			want: httpx.CodeMethodNotAllowed, allow: "DELETE, GET, HEAD"})
	})
	t.Run("duplicate under another name panics", func(t *testing.T) {
		t.Parallel()
		mustPanic(t, func() {
			httpx.Router("/api/", httpx.RouteList{
				{Method: "GET", Path: "rooms/{id}/", Handler: echo("a")},
				{Method: "GET", Path: "rooms/{room}/", Handler: echo("b")},
			})
		})
	})
}

func TestRouterAllowListsHeadOnce(t *testing.T) {
	t.Parallel()
	h := httpx.Router("/", httpx.RouteList{
		{Method: "GET", Path: "a/", Handler: echo("get")},
		{Method: "HEAD", Path: "a/", Handler: echo("head")},
	})
	checkRoute(t, h, routeCase{method: "HEAD", path: "/a/", status: 200, want: "head||"})
	checkRoute(t, h, routeCase{method: "POST", path: "/a/", status: 405, want: httpx.CodeMethodNotAllowed, allow: "GET, HEAD"})
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	httpx.NotFound(w, httptest.NewRequest("GET", "/x", nil))
	equal(t, "status", w.Code, http.StatusNotFound)
	body := decodeBody(t, w)
	equal(t, "keys", keys(body), "code,error")
	equal(t, "code", body["code"], any(httpx.CodeNotFound))
}

func TestRouterConcurrent(t *testing.T) {
	t.Parallel()
	h := httpx.Router("/api/", testRoutes())
	done := make(chan struct{})
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				w := serve(h, "DELETE", "/api/sessions/s"+string(rune('a'+i))+"/", "")
				if want := "revoke||s" + string(rune('a'+i)); w.Body.String() != want {
					t.Errorf("body = %q, want %q", w.Body, want)
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
}
