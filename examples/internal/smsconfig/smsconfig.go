// Package smsconfig builds the SMS sender of the example programs from
// their flags and environment: the provider's name, an endpoint override,
// and the credentials, which are read from variables only (they are
// secrets).
package smsconfig

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/console"
	"github.com/chelseru/chelseru-go/sms/ghasedak"
	"github.com/chelseru/chelseru-go/sms/kavenegar"
	"github.com/chelseru/chelseru-go/sms/melipayamak"
	"github.com/chelseru/chelseru-go/sms/parsian"
	"github.com/chelseru/chelseru-go/sms/smsir"
	"github.com/chelseru/chelseru-go/sms/webhook"
)

// Providers are the names -sms-provider takes.
var Providers = []string{"console", "kavenegar", "melipayamak", "parsian", "smsir", "ghasedak", "webhook"}

// required are the variables a provider cannot start without.
var required = map[string][]string{
	"kavenegar":   {"KAVENEGAR_API_KEY"},
	"melipayamak": {"MELIPAYAMAK_USERNAME", "MELIPAYAMAK_PASSWORD"},
	"parsian":     {"PARSIAN_API_KEY"},
	"smsir":       {"SMSIR_API_KEY"},
	"ghasedak":    {"GHASEDAK_API_KEY"},
	"webhook":     {"CHELSERU_SMS_WEBHOOK_URL", "CHELSERU_SMS_WEBHOOK_SECRET"},
}

// Sender returns the sender of provider, configured from getenv, with
// baseURL (when not empty) as its endpoint. A missing credential is an
// error that names its variable.
func Sender(provider, baseURL string, getenv func(string) string, logger *slog.Logger) (sms.Sender, error) {
	if !slices.Contains(Providers, provider) {
		return nil, fmt.Errorf("-sms-provider %q: want one of %s", provider, strings.Join(Providers, ", "))
	}
	if provider == "webhook" && baseURL != "" {
		// -sms-base-url stands in for the webhook's URL.
		getenv = withDefault(getenv, "CHELSERU_SMS_WEBHOOK_URL", baseURL)
	}
	var missing []string
	for _, v := range required[provider] {
		if strings.TrimSpace(getenv(v)) == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("-sms-provider %s needs %s in the environment", provider, strings.Join(missing, " and "))
	}
	switch provider {
	case "console":
		return console.New(logger), nil
	case "kavenegar":
		return kavenegar.New(kavenegar.Config{APIKey: getenv("KAVENEGAR_API_KEY"), Sender: getenv("KAVENEGAR_SENDER"), BaseURL: baseURL})
	case "melipayamak":
		return melipayamak.New(melipayamak.Config{Username: getenv("MELIPAYAMAK_USERNAME"), Password: getenv("MELIPAYAMAK_PASSWORD"),
			From: getenv("MELIPAYAMAK_FROM"), BaseURL: baseURL})
	case "parsian":
		return parsian.New(parsian.Config{APIKey: getenv("PARSIAN_API_KEY"), BaseURL: baseURL})
	case "smsir":
		return smsir.New(smsir.Config{APIKey: getenv("SMSIR_API_KEY"), LineNumber: getenv("SMSIR_LINE_NUMBER"), BaseURL: baseURL})
	case "ghasedak":
		// GHASEDAK_LINE_NUMBER is not needed: the gateway sends a template
		// on the line it was set up with in the panel.
		return ghasedak.New(ghasedak.Config{APIKey: getenv("GHASEDAK_API_KEY"), BaseURL: baseURL})
	default: // webhook
		u := getenv("CHELSERU_SMS_WEBHOOK_URL")
		if baseURL != "" {
			u = baseURL
		}
		return webhook.New(webhook.Config{URL: u, Secret: getenv("CHELSERU_SMS_WEBHOOK_SECRET")})
	}
}

func withDefault(getenv func(string) string, name, value string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" || k != name {
			return v
		}
		return value
	}
}

// ParseTemplates reads "T1=100,T2=otp" into a map of template names to
// provider ids.
func ParseTemplates(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		name, id, ok := strings.Cut(kv, "=")
		name, id = strings.TrimSpace(name), strings.TrimSpace(id)
		if !ok || name == "" || id == "" {
			return nil, fmt.Errorf("template %q: want NAME=ID", kv)
		}
		out[name] = id
	}
	return out, nil
}
