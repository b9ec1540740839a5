package sms

import (
	"errors"
	"testing"
)

func equal[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", name, got, want)
	}
}

func errorIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("error = %v, want one matching %v", err, target)
	}
}

func noError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// withDigits rewrites the ASCII digits of s in the block starting at zero
// (U+06F0 for Persian, U+0660 for Arabic-Indic).
func withDigits(s string, zero rune) string {
	out := []rune(s)
	for i, r := range out {
		if '0' <= r && r <= '9' {
			out[i] = zero + r - '0'
		}
	}
	return string(out)
}
