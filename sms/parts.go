package sms

import (
	"strconv"
	"unicode/utf16"
)

// Encoding is the alphabet an SMS is sent in.
type Encoding int

const (
	// GSM7 is the GSM 03.38 default alphabet, 7 bits a character: 160
	// characters in a single SMS, 153 in each part of a longer one. It is
	// the zero Encoding, as it is the default data coding on the network.
	GSM7 Encoding = iota
	// UCS2 is UTF-16, 16 bits a code unit: 70 code units in a single SMS,
	// 67 in each part of a longer one. Any character outside GSM-7, such
	// as every Persian letter, sends the whole message in UCS-2.
	UCS2
)

// String returns "GSM-7" or "UCS-2".
func (e Encoding) String() string {
	switch e {
	case GSM7:
		return "GSM-7"
	case UCS2:
		return "UCS-2"
	}
	return "Encoding(" + strconv.Itoa(int(e)) + ")"
}

// Sizes of one part, in septets (GSM-7) or UTF-16 code units (UCS-2). A part
// is 140 octets; a concatenated one spends 6 of them on the header.
const (
	gsm7Single  = 160
	gsm7PerPart = 153
	ucs2Single  = 70
	ucs2PerPart = 67
)

// Parts reports the encoding text is sent in and how many SMS parts it
// takes.
//
// The text is GSM-7 if every character is in the GSM 03.38 default alphabet
// or its extension table; extension characters (form feed and ^ { } \ [ ~ ]
// | €) cost two septets each. Otherwise it is UCS-2, counted in UTF-16 code
// units, so a character outside the Basic Multilingual Plane (most emoji)
// costs two. A text that fits a single SMS (160 septets, 70 code units) is
// one part; a longer one is split into parts of 153 septets or 67 code
// units. As encoders do, a two-unit character (an escape sequence or a
// surrogate pair) is never split between parts, so it starts a new part
// when only one unit is left in the current one; the count is then one more
// than ceil(n/153) or ceil(n/67) in rare cases.
//
// The empty text is GSM-7 and 0 parts: there is nothing to send, and
// [Message.Validate] refuses such a message. A template message, whose text
// the provider fills in, is counted by the senders in this module as one
// part.
func Parts(text string) (enc Encoding, parts int) {
	if text == "" {
		return GSM7, 0
	}
	enc = GSM7
	for _, r := range text {
		if gsm7Septets(r) == 0 {
			enc = UCS2
			break
		}
	}
	width, single, perPart := gsm7Septets, gsm7Single, gsm7PerPart
	if enc == UCS2 {
		width, single, perPart = ucs2Units, ucs2Single, ucs2PerPart
	}

	total := 0
	for _, r := range text {
		total += width(r)
	}
	if total <= single {
		return enc, 1
	}
	parts, used := 1, 0
	for _, r := range text {
		w := width(r)
		if used+w > perPart {
			parts++
			used = 0
		}
		used += w
	}
	return enc, parts
}

// ucs2Units is the number of UTF-16 code units r takes. Invalid UTF-8 is
// decoded as U+FFFD, one unit.
func ucs2Units(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1
}

// gsm7Septets is the number of septets r takes in GSM-7: 1 for the default
// alphabet, 2 for the extension table, 0 if r has no GSM-7 encoding.
func gsm7Septets(r rune) int {
	if r < 0x80 {
		return int(gsm7ASCII[r])
	}
	switch r {
	case '£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å',
		'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ',
		'Æ', 'æ', 'ß', 'É', '¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
		'¿', 'ä', 'ö', 'ñ', 'ü', 'à':
		return 1
	case '€':
		return 2
	}
	return 0
}

// gsm7ASCII holds gsm7Septets for ASCII: line feed, carriage return and the
// printable characters except '`' are in the default alphabet; form feed and
// ^ { } \ [ ~ ] | are in the extension table.
var gsm7ASCII = func() (t [0x80]uint8) {
	t['\n'], t['\r'] = 1, 1
	for c := ' '; c <= '~'; c++ {
		t[c] = 1
	}
	t['`'] = 0
	for _, c := range "\f^{}\\[~]|" {
		t[c] = 2
	}
	return t
}()
