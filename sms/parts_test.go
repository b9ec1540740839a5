package sms

import (
	"strings"
	"testing"
)

func TestParts(t *testing.T) {
	t.Parallel()
	rep := strings.Repeat
	const emoji = "😀" // U+1F600, two UTF-16 code units
	tests := []struct {
		name  string
		text  string
		enc   Encoding
		parts int
	}{
		{"empty", "", GSM7, 0},
		{"one char", "a", GSM7, 1},
		{"gsm 160", rep("a", 160), GSM7, 1},
		{"gsm 161", rep("a", 161), GSM7, 2},
		{"gsm 153*2", rep("a", 153*2), GSM7, 2},
		{"gsm 153*2+1", rep("a", 153*2+1), GSM7, 3},
		{"gsm 153*3", rep("a", 153*3), GSM7, 3},
		{"gsm 153*3+1", rep("a", 153*3+1), GSM7, 4},
		{"gsm whole basic alphabet", "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà", GSM7, 1},
		{"gsm extension table", "\f^{}\\[~]|€", GSM7, 1},
		{"euro 80 is 160 septets", rep("€", 80), GSM7, 1},
		{"euro 80 plus one", rep("€", 80) + "a", GSM7, 2},
		{"brackets 80", rep("[]", 40), GSM7, 1},
		{"brace 81", rep("{", 81), GSM7, 2},
		{"extension at 159", rep("a", 159) + "~", GSM7, 2},
		{"extension at 158", rep("a", 158) + "|", GSM7, 1},
		{"each extension char counts two", rep("a", 150) + "^{}\\[", GSM7, 1},
		{"each extension char counts two, one over", rep("a", 151) + "^{}\\[", GSM7, 2},
		{"escape not split across parts", rep("a", 152) + "€" + rep("a", 152), GSM7, 3},
		{"escape fits the part exactly", rep("a", 151) + "€" + rep("a", 153), GSM7, 2},
		{"ucs2 70", rep("س", 70), UCS2, 1},
		{"ucs2 71", rep("س", 71), UCS2, 2},
		{"ucs2 67*2", rep("س", 67*2), UCS2, 2},
		{"persian 135 is 3 parts", rep("س", 135), UCS2, 3},
		{"ucs2 67*2+1", rep("س", 67*2+1), UCS2, 3},
		{"persian digits are ucs2", "۱۲۳", UCS2, 1},
		{"arabic-indic digits are ucs2", "١٢٣", UCS2, 1},
		{"zwnj is ucs2", "a\u200cb", UCS2, 1},
		{"one persian char switches 100 latin", rep("a", 100) + "ی", UCS2, 2},
		{"latin 70 with one persian", rep("a", 69) + "ی", UCS2, 1},
		{"backtick is not gsm", "`", UCS2, 1},
		{"tab is not gsm", "a\tb", UCS2, 1},
		{"small c cedilla is not gsm", "ç", UCS2, 1},
		{"capital c cedilla is gsm", "Ç", GSM7, 1},
		{"greek small is not gsm", "δ", UCS2, 1},
		{"emoji counts two", emoji, UCS2, 1},
		{"35 emoji fill one", rep(emoji, 35), UCS2, 1},
		{"36 emoji need two", rep(emoji, 36), UCS2, 2},
		{"emoji over by one unit", "a" + rep(emoji, 35), UCS2, 2},
		{"surrogates not split across parts", rep("a", 66) + emoji + rep("a", 66), UCS2, 3},
		{"surrogate pair fits the part exactly", rep("a", 65) + emoji + rep("a", 67), UCS2, 2},
		{"invalid utf-8 is ucs2", "a\xffb", UCS2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc, parts := Parts(tt.text)
			equal(t, "encoding", enc, tt.enc)
			equal(t, "parts", parts, tt.parts)
		})
	}
}

func TestEncodingString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    Encoding
		want string
	}{
		{GSM7, "GSM-7"},
		{UCS2, "UCS-2"},
		{Encoding(7), "Encoding(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			equal(t, "String", tt.e.String(), tt.want)
		})
	}
}

func BenchmarkParts(b *testing.B) {
	latin := strings.Repeat("Your code is 01234567. ", 20)
	persian := strings.Repeat("کد ورود شما ۱۲۳۴ است. ", 20)
	b.Run("GSM-7", func(b *testing.B) {
		for b.Loop() {
			Parts(latin)
		}
	})
	b.Run("UCS-2", func(b *testing.B) {
		for b.Loop() {
			Parts(persian)
		}
	})
}
