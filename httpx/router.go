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
	params []*node          // routes with wildcards
}

// node is one path and its handlers by method.
type node struct {
	segs    []string // for wildcard paths
	names   []string // wildcard name per segment, "" for literals
	methods map[string]http.Handler
	allow   string
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
	wild := false
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && len(s) > 2 {
			names[i] = s[1 : len(s)-1]
			wild = true
		} else if strings.ContainsAny(s, "{}") {
			panic(fmt.Sprintf("httpx: Router: malformed route path %q", r.Path))
		}
	}
	n := rt.find(path, segs, names, wild)
	if _, dup := n.methods[r.Method]; dup {
		panic(fmt.Sprintf("httpx: Router: duplicate route %s %s", r.Method, r.Path))
	}
	n.methods[r.Method] = r.Handler
	var allow []string
	for m := range n.methods {
		allow = append(allow, m)
		if m == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	slices.Sort(allow)
	n.allow = strings.Join(allow, ", ")
}

// find returns the node for a path, creating it.
func (rt *router) find(path string, segs, names []string, wild bool) *node {
	if !wild {
		n := rt.static[path]
		if n == nil {
			n = &node{methods: map[string]http.Handler{}}
			rt.static[path] = n
		}
		return n
	}
	for _, n := range rt.params {
		if slices.Equal(n.segs, segs) {
			return n
		}
	}
	n := &node{segs: segs, names: names, methods: map[string]http.Handler{}}
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
	n := rt.static[path]
	if n == nil {
		n = rt.match(r, path)
	}
	if n == nil {
		notFound(w)
		return
	}
	h := n.methods[r.Method]
	if h == nil && r.Method == http.MethodHead {
		h = n.methods[http.MethodGet]
	}
	if h == nil {
		w.Header().Set("Allow", n.allow)
		writeError(w, NewError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"Method "+r.Method+" is not allowed here."))
		return
	}
	h.ServeHTTP(w, r)
}

// match finds the wildcard route for path and sets r's path values.
func (rt *router) match(r *http.Request, path string) *node {
	if path == "" {
		return nil
	}
	segs := strings.Split(path, "/")
next:
	for _, n := range rt.params {
		if len(n.segs) != len(segs) {
			continue
		}
		for i, s := range segs {
			if s == "" || n.names[i] == "" && s != n.segs[i] {
				continue next
			}
		}
		for i, name := range n.names {
			if name != "" {
				r.SetPathValue(name, segs[i])
			}
		}
		return n
	}
	return nil
}

func notFound(w http.ResponseWriter) {
	writeError(w, NewError(http.StatusNotFound, CodeNotFound, "Not found."))
}

// NotFound writes the contract's 404 body.
func NotFound(w http.ResponseWriter, r *http.Request) { notFound(w) }
