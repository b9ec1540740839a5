package auth_test

import (
	"context"
	"fmt"
	"net/http"

	"gorm.io/driver/sqlite"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms/smstest"
	"github.com/chelseru/chelseru-go/store"
)

// Business code can drive a login without HTTP: send the code, then
// verify what the user typed.
func Example() {
	ctx := context.Background()
	st, err := store.Open(sqlite.Open("file:auth-example?mode=memory"), store.Config{})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		panic(err)
	}
	sessions, _ := session.New(session.Config{Store: st})
	phone := &smstest.Recorder{} // stands in for a real provider
	authn, err := auth.New(auth.Config{
		Secret:   []byte("an HS256 secret of at least 32 bytes"),
		Users:    st,
		Codes:    st,
		Sessions: sessions,
		Sender:   phone,
	})
	if err != nil {
		panic(err)
	}

	if err := authn.SendCode(ctx, "+98 912 000 0001"); err != nil {
		panic(err)
	}
	sent, _ := phone.Last()
	login, err := authn.Verify(ctx, auth.VerifyRequest{Mobile: "09120000001", Code: smstest.Code(sent.Text)})
	if err != nil {
		panic(err)
	}
	fmt.Println(sent.To, login.User.Username, login.Created)
	// Output: 09120000001 G0-09120000001 true
}

// Require protects a host's own handler; UserFrom reads the caller.
func ExampleService_Require() {
	var authn *auth.Service // built with auth.New
	mux := http.NewServeMux()
	mux.Handle("GET /me", authn.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		fmt.Fprintf(w, "hello %s", u.Username)
	})))
	_ = http.ListenAndServe(":8080", mux)
}
