package sms

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxMobileInput bounds the input ParseMobile looks at: the longest accepted
// form, written with Persian digits (2 bytes each) and generous separators,
// stays well below it.
const maxMobileInput = 64

// maxDigits is the digit count of the longest accepted form, 00989XXXXXXXXX.
const maxDigits = 14

// maskedInvalid is what a malformed number logs as.
const maskedInvalid = "***"

// Mobile is an Iranian mobile number in its canonical national form
// "09XXXXXXXXX", as returned by [ParseMobile]. Its String method returns that
// form; when logged with log/slog it masks the middle digits.
//
// A Mobile made by conversion (Mobile("…")) instead of ParseMobile may be
// malformed; its E164 is then "" and it logs as "***".
type Mobile string

// ParseMobile parses an Iranian mobile number and returns it in canonical
// form. It accepts
//
//	09XXXXXXXXX  +989XXXXXXXXX  00989XXXXXXXXX  989XXXXXXXXX  9XXXXXXXXX
//
// with any Unicode spaces, dashes, parentheses and invisible format
// characters (direction marks, joiners) anywhere, and with
// Persian (U+06F0–U+06F9) or Arabic-Indic (U+0660–U+0669) digits as well as
// ASCII ones. A '+' may only come before every digit. After the country code
// or the trunk 0, the number must start with 9 (a mobile, not a landline).
// Input longer than 64 bytes is refused without being read.
//
// Errors wrap [ErrInvalidNumber] and never quote the input, which may be a
// phone number.
func ParseMobile(s string) (Mobile, error) {
	if s == "" {
		return "", invalid("empty")
	}
	if len(s) > maxMobileInput {
		return "", invalid(fmt.Sprintf("longer than %d bytes", maxMobileInput))
	}

	var d [maxDigits]byte
	n := 0
	plus := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			return "", invalid("not valid UTF-8")
		case isMobileSeparator(r):
			continue
		case r == '+':
			if plus || n > 0 {
				return "", invalid("'+' is only allowed before the digits")
			}
			plus = true
			continue
		}
		b, ok := asciiDigit(r)
		if !ok {
			return "", invalid("a character that is no digit, space, dash or parenthesis")
		}
		if n == maxDigits {
			return "", invalid("too many digits")
		}
		d[n] = b
		n++
	}
	digits := string(d[:n])

	var national string // ten digits, the number without 0, 98 or 0098
	switch {
	case n == 0:
		return "", invalid("no digits")
	case plus:
		if n != 12 || !strings.HasPrefix(digits, "98") {
			return "", invalid("after '+' want 98 and ten digits")
		}
		national = digits[2:]
	case n == 14 && strings.HasPrefix(digits, "0098"):
		national = digits[4:]
	case n == 12 && strings.HasPrefix(digits, "98"):
		national = digits[2:]
	case n == 11 && digits[0] == '0':
		national = digits[1:]
	case n == 10 && digits[0] != '0':
		national = digits
	case n < 11:
		return "", invalid("too few digits")
	default:
		return "", invalid(fmt.Sprintf("%d digits in no known layout", n))
	}
	if national[0] != '9' {
		return "", invalid("not a mobile number")
	}
	return Mobile("0" + national), nil
}

func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidNumber, reason)
}

// isMobileSeparator reports whether r may appear anywhere in a number
// without meaning anything: a Unicode space, a dash (Unicode category Pd,
// which includes the ASCII hyphen-minus) or a parenthesis.
func isMobileSeparator(r rune) bool {
	// Cf holds the invisible direction marks and joiners (U+200E, U+202A,
	// U+2066, U+200C, U+FEFF, …) that numbers copied out of right-to-left
	// text and phone contacts carry.
	return r == '(' || r == ')' || unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || unicode.Is(unicode.Cf, r)
}

// asciiDigit maps an ASCII, Persian or Arabic-Indic digit to its ASCII byte.
func asciiDigit(r rune) (byte, bool) {
	switch {
	case '0' <= r && r <= '9':
		return byte(r), true
	case '\u06F0' <= r && r <= '\u06F9':
		return byte('0' + r - '\u06F0'), true
	case '\u0660' <= r && r <= '\u0669':
		return byte('0' + r - '\u0660'), true
	}
	return 0, false
}

// String returns m in its canonical form, "09XXXXXXXXX".
func (m Mobile) String() string { return string(m) }

// E164 returns m in international E.164 form, "+989XXXXXXXXX", for providers
// that want it. It returns "" if m is not in canonical form.
func (m Mobile) E164() string {
	if !m.canonical() {
		return ""
	}
	return "+98" + string(m[1:])
}

// LogValue implements [slog.LogValuer]: phone numbers are masked in logs, so
// a Mobile logs as its first four and last four digits, "0912***0001".
// A malformed Mobile logs as "***".
func (m Mobile) LogValue() slog.Value {
	if !m.canonical() {
		return slog.StringValue(maskedInvalid)
	}
	return slog.StringValue(string(m[:4]) + "***" + string(m[7:]))
}

// canonical reports whether m is "09" followed by nine ASCII digits.
func (m Mobile) canonical() bool {
	if len(m) != 11 || m[0] != '0' || m[1] != '9' {
		return false
	}
	for i := 2; i < len(m); i++ {
		if m[i] < '0' || m[i] > '9' {
			return false
		}
	}
	return true
}

// NormalizeDigits returns s with every Persian (U+06F0–U+06F9) and
// Arabic-Indic (U+0660–U+0669) digit replaced by the ASCII digit of the same
// value. Every other byte, invalid UTF-8 included, is left as it is. Use it
// on one-time codes and other numeric input typed on a Persian keyboard.
func NormalizeDigits(s string) string {
	// Both digit blocks encode as two bytes starting with 0xD9 (U+0660–U+0669)
	// or 0xDB (U+06F0–U+06F9); without either byte there is nothing to do.
	if strings.IndexByte(s, 0xD9) < 0 && strings.IndexByte(s, 0xDB) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if d, ok := asciiDigit(r); ok && size == 2 {
			b.WriteByte(d)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
