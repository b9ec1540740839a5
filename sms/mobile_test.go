package sms

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestParseMobileAccepts(t *testing.T) {
	t.Parallel()
	const want = Mobile("09120000001")
	tests := []struct {
		name, in string
	}{
		{"national", "09120000001"},
		{"e164", "+989120000001"},
		{"double zero", "00989120000001"},
		{"country code", "989120000001"},
		{"ten digits", "9120000001"},
		{"spaces", " 0912 000 0001 "},
		{"tab and newline", "\t0912\n0000001\r\n"},
		{"no-break space", "0912\u00a0000\u00a00001"},
		{"zero width space", "0912\u200b0000001"},
		{"left-to-right mark", "\u200e09120000001"},
		{"embedding marks around +98", "\u202a+98 912 000 0001\u202c"},
		{"isolates", "\u2066+989120000001\u2069"},
		{"byte-order mark", "\ufeff09120000001"},
		{"arabic letter mark", "\u061c۰۹۱۲۰۰۰۰۰۰۱"},
		{"narrow no-break and ideographic space", "0912\u202f000\u30000001"},
		{"dashes", "0912-000-0001"},
		{"unicode dashes", "0912\u2010000\u2013000\u20141"},
		{"parentheses", "(0912) 000 0001"},
		{"e164 spaced", "+98 (912) 000-0001"},
		{"space before plus", "  +989120000001"},
		{"space after plus", "+ 98 912 000 0001"},
		{"separators only between", "-(0)912-000-0001"},
		{"persian", withDigits("09120000001", '\u06f0')},
		{"arabic-indic", withDigits("09120000001", '\u0660')},
		{"persian e164", withDigits("+989120000001", '\u06f0')},
		{"persian double zero", withDigits("00989120000001", '\u06f0')},
		{"mixed digits", "۰۹۱۲" + "٠٠٠" + "0001"},
		{"persian spaced ten digits", withDigits("912 000 0001", '\u06f0')},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMobile(tt.in)
			noError(t, err)
			equal(t, "ParseMobile", got, want)
		})
	}
}

func TestParseMobileOtherNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Mobile
	}{
		{"09990000000", "09990000000"},
		{"+989359876543", "09359876543"},
		{"9012345678", "09012345678"},
		{"00989999999999", "09999999999"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMobile(tt.in)
			noError(t, err)
			equal(t, "ParseMobile", got, tt.want)
		})
	}
}

func TestParseMobileRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"only spaces", "   "},
		{"only separators", "-()-"},
		{"only plus", "+"},
		{"a digit short", "0912000000"},
		{"a digit over", "091200000012"},
		{"landline", "08120000001"},
		{"landline ten digits", "2188887777"},
		{"landline e164", "+982188887777"},
		{"landline double zero", "00982188887777"},
		{"landline country code", "982188887777"},
		{"plus national", "+09120000001"},
		{"plus double zero", "+00989120000001"},
		{"plus ten digits", "+9120000001"},
		{"plus other country", "+19120000001"},
		{"plus in the middle", "0912+0000001"},
		{"two pluses", "++989120000001"},
		{"plus at the end", "09120000001+"},
		{"country code and trunk zero", "+9809120000001"},
		{"double zero and trunk zero", "009809120000001"},
		{"other country double zero", "00449120000001"},
		{"eleven digits without zero", "98912000000"},
		{"thirteen digits", "9809120000001"},
		{"twelve digits trunk", "091200000001"},
		{"letter", "0912000000a"},
		{"letters", "phone"},
		{"letter o for zero", "O9120000001"},
		{"dot", "0912.000.0001"},
		{"slash", "0912/0000001"},
		{"brackets", "[0912]0000001"},
		{"fullwidth digits", "０９１２００００００１"},
		{"devanagari digits", "०९१२००००००१"},
		{"superscript digit", "0912000000¹"},
		{"invalid utf-8", "0912\xff0000001"},
		{"nul", "0912\x000000001"},
		{"too many digits", strings.Repeat("9", 20)},
		{"too long", "0912" + strings.Repeat(" ", 60) + "0000001"},
		{"minus sign", "0912\u22120000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMobile(tt.in)
			errorIs(t, err, ErrInvalidNumber)
			equal(t, "ParseMobile", got, Mobile(""))
		})
	}
}

