// Command server is the example chelseru-go server: phone-number login
// with one-time SMS codes, JWT access and refresh tokens and per-device
// sessions, mounted under one prefix.
//
//	go run ./examples/server
//
// serves on :8000 with a SQLite file (chelseru.db), the console SMS
// provider (codes are printed to this log) and a random JWT secret. Every
// flag has an environment fallback: -some-name ⇔ CHELSERU_SOME_NAME.
//
//	-addr             listen address (default ":8000")
//	-db               a SQLite file, or a PostgreSQL DSN: postgres://… or host=… dbname=… (default "chelseru.db")
//	-jwt-secret       HS256 secret, at least 32 bytes (default: random, with a warning)
//	-prefix           where the API is mounted (default "/api/")
//	-trusted-proxies  comma-separated CIDRs whose X-Forwarded-For is believed
//	-sms-provider     console, kavenegar, melipayamak, parsian, smsir, ghasedak or webhook (default "console")
//	-sms-base-url     the provider's endpoint, for sandboxes and fakes (default: the provider's own)
//	-otp-template     send codes through this template (an id, or a name of -sms-templates); plain text when empty
//	-sms-templates    template names and ids, "T1=100,T2=200", as django-chelseru's TEMPLATES
//	-staff            comma-separated mobile numbers whose users are staff (may use message/send/)
//	-rate-limits      "off" turns the message/send/ limit and the chat's per-socket rate off (development, benchmarks) (default "on")
//	-broker           memory, redis://host:port/db, or postgres (the -db database) (default "memory")
//	-allowed-origins  comma-separated Origin hosts (path.Match patterns) whose browsers may open chat sockets, beside the server's own
//
// Provider credentials come from variables only: KAVENEGAR_API_KEY,
// KAVENEGAR_SENDER, MELIPAYAMAK_USERNAME, MELIPAYAMAK_PASSWORD,
// MELIPAYAMAK_FROM, PARSIAN_API_KEY, SMSIR_API_KEY, SMSIR_LINE_NUMBER,
// GHASEDAK_API_KEY, CHELSERU_SMS_WEBHOOK_URL and
// CHELSERU_SMS_WEBHOOK_SECRET.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/chelseru/chelseru-go/auth"
	"github.com/chelseru/chelseru-go/chat"
	"github.com/chelseru/chelseru-go/chat/pgbroker"
	"github.com/chelseru/chelseru-go/chat/redisbroker"
	"github.com/chelseru/chelseru-go/examples/internal/smsconfig"
	"github.com/chelseru/chelseru-go/httpx"
	"github.com/chelseru/chelseru-go/session"
	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/smsapi"
	"github.com/chelseru/chelseru-go/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		logger.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

// options are the server's settings.
type options struct {
	addr           string
	db             string
	jwtSecret      string
	prefix         string
	trustedProxies string
	smsProvider    string
	smsBaseURL     string
	otpTemplate    string
	smsTemplates   string
	staff          string
	rateLimits     string
	broker         string
	allowedOrigins string
}

// parseFlags reads the flags, falling back to CHELSERU_* variables for
// every flag not given on the command line.
func parseFlags(args []string, getenv func(string) string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.addr, "addr", ":8000", "listen address")
	fs.StringVar(&o.db, "db", "chelseru.db", "a SQLite file, or a postgres:// DSN")
	fs.StringVar(&o.jwtSecret, "jwt-secret", "", "HS256 secret, at least 32 bytes (default: random; tokens die with the process)")
	fs.StringVar(&o.prefix, "prefix", "/api/", "where the API is mounted")
	fs.StringVar(&o.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is believed")
	fs.StringVar(&o.smsProvider, "sms-provider", "console", "SMS provider: "+strings.Join(smsconfig.Providers, ", "))
	fs.StringVar(&o.smsBaseURL, "sms-base-url", "", "the SMS provider's endpoint, for sandboxes and fakes (default: the provider's own)")
	fs.StringVar(&o.otpTemplate, "otp-template", "", "send codes through this template id or name (plain text when empty)")
	fs.StringVar(&o.smsTemplates, "sms-templates", "", `template names and ids, "T1=100,T2=200"`)
	fs.StringVar(&o.staff, "staff", "", "comma-separated mobile numbers whose users are staff")
	fs.StringVar(&o.rateLimits, "rate-limits", "on", `"off" turns the message/send/ limit and the chat's socket rate off`)
	fs.StringVar(&o.broker, "broker", "memory", "chat broker: memory, redis://host:port/db, or postgres (the -db database)")
	fs.StringVar(&o.allowedOrigins, "allowed-origins", "", "comma-separated Origin hosts that may open chat sockets, beside the server's own")
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: server [flags]\n\nEvery flag -some-name falls back to the variable CHELSERU_SOME_NAME.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := "CHELSERU_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" && !given[f.Name] && err == nil {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s: %w", env, serr)
			}
		}
	})
	return o, err
}

