package session

import (
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func prefixes(t *testing.T, s ...string) []netip.Prefix {
	t.Helper()
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies := prefixes(t, "10.0.0.0/8", "127.0.0.1/32", "::1/128", "2001:db8:ffff::/48")
	tests := []struct {
		name    string
		remote  string
		xff     []string // X-Forwarded-For headers, in order
		trusted []netip.Prefix
		want    string
	}{
		{name: "no trusted proxies ignores xff", remote: "203.0.113.9:5555", xff: []string{"1.2.3.4"}, want: "203.0.113.9"},
		{name: "untrusted peer ignores xff", remote: "203.0.113.9:5555", xff: []string{"1.2.3.4"}, trusted: proxies, want: "203.0.113.9"},
		{name: "untrusted peer spoofing a trusted hop", remote: "203.0.113.9:5555", xff: []string{"10.0.0.1"}, trusted: proxies, want: "203.0.113.9"},
		{name: "ipv6 loopback peer", remote: "[::1]:1234", want: "::1"},
		{name: "ipv6 peer", remote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "ipv4-mapped peer is unmapped", remote: "[::ffff:203.0.113.9]:1234", want: "203.0.113.9"},
		{name: "trusted peer, one hop", remote: "10.0.0.2:80", xff: []string{"198.51.100.7"}, trusted: proxies, want: "198.51.100.7"},
		{name: "trusted peer, no xff", remote: "10.0.0.2:80", trusted: proxies, want: "10.0.0.2"},
		{name: "trusted peer, empty xff", remote: "10.0.0.2:80", xff: []string{""}, trusted: proxies, want: "10.0.0.2"},
		{name: "right-most untrusted entry wins", remote: "10.0.0.2:80",
			xff: []string{"6.6.6.6, 198.51.100.7, 10.0.0.3"}, trusted: proxies, want: "198.51.100.7"},
		{name: "several headers", remote: "10.0.0.2:80",
			xff: []string{"6.6.6.6", "198.51.100.7, 10.0.0.5", "10.0.0.4"}, trusted: proxies, want: "198.51.100.7"},
		{name: "spaces around entries", remote: "10.0.0.2:80",
			xff: []string{"  198.51.100.7  ,10.0.0.3 "}, trusted: proxies, want: "198.51.100.7"},
		{name: "all hops trusted gives the left-most", remote: "10.0.0.2:80",
			xff: []string{"10.0.0.9, 10.0.0.8", "127.0.0.1"}, trusted: proxies, want: "10.0.0.9"},
		{name: "garbage stops at the last trusted hop", remote: "10.0.0.2:80",
			xff: []string{"198.51.100.7, garbage, 10.0.0.3"}, trusted: proxies, want: "10.0.0.3"},
		{name: "right-most garbage gives the peer", remote: "10.0.0.2:80",
			xff: []string{"198.51.100.7, not-an-ip"}, trusted: proxies, want: "10.0.0.2"},
		{name: "garbage in a later header", remote: "10.0.0.2:80",
			xff: []string{"198.51.100.7", "10.0.0.3, <script>"}, trusted: proxies, want: "10.0.0.2"},
		{name: "empty entry stops the walk", remote: "10.0.0.2:80",
			xff: []string{"198.51.100.7,, 10.0.0.3"}, trusted: proxies, want: "10.0.0.3"},
		{name: "entry with a port is malformed", remote: "10.0.0.2:80",
			xff: []string{"198.51.100.7:4711"}, trusted: proxies, want: "10.0.0.2"},
		{name: "ipv4-mapped entry is unmapped", remote: "10.0.0.2:80",
			xff: []string{"::ffff:198.51.100.7"}, trusted: proxies, want: "198.51.100.7"},
		{name: "ipv4-mapped trusted hop", remote: "10.0.0.2:80",
			xff: []string{"198.51.100.7, ::ffff:10.0.0.3"}, trusted: proxies, want: "198.51.100.7"},
		{name: "ipv4-mapped trusted peer", remote: "[::ffff:10.0.0.2]:80",
			xff: []string{"198.51.100.7"}, trusted: proxies, want: "198.51.100.7"},
		{name: "ipv6 proxy and client", remote: "[2001:db8:ffff::1]:443",
			xff: []string{"2001:db8:1::5"}, trusted: proxies, want: "2001:db8:1::5"},
		{name: "loopback proxy", remote: "127.0.0.1:9000",
			xff: []string{"198.51.100.7"}, trusted: proxies, want: "198.51.100.7"},
		{name: "ipv6 loopback proxy", remote: "[::1]:9000",
			xff: []string{"2001:db8:1::5"}, trusted: proxies, want: "2001:db8:1::5"},
		{name: "remote addr without port", remote: "203.0.113.9", want: "203.0.113.9"},
		{name: "ipv6 remote addr without port", remote: "2001:db8::1", want: "2001:db8::1"},
		{name: "trusted remote addr without port", remote: "10.0.0.2",
			xff: []string{"198.51.100.7"}, trusted: proxies, want: "198.51.100.7"},
		{name: "empty remote addr", remote: "", xff: []string{"198.51.100.7"}, trusted: proxies, want: ""},
		{name: "unparsable remote addr", remote: "@pipe", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			equal(t, "ClientIP", ClientIP(r, tt.trusted), tt.want)
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string // nil for a nil result
	}{
		{"10.0.0.0/8, 127.0.0.1", []string{"10.0.0.0/8", "127.0.0.1/32"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
		{"192.168.1.7", []string{"192.168.1.7/32"}},
		{"::1", []string{"::1/128"}},
		{"2001:db8::/32,2001:db8:1::5", []string{"2001:db8::/32", "2001:db8:1::5/128"}},
		{"2001:db8:1:2::5/48", []string{"2001:db8:1::/48"}},
		{"::ffff:127.0.0.1", []string{"127.0.0.1/32"}},
		{"  10.0.0.0/8 ,, 192.168.0.0/16 ,", []string{"10.0.0.0/8", "192.168.0.0/16"}},
		{"0.0.0.0/0", []string{"0.0.0.0/0"}},
		{"", nil},
		{" , ,", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTrustedProxies(tt.in)
			noError(t, err)
			if tt.want == nil {
				if got != nil {
					t.Errorf("ParseTrustedProxies(%q) = %v, want nil", tt.in, got)
				}
				return
			}
			var s []string
			for _, p := range got {
				if !p.IsValid() {
					t.Errorf("invalid prefix %v", p)
				}
				s = append(s, p.String())
			}
			if !slices.Equal(s, tt.want) {
				t.Errorf("ParseTrustedProxies(%q) = %v, want %v", tt.in, s, tt.want)
			}
		})
	}
}

func TestParseTrustedProxiesErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"abc", "10.0.0.0/33", "10.0.0.0/", "/8", "10.0.0.0/8, x", "10.0.0.256", "10.0.0.0 /8", "[::1]", "10.0.0.1:80", "localhost"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTrustedProxies(in)
			if err == nil {
				t.Errorf("ParseTrustedProxies(%q) = %v, want an error", in, got)
			}
			if got != nil {
				t.Errorf("ParseTrustedProxies(%q) returned %v with its error", in, got)
			}
		})
	}
}

