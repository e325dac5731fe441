package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:80": true, "localhost:1": true, "127.1.2.3:9": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:80": false, "10.0.0.1:80": false, "example.com:80": false, "127.0.0.1": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"512MiB": 512 << 20, "2GiB": 2 << 30, "1e9": 1e9, "10KB": 10000, "4096": 4096, "1.5 KiB": 1536} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for in, want := range map[int64]string{2 << 30: "2GiB", 512 << 20: "512MiB", 1536: "1536", 0: "0", 3 << 40: "3TiB"} {
		b := byteSize(in)
		if got := b.String(); got != want {
			t.Errorf("byteSize(%d).String() = %q, want %q", in, got, want)
		}
		var back byteSize
		if err := back.Set(b.String()); err != nil || int64(back) != in {
			t.Errorf("Set(%q) = %d, %v; want %d", b.String(), back, err, in)
		}
	}
	for _, bad := range []string{"", "lots", "-1GiB", "1XB"} {
		var b byteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

func TestParseVector(t *testing.T) {
	for in, want := range map[string][]float32{"1,2,3": {1, 2, 3}, "[0.5, -1]": {0.5, -1}, " 4 5 ": {4, 5}} {
		got, err := parseVector(in)
		if err != nil || len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Errorf("parseVector(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseVector("1,x"); err == nil {
		t.Error("parseVector accepted a non-number")
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), nil, &out, &errOut); !errors.Is(err, errUsage) || !strings.Contains(errOut.String(), "Commands:") {
		t.Fatalf("no arguments: %v %q", err, errOut.String())
	}
	if err := run(context.Background(), []string{"frobnicate"}, &out, &errOut); !errors.Is(err, errUsage) {
		t.Fatalf("unknown command: %v", err)
	}
	for _, c := range commands() {
		if c.name == "bench" || c.name == "datasets" {
			// They run vectorbucket-bench: without it next to the test
			// binary or on the PATH they say how to install it
			// (TestHarnessDispatch runs them through the real binaries).
			if _, err := findHarness(); err != nil {
				if err := run(context.Background(), []string{c.name, "--help"}, &out, &errOut); !errors.Is(err, errNoHarness) || !strings.Contains(err.Error(), "go install") {
					t.Errorf("%s without the harness: %v", c.name, err)
				}
			}
			continue
		}
		out.Reset()
		err := run(context.Background(), []string{c.name, "--help"}, &out, &errOut)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "Usage: vectorbucket "+c.name) {
			t.Errorf("%s --help: %v %q", c.name, err, out.String())
		}
	}
	t.Setenv("VECTORBUCKET_ACCESS_KEY_ID", "")
	t.Setenv("VECTORBUCKET_SECRET_ACCESS_KEY", "")
	if err := run(context.Background(), []string{"serve", "--addr", "0.0.0.0:0"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "without credentials") {
		t.Errorf("serve on 0.0.0.0 without credentials: %v", err)
	}
}
