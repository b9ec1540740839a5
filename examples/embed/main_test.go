package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMECopy keeps the README's embedding example compiling: it must
// be this file, minus the comment above the package clause.
func TestREADMECopy(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	code := string(src)
	code = code[strings.Index(code, "package main"):]
	if !strings.Contains(string(readme), "```go\n"+code+"```") {
		t.Error("README.md's \"Embed it in your server\" example differs from examples/embed/main.go")
	}
}
