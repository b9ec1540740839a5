package auth

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"unicode"

	"github.com/chelseru/chelseru-go/sms"
)

// newCode returns a uniformly random string of n decimal digits from
// crypto/rand.
func newCode(n int) string {
	mod := uint64(1)
	for range n {
		mod *= 10
	}
	// Reject the top of the uint64 range so every residue is equally likely.
	limit := ^uint64(0) - ^uint64(0)%mod
	var b [8]byte
	for {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		v := binary.BigEndian.Uint64(b[:])
		if v >= limit {
			continue
		}
		v %= mod
		digits := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			digits[i] = byte('0' + v%10)
			v /= 10
		}
		return string(digits)
	}
}

// deriveCodeKey derives the code-hashing key from the JWT secret.
func deriveCodeKey(secret []byte) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, "chelseru-go one-time code key", 32)
	if err != nil {
		panic("auth: hkdf: " + err.Error()) // only for lengths sha256 cannot give
	}
	return k
}

// hashCode returns the keyed hash under which a code for mobile is kept.
// Binding the number in means a leaked table row cannot be replayed for
// another number.
func hashCode(key []byte, mobile, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(mobile))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// normalizeCode accepts a code typed with ASCII, Persian or Arabic-Indic
// digits, with surrounding spaces and invisible format characters
// (direction marks a copy from right-to-left text brings along), and
// returns it in ASCII digits if it has exactly n of them and nothing else.
func normalizeCode(s string, n int) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = sms.NormalizeDigits(strings.TrimSpace(s))
	if len(s) != n {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}
