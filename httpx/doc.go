// Package httpx holds what every chelseru-go handler shares: request body
// decoding, the error envelope of the HTTP contract, JSON writing, and the
// route table that mounts every feature under one prefix.
//
// # Mounting
//
// Each feature service (auth, and later sms and chat) lists its routes
// relative to the mount point through a Routes method. [Router] combines
// them into one [http.Handler] under a prefix, the way django-chelseru is
// included with include('drfchelseru.urls'):
//
//	mux := http.NewServeMux()
//	mux.Handle("/api/", httpx.Router("/api/", authn))
//
// Every route answers with and without its trailing slash (POST requests
// are never redirected: a redirect would lose the body). Unknown paths get
// a JSON 404 and known paths with the wrong method a JSON 405 with an Allow
// header.
//
// # Errors
//
// Handlers return an [*Error] for anything a client did wrong and plain
// errors for faults; [WriteError] renders either as the contract's envelope:
//
//	{"error": "…", "code": "…", "fields": {"mobile_number": "…"}}
//
// Faults become a 500 whose body holds only a generic sentence and the code
// "internal", never the underlying error.
//
// # Bodies
//
// [Decode] accepts application/json, application/x-www-form-urlencoded and
// multipart/form-data on every POST, as Django REST framework does, with a
// size limit (413), a clear 400 for malformed JSON and a 415 for anything
// else. [Body] then hands out typed fields: strings must be JSON strings,
// integers may be JSON numbers or decimal strings.
//
// # Concurrency
//
// Everything in this package is safe for concurrent use. A [Body] belongs
// to one request.
package httpx
