package session

import (
	"strings"

	"github.com/mssola/useragent"
)

// Device is what a User-Agent header says about the client, as short labels.
type Device struct {
	Device  string // "Desktop", "Mobile", "Tablet", "Bot" or "Other"
	Browser string // name and major.minor version, e.g. "Chrome 120.0"
	OS      string // name and version, e.g. "Android 14", "iOS 17.2"
}

// ParseUserAgent derives the labels of a User-Agent header. Unknown parts
// are empty strings, and a client that names no operating system (curl, an
// HTTP library) is "Other".
func ParseUserAgent(s string) Device {
	if s == "" {
		return Device{Device: "Other"}
	}
	ua := useragent.New(s)
	var d Device
	name, version := ua.Browser()
	if n, v, ok := knownProduct(s); ok {
		name, version = n, v
	}
	if name != "" {
		d.Browser = strings.TrimSpace(name + " " + majorMinor(version))
	}
	d.OS = osLabel(ua)
	switch {
	case ua.Bot():
		d.Device = "Bot"
	case isTablet(ua, s):
		d.Device = "Tablet"
	case ua.Mobile() && d.OS != "":
		d.Device = "Mobile"
	case d.OS != "":
		d.Device = "Desktop"
	default:
		d.Device = "Other"
	}
	return d
}

func isTablet(ua *useragent.UserAgent, s string) bool {
	switch {
	case ua.Platform() == "iPad":
		return true
	case strings.Contains(s, "Tablet") && !strings.Contains(s, "Tablet PC"): // Tablet PC: Windows touch laptops
		return true
	case strings.HasPrefix(s, "Mozilla/") && strings.Contains(s, "Android") && !strings.Contains(s, "Mobile"):
		// Android tablet browsers leave "Mobile" out of their User-Agent
		// (apps' HTTP clients, such as Dalvik, never say it).
		return true
	}
	return false
}

// products are browsers the user-agent parser names after what they are
// built on (Samsung Internet comes out as "Android"), found by their own
// product token instead; the first one present wins.
var products = []struct{ token, name string }{
	{"SamsungBrowser/", "Samsung Internet"},
	{"YaBrowser/", "Yandex Browser"},
	{"EdgA/", "Edge"},
	{"EdgiOS/", "Edge"},
	{"Silk/", "Silk"},
	{"FBAV/", "Facebook"},
	{"Instagram ", "Instagram"},
	{"Dalvik/", "Dalvik"},
}

// knownProduct finds a browser of products in s, or Android's WebView.
func knownProduct(s string) (name, version string, ok bool) {
	for _, p := range products {
		if i := strings.Index(s, p.token); i >= 0 {
			return p.name, versionAt(s[i+len(p.token):]), true
		}
	}
	if strings.Contains(s, "; wv)") {
		if i := strings.Index(s, "Chrome/"); i >= 0 {
			return "Android WebView", versionAt(s[i+len("Chrome/"):]), true
		}
	}
	return "", "", false
}

// versionAt returns the version at the start of s: up to the first space,
// semicolon or parenthesis.
func versionAt(s string) string {
	if i := strings.IndexAny(s, " ;()"); i >= 0 {
		s = s[:i]
	}
	return s
}

func osLabel(ua *useragent.UserAgent) string {
	info := ua.OSInfo()
	name, version := info.Name, info.Version
	switch {
	case name == "iPhone OS":
		name = "iOS"
	case name == "OS" && ua.Platform() == "iPad":
		name = "iPadOS"
	case name == "Mac OS X":
		name = "macOS"
	case strings.HasPrefix(name, "CrOS"):
		return "ChromeOS"
	case name == "":
		return ""
	}
	return strings.TrimSpace(name + " " + version)
}

// majorMinor keeps the first two dot-separated parts of a version.
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, ".")
}