// run serves until ctx is done. ready, when not nil, receives the bound
// address once the server listens.
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger, ready chan<- string) error {
	o, err := parseFlags(args, getenv, os.Stderr)
	if err != nil {
		return err
	}
	// Settings are checked before anything is opened or created.
	if !slices.Contains(smsconfig.Providers, o.smsProvider) {
		return fmt.Errorf("-sms-provider %q: want one of %s", o.smsProvider, strings.Join(smsconfig.Providers, ", "))
	}
	if o.rateLimits != "on" && o.rateLimits != "off" {
		return fmt.Errorf("-rate-limits %q: want on or off", o.rateLimits)
	}
	if o.broker == "postgres" && !isPostgres(o.db) {
		return errors.New("-broker postgres uses the -db database, which must then be PostgreSQL")
	}
	if o.broker != "memory" && o.broker != "postgres" && !strings.HasPrefix(o.broker, "redis://") && !strings.HasPrefix(o.broker, "rediss://") {
		return fmt.Errorf("-broker %q: want memory, redis://host:port/db or postgres", o.broker)
	}

	db, err := openDB(o.db)
	if err != nil {
		return err
	}
	st, err := store.New(db, store.Config{})
	if err != nil {
		return err
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}()
	if err := st.Migrate(ctx); err != nil {
		return err
	}

	secret := []byte(o.jwtSecret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		logger.Warn("no -jwt-secret (CHELSERU_JWT_SECRET) given: using a random one; every token dies with this process")
	}
	proxies, err := session.ParseTrustedProxies(o.trustedProxies)
	if err != nil {
		return fmt.Errorf("-trusted-proxies: %w", err)
	}
	provider, err := smsconfig.Sender(o.smsProvider, o.smsBaseURL, getenv, logger)
	if err != nil {
		return err
	}
	if o.smsProvider == "console" {
		logger.Warn("SMS provider is console: messages are only written to this log (development only)")
	}
	templates, err := smsconfig.ParseTemplates(o.smsTemplates)
	if err != nil {
		return fmt.Errorf("-sms-templates: %w", err)
	}
	// Template names become the provider's ids; temporary failures are
	// tried again; every send goes into the SMS log.
	sender := sms.WithLog(sms.Retry(sms.WithTemplates(provider, templates), sms.RetryConfig{}), st, logger)
	staff, err := markStaff(ctx, st, o.staff)
	if err != nil {
		return err
	}
	sessions, err := session.New(session.Config{Store: st, TrustedProxies: proxies, Logger: logger})
	if err != nil {
		return err
	}
	authn, err := auth.New(auth.Config{
		Secret:      secret,
		Users:       st,
		Codes:       st,
		Sessions:    sessions,
		Sender:      sender,
		OTPTemplate: o.otpTemplate,
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	perHour := 0 // the default
	if o.rateLimits == "off" {
		perHour = -1
	}
	messages, err := smsapi.New(smsapi.Config{
		Auth:    authn,
		Sender:  sender,
		Limiter: st,
		PerHour: perHour,
		Allow:   func(_ context.Context, u auth.User) bool { return u.IsStaff || staff[u.MobileNumber] },
		Logger:  logger,
	})
	if err != nil {
		return err
	}

	broker, err := openBroker(o.broker, o.db)
	if err != nil {
		return err
	}
	chatCfg := chat.Config{Auth: authn, Store: st, Users: st, Broker: broker, Logger: logger, AllowedOrigins: splitList(o.allowedOrigins)}
	if o.rateLimits == "off" {
		chatCfg.Rate = -1
	}
	rooms, err := chat.New(chatCfg)
	if err != nil {
		return err
	}
	chatCtx, stopChat := context.WithCancel(context.Background())
	defer stopChat()
	chatDone := make(chan error, 1)
	go func() { chatDone <- rooms.Run(chatCtx) }()

	// The API is all this server serves, so the router is the whole
	// handler: every path, even outside the prefix, gets a JSON answer
	// (a ServeMux would redirect /api to /api/ and clean // with a 307).
	api := httpx.Router(o.prefix, authn, messages, rooms)

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           httpx.Recover(logger)(logRequests(logger, api)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	logger.Info("serving", "addr", ln.Addr().String(), "api", o.prefix, "db", describeDB(o.db), "sms", o.smsProvider, "broker", describeBroker(o.broker))
	if ready != nil {
		ready <- ln.Addr().String()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	// Chat sockets are not the HTTP server's any more: end them with 1001.
	err = errors.Join(err, rooms.Close(shutdownCtx))
	stopChat()
	<-chatDone
	return err
}

// openBroker makes the chat broker of -broker.
func openBroker(name, db string) (chat.Broker, error) {
	switch {
	case name == "memory":
		return chat.NewMemoryBroker(), nil
	case name == "postgres":
		return pgbroker.New(pgbroker.Config{DSN: db})
	default:
		opts, err := redis.ParseURL(name)
		if err != nil {
			return nil, fmt.Errorf("-broker: %w", err)
		}
		return redisbroker.New(redisbroker.Config{Client: redis.NewClient(opts)})
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// markStaff makes the users of the numbers in list staff, and returns the
// numbers, so that users who log in later are staff too.
func markStaff(ctx context.Context, st *store.Store, list string) (map[string]bool, error) {
	staff := map[string]bool{}
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		m, err := sms.ParseMobile(f)
		if err != nil {
			return nil, fmt.Errorf("-staff: %w", err)
		}
		staff[m.String()] = true
		if _, err := st.SetStaff(ctx, m.String(), true); err != nil {
			return nil, err
		}
	}
	return staff, nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") ||
		strings.Contains(dsn, "host=") || strings.Contains(dsn, "dbname=") // key=value DSNs
}

// openDB opens a PostgreSQL DSN (postgres://… or host=… dbname=…) with the
// pgx driver, and a file name, or a file: URI, as a SQLite database.
func openDB(dsn string) (*gorm.DB, error) {
	// gorm stays quiet: its statement logs would show phone numbers.
	cfg := &gorm.Config{Logger: logger.Discard}
	if i := strings.Index(dsn, "://"); i > 0 && !isPostgres(dsn) {
		return nil, fmt.Errorf("-db: a %s URL is neither a SQLite file nor a PostgreSQL DSN", dsn[:i])
	}
	if isPostgres(dsn) {
		db, err := gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return db, nil
	}
	db, err := gorm.Open(sqlite.Open(dsn), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	return db, nil
}

// describeDB names the database without its password.
func describeDB(dsn string) string {
	if !isPostgres(dsn) {
		return "sqlite:" + dsn
	}
	if i := strings.Index(dsn, "@"); i >= 0 {
		if j := strings.Index(dsn, "://"); j >= 0 && j < i {
			return dsn[:j+3] + "…" + dsn[i:]
		}
	}
	return dsn
}

// describeBroker names the chat broker without a password.
func describeBroker(b string) string {
	if u, err := url.Parse(b); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return b
}

// logRequests logs one line per request: method, path (never the query,
// which may hold a token), status and duration.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rw, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rw.status), slog.Duration("took", time.Since(start)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
