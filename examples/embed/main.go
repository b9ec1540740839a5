// Command embed is the README's example of a host application: its own
// mux and database, with chelseru-go's API mounted under /api/ and one
// handler of its own behind the authentication middleware. Keep it and
// the README's copy the same.
package main

import (
	"context"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms/console"
	"github.com/chelseru/chelseru-go/store"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	logger := slog.Default()
	db, err := gorm.Open(postgres.Open(os.Getenv("DATABASE_URL")), &gorm.Config{}) // your driver, your DB
	if err != nil {
		return err
	}
	st, err := store.New(db, store.Config{TablePrefix: "chelseru_"})
	if err != nil {
		return err
	}
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	sessions, err := session.New(session.Config{Store: st, Logger: logger})
	if err != nil {
		return err
	}
	authn, err := auth.New(auth.Config{
		Secret:   []byte(os.Getenv("JWT_SECRET")), // at least 32 bytes
		Users:    st,
		Codes:    st,
		Sessions: sessions,
		Sender:   console.New(logger), // a provider's client in production
		Logger:   logger,
	})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/api/", httpx.Router("/api/", authn)) // like include('drfchelseru.urls')
	mux.Handle("GET /me", authn.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		httpx.WriteJSON(w, http.StatusOK, u)
	})))
	srv := &http.Server{Addr: ":8080", Handler: httpx.Recover(logger)(mux), ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}
