package session_test

import (
	"fmt"

	"github.com/chelseru/chelseru-go/session"
)

func ExampleParseUserAgent() {
	for _, ua := range []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
		"Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
		"curl/8.5.0",
	} {
		d := session.ParseUserAgent(ua)
		fmt.Printf("%q\n", []string{d.Device, d.Browser, d.OS})
	}
	// Output:
	// ["Desktop" "Chrome 120.0" "Windows 10"]
	// ["Mobile" "Chrome 120.0" "Android 14"]
	// ["Tablet" "Safari 17.2" "iPadOS 17.2"]
	// ["Other" "curl 8.5" ""]
}
