// Command sendsms sends one SMS from the command line through a provider,
// configured the way examples/server is:
//
//	KAVENEGAR_API_KEY=… go run ./examples/sendsms -sms-provider kavenegar -to 09120000001 -text "Hello"
//	go run ./examples/sendsms -to 09120000001 -template otp -params 1234
//
// Flags fall back to variables by the one rule, -some-name ⇔
// CHELSERU_SOME_NAME; credentials are read from variables only (see
// examples/server). It prints the receipt, or the provider's error and
// its kind, and exits 1 on failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/chelseru/chelseru-go/examples/internal/smsconfig"
	"github.com/chelseru/chelseru-go/sms"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sendsms:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sendsms", flag.ContinueOnError)
	fs.SetOutput(stderr)
	provider := fs.String("sms-provider", "console", "SMS provider: "+strings.Join(smsconfig.Providers, ", "))
	baseURL := fs.String("sms-base-url", "", "the provider's endpoint (default: the provider's own)")
	to := fs.String("to", "", "the receiver's mobile number (required)")
	text := fs.String("text", "", "the text to send")
	template := fs.String("template", "", "a template id or name, instead of -text")
	params := fs.String("params", "", "the template's values, separated by ;")
	templates := fs.String("sms-templates", "", `template names and ids, "T1=100,T2=200"`)
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var ferr error
	fs.VisitAll(func(f *flag.Flag) {
		env := "CHELSERU_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" && !given[f.Name] && ferr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				ferr = fmt.Errorf("%s: %w", env, err)
			}
		}
	})
	if ferr != nil {
		return ferr
	}
	if *to == "" || (*text == "") == (*template == "") {
		fs.Usage()
		return errors.New("give -to and one of -text or -template")
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	s, err := smsconfig.Sender(*provider, *baseURL, getenv, logger)
	if err != nil {
		return err
	}
	names, err := smsconfig.ParseTemplates(*templates)
	if err != nil {
		return err
	}
	m := sms.Message{To: *to, Text: *text, Template: *template}
	if *template != "" && *params != "" {
		m.Params = strings.Split(*params, ";")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	r, err := sms.WithTemplates(s, names).Send(ctx, m)
	if err != nil {
		var perr *sms.ProviderError
		if errors.As(err, &perr) {
			return fmt.Errorf("%w (kind: %v)", err, perr.Kind)
		}
		return err
	}
	fmt.Fprintf(stdout, "sent by %s: message id %q, %d part(s)\n", r.Provider, r.MessageID, r.Parts)
	return nil
}
