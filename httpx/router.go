package httpx

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Route is one endpoint of a feature, relative to where it is mounted.
type Route struct {
	// Method is the HTTP method. A GET route also answers HEAD.
	Method string
	// Path is relative to the mount point and written as in the contract,
	// with its trailing slash ("otp/send/", "sessions/{id}/"). A segment
	// in braces matches any one non-empty segment; the handler reads it
	// with [http.Request.PathValue].
	Path string
	// Handler serves the route.
	Handler http.Handler
}

// Routes is implemented by every feature that can be mounted: its routes,
// relative to the mount point.
type Routes interface {
	Routes() []Route
}

// RouteList is a literal list of routes; it implements [Routes].
type RouteList []Route

// Routes returns l.
func (l RouteList) Routes() []Route { return l }

// Router returns one handler that serves the routes of every part under
// prefix ("/api/"; "/" or "" for the root). Each route answers with and
// without its trailing slash, never by redirect. A path under prefix that
// no route has is a JSON 404 not_found; a known path with another method is
// a JSON 405 method_not_allowed with an Allow header.
//
// Router panics if two routes share a method and path or a route is
// malformed: both are wiring mistakes found at start-up.
func Router(prefix string, parts ...Routes) http.Handler {
	rt := &router{prefix: cleanPrefix(prefix), static: map[string]*node{}}
	for _, p := range parts {
		if p == nil {
			panic("httpx: Router: nil part")
		}
		for _, r := range p.Routes() {
			rt.add(r)
		}
	}
	return rt
}

// cleanPrefix returns prefix with exactly one leading and one trailing
// slash.
func cleanPrefix(prefix string) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return "/"
	}
	return "/" + prefix + "/"
}

type router struct {
	prefix string
	static map[string]*node // routes without wildcards, by trimmed path
	params []*node          // routes with wildcards, in registration order
}

// node is one path shape ("rooms/{}") and its handlers by method. Routes
// whose paths differ only in the names of their wildcards share a node.
type node struct {
	shape   []string // segments, "" for a wildcard
	methods map[string]handler
	allow   string
}

type handler struct {
	h     http.Handler
	names []string // wildcard name per segment, "" for literals
}

func (rt *router) add(r Route) {
	if r.Handler == nil || r.Method == "" {
		panic(fmt.Sprintf("httpx: Router: route %s %q has no handler or method", r.Method, r.Path))
	}
	path := strings.Trim(r.Path, "/")
	if strings.Contains(path, "//") || strings.HasPrefix(r.Path, "/") {
		panic(fmt.Sprintf("httpx: Router: malformed route path %q", r.Path))
	}
	segs := strings.Split(path, "/")
	names := make([]string, len(segs))
	shape := make([]string, len(segs))
	wild := false
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && len(s) > 2 && !strings.ContainsAny(s[1:len(s)-1], "{}"):
			names[i] = s[1 : len(s)-1]
			wild = true
		case strings.ContainsAny(s, "{}"):
			panic(fmt.Sprintf("httpx: Router: malformed route path %q", r.Path))
		default:
			shape[i] = s
		}
	}
	n := rt.find(path, shape, wild)
	if _, dup := n.methods[r.Method]; dup {
		panic(fmt.Sprintf("httpx: Router: duplicate route %s %s", r.Method, r.Path))
	}
	n.methods[r.Method] = handler{h: r.Handler, names: names}
	n.allow = allowHeader(n.methods)
}

func allowHeader(methods map[string]handler) string {
	var allow []string
	for m := range methods {
		allow = append(allow, m)
	}
	if _, get := methods[http.MethodGet]; get {
		if _, head := methods[http.MethodHead]; !head {
			allow = append(allow, http.MethodHead)
		}
	}
	slices.Sort(allow)
	return strings.Join(allow, ", ")
}

// find returns the node for a path shape, creating it.
func (rt *router) find(path string, shape []string, wild bool) *node {
	if !wild {
		n := rt.static[path]
		if n == nil {
			n = &node{methods: map[string]handler{}}
			rt.static[path] = n
		}
		return n
	}
	for _, n := range rt.params {
		if slices.Equal(n.shape, shape) {
			return n
		}
	}
	n := &node{shape: shape, methods: map[string]handler{}}
	rt.params = append(rt.params, n)
	return n
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if !strings.HasPrefix(path, rt.prefix) {
		notFound(w)
		return
	}
	path = strings.TrimSuffix(path[len(rt.prefix):], "/")
	// The static route comes first; then wildcard routes in the order they
	// were added. The first that has the request's method serves it.
	var segs []string
	var allow []string
	try := func(n *node) bool {
		h, ok := n.methods[r.Method]
		if !ok && r.Method == http.MethodHead {
			h, ok = n.methods[http.MethodGet]
		}
		if !ok {
			allow = append(allow, n.allow)
			return false
		}
		for i, name := range h.names {
			if name != "" {
				r.SetPathValue(name, segs[i])
			}
		}
		h.h.ServeHTTP(w, r)
		return true
	}
	if n := rt.static[path]; n != nil && try(n) {
		return
	}
	if path != "" && len(rt.params) > 0 {
		segs = strings.Split(path, "/")
		for _, n := range rt.params {
			if n.matches(segs) && try(n) {
				return
			}
		}
	}
	if allow == nil {
		notFound(w)
		return
	}
	w.Header().Set("Allow", mergeAllow(allow))
	writeError(w, NewError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		"Method "+r.Method+" is not allowed here."))
}

// matches reports whether the request path segments fit the shape.
func (n *node) matches(segs []string) bool {
	if len(n.shape) != len(segs) {
		return false
	}
	for i, s := range segs {
		if s == "" || n.shape[i] != "" && s != n.shape[i] {
			return false
		}
	}
	return true
}

func mergeAllow(lists []string) string {
	if len(lists) == 1 {
		return lists[0]
	}
	var all []string
	for _, l := range lists {
		for _, m := range strings.Split(l, ", ") {
			if !slices.Contains(all, m) {
				all = append(all, m)
			}
		}
	}
	slices.Sort(all)
	return strings.Join(all, ", ")
}

func notFound(w http.ResponseWriter) {
	writeError(w, NewError(http.StatusNotFound, CodeNotFound, "Not found."))
}

// NotFound writes the contract's 404 body.
func NotFound(w http.ResponseWriter, r *http.Request) { notFound(w) }
