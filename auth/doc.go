// Package auth logs users in with one-time codes sent by SMS and keeps
// them logged in with JWTs: it is the otp/send/, authenticate/,
// token/refresh/ and sessions/ endpoints of django-chelseru's API, plus
// the middleware that protects a host's own handlers.
//
// # Codes
//
// [Service.SendCode] draws a code of Config.CodeLength digits from
// crypto/rand, stores only its HMAC (under a key derived from the JWT
// secret unless Config.CodeKey is set), and sends it through the
// configured sms.Sender. A new code replaces the number's previous one.
// While the newest code is unused and younger than the resend interval,
// another send is refused with [ErrCooldown] (409 over HTTP). When the
// provider fails, the code is discarded so the user may ask again at once.
//
// [Service.Verify] compares the hash in constant time, marks the code used
// with one conditional statement (of any number of concurrent requests
// with the right code exactly one wins), creates the user on first login,
// and starts a session. Wrong, expired and used codes get the same
// [ErrInvalidCode]; after Config.MaxAttempts wrong tries the code is
// burned ([ErrTooManyAttempts], 429) until a new one is sent.
//
// # Tokens
//
// Tokens are HS256 JWTs with the claims sub, user_id, sid, token_type,
// jti, iat, exp, iss and aud. Only HS256 is accepted ("none" and every
// algorithm switch are refused), iss, aud, exp and iat are checked, and
// access and refresh tokens cannot stand in for each other. Each login's
// refresh token rotates on [Service.Refresh]; the rotated-out token
// returns the very same new pair within Config.RefreshGrace, and after it
// is treated as stolen: the session is revoked ([ErrTokenReused]).
//
// # Middleware
//
// [Service.Require] checks "Authorization: Bearer <access token>", makes
// sure the token's session is live, and puts the [Identity] in the
// request context:
//
//	mux.Handle("GET /me", authn.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		u, _ := auth.UserFrom(r.Context())
//		fmt.Fprintln(w, u.Username)
//	})))
//
// A session check is trusted for Config.SessionCheckInterval, so the
// middleware costs no database round trip on most requests; a session
// revoked on this instance stops working at once, on other instances
// within that interval.
//
// # Mounting
//
// [Service.Routes] lists the endpoints for httpx.Router, which mounts them
// under a prefix; [Service.Handler] serves them rooted at "/".
//
// # Concurrency
//
// A Service is safe for concurrent use. The stores it is given must be
// too, and must make their conditional methods atomic (see [Codes]).
package auth