func TestParseTrustedProxiesFeedsClientIP(t *testing.T) {
	t.Parallel()
	trusted, err := ParseTrustedProxies("10.0.0.0/8, ::1")
	noError(t, err)
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[::1]:5000"
	r.Header.Set("X-Forwarded-For", "198.51.100.7, 10.9.8.7")
	equal(t, "ClientIP", ClientIP(r, trusted), "198.51.100.7")
	cfg := Config{Store: newMemStore(), TrustedProxies: trusted}
	noError(t, cfg.Validate())
}

func TestServiceClient(t *testing.T) {
	t.Parallel()
	trusted := prefixes(t, "10.0.0.0/8")
	s, err := New(Config{Store: newMemStore(), TrustedProxies: trusted})
	noError(t, err)
	trusted[0] = netip.MustParsePrefix("0.0.0.0/0") // New keeps its own copy

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:80"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	r.Header.Set("User-Agent", "curl/8.5.0")
	equal(t, "Client", s.Client(r), Client{UserAgent: "curl/8.5.0", IP: "198.51.100.7"})

	r = httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "203.0.113.9:80"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	equal(t, "Client of an untrusted peer", s.Client(r), Client{IP: "203.0.113.9"})

	r.Header.Set("User-Agent", strings.Repeat("a", 2000))
	equal(t, "long user agent", s.Client(r).UserAgent, strings.Repeat("a", maxUserAgent))
}

// A User-Agent cut at the length limit must stay valid UTF-8: it is stored
// in a text column, and PostgreSQL rejects invalid UTF-8.
func TestServiceClientCutsUserAgentOnRuneBoundary(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Store: newMemStore()})
	noError(t, err)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", strings.Repeat("a", maxUserAgent-1)+"é and more")
	ua := s.Client(r).UserAgent
	if len(ua) > maxUserAgent {
		t.Errorf("len(UserAgent) = %d, want at most %d", len(ua), maxUserAgent)
	}
	if !utf8.ValidString(ua) {
		t.Errorf("UserAgent ends in %q: not valid UTF-8", ua[len(ua)-3:])
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.2:80", "198.51.100.7, 10.0.0.3", "10.0.0.0/8")
	f.Add("[::ffff:10.0.0.2]:80", "::ffff:198.51.100.7,garbage", "10.0.0.0/8, ::1")
	f.Add("203.0.113.9", "", "")
	f.Add("", ",,", "0.0.0.0/0")
	f.Fuzz(func(t *testing.T, remote, xff, trusted string) {
		proxies, err := ParseTrustedProxies(trusted)
		if err != nil {
			return
		}
		for _, p := range proxies {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("ParseTrustedProxies(%q) holds %v", trusted, p)
			}
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := ClientIP(r, proxies)
		if got != "" {
			if _, err := netip.ParseAddr(got); err != nil {
				t.Fatalf("ClientIP = %q: not an address", got)
			}
		}
		// Without trusted proxies the header never matters.
		peer := ClientIP(r, nil)
		r.Header.Del("X-Forwarded-For")
		equal(t, "ClientIP without the header", ClientIP(r, nil), peer)
		if !contains(proxies, peerAddr(remote)) {
			equal(t, "ClientIP of an untrusted peer", got, peer)
		}
	})
}

func TestParseTrustedProxiesMappedRange(t *testing.T) {
	t.Parallel()
	ps, err := ParseTrustedProxies("::ffff:10.0.0.0/104")
	if err != nil || len(ps) != 1 || ps[0].String() != "10.0.0.0/8" {
		t.Fatalf("got %v, %v; want 10.0.0.0/8", ps, err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:80"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := ClientIP(r, ps); got != "203.0.113.9" {
		t.Errorf("ClientIP = %q", got)
	}
}
