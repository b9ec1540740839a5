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
	if name, version := ua.Browser(); name != "" {
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
	case ua.Platform() == "iPad", strings.Contains(s, "Tablet"):
		return true
	case strings.Contains(s, "Android") && !strings.Contains(s, "Mobile"):
		// Android tablets leave "Mobile" out of their User-Agent.
		return true
	}
	return false
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
