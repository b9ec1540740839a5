package smstest

// Code returns the first run of at least three ASCII digits in text, or ""
// if there is none, so that a test can pull the one-time code out of a
// message such as "Your code: 01234567". Shorter runs ("order 42") and
// non-ASCII digits are skipped; a code typed with Persian digits can be
// converted first with [sms.NormalizeDigits].
func Code(text string) string {
	start := -1
	for i := 0; i <= len(text); i++ {
		digit := i < len(text) && '0' <= text[i] && text[i] <= '9'
		switch {
		case digit && start < 0:
			start = i
		case !digit && start >= 0:
			if i-start >= 3 {
				return text[start:i]
			}
			start = -1
		}
	}
	return ""
}
