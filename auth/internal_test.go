package auth

import (
	"strings"
	"testing"
	"time"
)

func TestNewCode(t *testing.T) {
	t.Parallel()
	for n := 3; n <= 10; n++ {
		seen := map[string]bool{}
		for range 200 {
			c := newCode(n)
			if len(c) != n || strings.Trim(c, "0123456789") != "" {
				t.Fatalf("newCode(%d) = %q", n, c)
			}
			seen[c] = true
		}
		if n >= 6 && len(seen) < 190 {
			t.Errorf("newCode(%d): only %d distinct codes of 200", n, len(seen))
		}
	}
}

// TestNewCodeDigitsUniform is a loose chi-square check that every digit
// position is uniform: a broken generator fails it, a fair one virtually
// never does (the bound is far in the tail).
func TestNewCodeDigitsUniform(t *testing.T) {
	t.Parallel()
	const samples = 20000
	var counts [8][10]int
	for range samples {
		for i, d := range newCode(8) {
			counts[i][d-'0']++
		}
	}
	for pos, c := range counts {
		var chi float64
		for _, n := range c {
			diff := float64(n) - samples/10
			chi += diff * diff / (samples / 10)
		}
		if chi > 50 { // 9 degrees of freedom; p < 1e-7
			t.Errorf("digit %d: chi-square %.1f, counts %v", pos, chi, c)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		n    int
		want string
		ok   bool
	}{
		{"12345678", 8, "12345678", true},
		{" 12345678\n", 8, "12345678", true},
		{"۱۲۳۴۵۶۷۸", 8, "12345678", true},
		{"١٢٣٤٥٦٧٨", 8, "12345678", true},
		{"۱۲۳4567۸", 8, "12345678", true},
		{"\u200e۱۲۳۴۵۶۷۸\u200f", 8, "12345678", true},
		{"1234567", 8, "", false},
		{"123456789", 8, "", false},
		{"1234 5678", 8, "", false},
		{"1234567a", 8, "", false},
		{"-1234567", 8, "", false},
		{"", 8, "", false},
		{"123", 3, "123", true},
	}
	for _, c := range cases {
		got, ok := normalizeCode(c.in, c.n)
		if got != c.want || ok != c.ok {
			t.Errorf("normalizeCode(%q, %d) = %q, %v; want %q, %v", c.in, c.n, got, ok, c.want, c.ok)
		}
	}
}

func TestHashCodeBindsTheNumber(t *testing.T) {
	t.Parallel()
	key := deriveCodeKey([]byte("0123456789abcdef0123456789abcdef"))
	a := hashCode(key, "09120000001", "1234")
	if string(a) == string(hashCode(key, "09120000002", "1234")) {
		t.Error("same hash for two numbers")
	}
	if string(a) == string(hashCode(deriveCodeKey([]byte("another secret of thirty-two b!!")), "09120000001", "1234")) {
		t.Error("same hash under two keys")
	}
	if string(a) != string(hashCode(key, "09120000001", "1234")) {
		t.Error("hash is not deterministic")
	}
	// The separator keeps "0912…1"+"23" apart from "0912…12"+"3".
	if string(hashCode(key, "0912000000", "11234")) == string(hashCode(key, "09120000001", "1234")) {
		t.Error("number and code run together")
	}
}

func TestWaitErrorSeconds(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {-time.Second, 0}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {4 * time.Minute, 240}} {
		if got := (&WaitError{Err: ErrCooldown, Wait: c.d}).Seconds(); got != c.want {
			t.Errorf("Seconds(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		h, want string
		ok      bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc ", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer a b", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"", "", false},
	} {
		got, ok := bearer(c.h)
		if got != c.want || ok != c.ok {
			t.Errorf("bearer(%q) = %q, %v; want %q, %v", c.h, got, ok, c.want, c.ok)
		}
	}
}
