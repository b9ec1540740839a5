package session

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Real User-Agent headers.
const (
	uaChromeWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	uaChromeAndroid  = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36"
	uaAndroidTablet  = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36"
	uaFirefoxTablet  = "Mozilla/5.0 (Android 14; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0"
	uaFirefoxAndroid = "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0"
	uaIPad           = "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
	uaIPhone         = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
	uaChromeIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1"
	uaSafariMac      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15"
	uaFirefoxUbuntu  = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
	uaChromeLinux    = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	uaEdgeWindows    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"
	uaFirefoxWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
	uaCurl           = "curl/8.5.0"
	uaGooglebot      = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	uaGooglebotPhone = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	uaBingbot        = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
	uaOkHTTP         = "okhttp/4.12.0"
	uaPythonRequests = "python-requests/2.31.0"
	uaSamsungPhone   = "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"
	uaAndroidWebView = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36"
)

func TestParseUserAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ua   string
		want Device
	}{
		{"chrome on windows 10", uaChromeWindows, Device{"Desktop", "Chrome 120.0", "Windows 10"}},
		{"edge on windows", uaEdgeWindows, Device{"Desktop", "Edge 120.0", "Windows 10"}},
		{"firefox on windows", uaFirefoxWindows, Device{"Desktop", "Firefox 121.0", "Windows 10"}},
		{"chrome on an android phone", uaChromeAndroid, Device{"Mobile", "Chrome 120.0", "Android 14"}},
		{"firefox on an android phone", uaFirefoxAndroid, Device{"Mobile", "Firefox 121.0", "Android 14"}},
		{"chrome on an android tablet", uaAndroidTablet, Device{"Tablet", "Chrome 120.0", "Android 13"}},
		{"firefox on an android tablet", uaFirefoxTablet, Device{"Tablet", "Firefox 121.0", "Android 14"}},
		{"safari on an ipad", uaIPad, Device{"Tablet", "Safari 17.2", "iPadOS 17.2"}},
		{"safari on an iphone", uaIPhone, Device{"Mobile", "Safari 17.2", "iOS 17.2"}},
		{"chrome on an iphone", uaChromeIPhone, Device{"Mobile", "Chrome 120.0", "iOS 17.2"}},
		{"safari on a mac", uaSafariMac, Device{"Desktop", "Safari 17.2", "macOS 10.15.7"}},
		{"firefox on ubuntu", uaFirefoxUbuntu, Device{"Desktop", "Firefox 121.0", "Ubuntu"}},
		{"chrome on linux", uaChromeLinux, Device{"Desktop", "Chrome 120.0", "Linux"}},
		{"curl", uaCurl, Device{"Other", "curl 8.5", ""}},
		{"googlebot", uaGooglebot, Device{"Bot", "Googlebot 2.1", ""}},
		{"googlebot smartphone", uaGooglebotPhone, Device{Device: "Bot", Browser: "Googlebot 2.1"}},
		{"bingbot", uaBingbot, Device{Device: "Bot", Browser: "bingbot 2.0"}},
		{"okhttp", uaOkHTTP, Device{Device: "Other", Browser: "OkHttp 4.12"}},
		{"python requests", uaPythonRequests, Device{Device: "Other", Browser: "python-requests 2.31"}},
		{"samsung internet", uaSamsungPhone, Device{"Mobile", "Samsung Internet 23.0", "Android 14"}},
		{"android webview", uaAndroidWebView, Device{"Mobile", "Android WebView 120.0", "Android 14"}},
		{"edge on android", "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.0.0",
			Device{"Mobile", "Edge 120.0", "Android 14"}},
		{"an android app's http client", "Dalvik/2.1.0 (Linux; U; Android 14; SM-S918B Build/UP1A.231005.007)", Device{"Mobile", "Dalvik 2.1", "Android 14"}},
		{"silk on a fire tablet", "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.1 like Chrome/120.0.6099.230 Safari/537.36",
			Device{"Tablet", "Silk 120.3", "Android 9"}},
		{"instagram's in-app browser", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 312.0.0.32.112 (iPhone15,2; iOS 17_2; en_US)",
			Device{"Mobile", "Instagram 312.0", "iOS 17.2"}},
		{"chromebook", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", Device{"Desktop", "Chrome 120.0", "ChromeOS"}},
		{"windows touch laptop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Tablet PC 2.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			Device{"Desktop", "Chrome 120.0", "Windows 10"}},
		{"empty", "", Device{Device: "Other"}},
		{"blank", "   ", Device{Device: "Other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			equal(t, "ParseUserAgent", ParseUserAgent(tt.ua), tt.want)
		})
	}
}

// The browser label names the browser, never the operating system: Samsung
// Internet (the default browser of Samsung phones) and the Android WebView
// of in-app pages must not come out as "Android <version>".
// onlyOS is a browser label that is really the OS's name and a version.
var onlyOS = regexp.MustCompile(`^Android [0-9]`)

func TestParseUserAgentBrowserIsNotTheOS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ua   string
		want string // a substring of the browser label, "" for any
	}{
		{"samsung internet", uaSamsungPhone, "Samsung"},
		{"android webview", uaAndroidWebView, "Android WebView 120.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := ParseUserAgent(tt.ua)
			equal(t, "Device", d.Device, "Mobile")
			equal(t, "OS", d.OS, "Android 14")
			if onlyOS.MatchString(d.Browser) || !strings.Contains(d.Browser, tt.want) {
				t.Errorf("Browser = %q, want the browser's name (containing %q), not the OS's", d.Browser, tt.want)
			}
		})
	}
}

func TestMajorMinor(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"120.0.6099.144": "120.0",
		"17.2":           "17.2",
		"8":              "8",
		"":               "",
		"1.2.3":          "1.2",
	} {
		equal(t, "majorMinor("+in+")", majorMinor(in), want)
	}
}

func FuzzParseUserAgent(f *testing.F) {
	for _, ua := range []string{uaChromeWindows, uaIPad, uaCurl, uaGooglebot, uaSamsungPhone, "", "(", "Mozilla/5.0 (", "a/b/c (;;;) x/"} {
		f.Add(ua)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		d := ParseUserAgent(ua)
		switch d.Device {
		case "Desktop", "Mobile", "Tablet", "Bot", "Other":
		default:
			t.Fatalf("ParseUserAgent(%q).Device = %q", ua, d.Device)
		}
		if utf8.ValidString(ua) && !(utf8.ValidString(d.Browser) && utf8.ValidString(d.OS)) {
			t.Fatalf("ParseUserAgent(%q) = %+v: labels are not valid UTF-8", ua, d)
		}
	})
}