func TestParseMobileErrorHidesInput(t *testing.T) {
	t.Parallel()
	_, err := ParseMobile("0912345678x")
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "0912345678") {
		t.Errorf("error %q quotes the input", err)
	}
	if !strings.HasPrefix(err.Error(), "sms: ") {
		t.Errorf("error %q does not start with the package name", err)
	}
}

func TestMobileForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m                  Mobile
		str, e164, logText string
	}{
		{"09120000001", "09120000001", "+989120000001", "0912***0001"},
		{"09359876543", "09359876543", "+989359876543", "0935***6543"},
		{"", "", "", "***"},
		{"9120000001", "9120000001", "", "***"},
		{"0912000000x", "0912000000x", "", "***"},
		{"08120000001", "08120000001", "", "***"},
	}
	for _, tt := range tests {
		t.Run(string(tt.m), func(t *testing.T) {
			t.Parallel()
			equal(t, "String", tt.m.String(), tt.str)
			equal(t, "E164", tt.m.E164(), tt.e164)
			equal(t, "LogValue", tt.m.LogValue().String(), tt.logText)
		})
	}
}

func TestMobileMaskedInLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	m, err := ParseMobile("+989121234567")
	noError(t, err)
	logger.Info("sent", "to", m)
	logger.Info("sent", slog.Any("to", m))
	out := buf.String()
	if strings.Contains(out, "1234567") || strings.Count(out, "to=0912***4567") != 2 {
		t.Errorf("log output %q is not masked", out)
	}
}

func TestNormalizeDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "code 1234", "code 1234"},
		{"persian", "۰۱۲۳۴۵۶۷۸۹", "0123456789"},
		{"arabic-indic", "٠١٢٣٤٥٦٧٨٩", "0123456789"},
		{"mixed with text", "کد: ۱۲۳٤ ok", "کد: 1234 ok"},
		{"other digits untouched", "０١", "０1"},
		{"arabic letters untouched", "\u0658\u066a\u06ef\u06fa", "\u0658\u066a\u06ef\u06fa"},
		{"invalid utf-8 kept", "\xff۱\xdb", "\xff1\xdb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			equal(t, "NormalizeDigits", NormalizeDigits(tt.in), tt.want)
		})
	}
}

var canonicalMobile = regexp.MustCompile(`^09[0-9]{9}$`)

func FuzzParseMobile(f *testing.F) {
	for _, s := range []string{
		"09120000001", "+989120000001", "00989120000001", "989120000001",
		"9120000001", "(0912) 000-0001", "+98 912 000 0001",
		withDigits("09120000001", '\u06f0'), withDigits("+989120000001", '\u0660'),
		"0912000000", "091200000012", "08120000001", "+09120000001",
		"0912+0000001", "abc", "", "+", "0912\xff0000001", "0098 0912 000 0001",
		strings.Repeat("9", 70),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMobile(s)
		if err != nil {
			errorIs(t, err, ErrInvalidNumber)
			equal(t, "result on error", m, Mobile(""))
			return
		}
		if !canonicalMobile.MatchString(string(m)) {
			t.Fatalf("ParseMobile(%q) = %q, not canonical", s, m)
		}
		again, err := ParseMobile(string(m))
		if err != nil || again != m {
			t.Fatalf("ParseMobile(%q) = %q, %v; want %q (idempotent)", m, again, err, m)
		}
		back, err := ParseMobile(m.E164())
		if err != nil || back != m {
			t.Fatalf("ParseMobile(%q) = %q, %v; want %q (E.164 round trip)", m.E164(), back, err, m)
		}
		if len(s) > maxMobileInput {
			t.Fatalf("accepted %d bytes of input", len(s))
		}
	})
}
