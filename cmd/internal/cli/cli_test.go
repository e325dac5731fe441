package cli

import (
	"bytes"
	"errors"
	"flag"
	"runtime/debug"
	"strings"
	"testing"
)

func TestParseHelpAndErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	fs := NewFlags("vb", "x", "x [flags]", "Does x.", &out, &errOut)
	n := fs.Int("n", 1, "how many")
	if err := Parse(fs, []string{"--help"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: got %v, want flag.ErrHelp", err)
	}
	if got := out.String(); !strings.Contains(got, "Usage: vb x [flags]") || !strings.Contains(got, "Does x.") || !strings.Contains(got, "how many") {
		t.Fatalf("help text missing parts:\n%s", got)
	}
	fs = NewFlags("vb", "x", "x", "", &out, &errOut)
	fs.Int("n", 1, "")
	if err := Parse(fs, []string{"--n", "zz"}, &out); !errors.Is(err, ErrUsage) {
		t.Fatalf("bad value: got %v, want ErrUsage", err)
	}
	fs = NewFlags("vb", "x", "x", "", &out, &errOut)
	n = fs.Int("n", 1, "")
	if err := Parse(fs, []string{"--n", "3", "rest"}, &out); err != nil || *n != 3 || fs.Arg(0) != "rest" {
		t.Fatalf("parse: err %v n %d args %v", err, *n, fs.Args())
	}
}

func TestVersionOf(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-04T00:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	if got, want := versionOf(bi), "v0.3.0, commit 0123456789ab+dirty (2026-12-04T00:00:00Z), go1.26.8"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := versionOf(&debug.BuildInfo{GoVersion: "go1.26.8"}), "(devel), go1.26.8"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if Version() == "" {
		t.Fatal("empty version")
	}
}
