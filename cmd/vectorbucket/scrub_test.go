package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// TestScrubCommand damages a three-volume store (one copy deleted, one
// corrupted) and checks that `vectorbucket scrub` reports and repairs both,
// and that a second pass finds nothing left to do.
func TestScrubCommand(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dirs := []string{filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")}
	st, err := volumes.Open(ctx, dirs, volumes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"x/one", "x/two", "x/three"} {
		if _, err := st.Put(ctx, k, []byte(strings.Repeat(k, 100)), objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Damage copies behind the store's back: delete every file of volume b,
	// and flip the last byte of every file of volume c.
	var damaged int
	for i, d := range dirs[1:] {
		err := filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(p, "~") {
				return err
			}
			damaged++
			if i == 0 {
				return os.Remove(p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)-1] ^= 0xff
			return os.WriteFile(p, b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if damaged == 0 {
		t.Fatal("found no object files to damage; the volume layout changed")
	}
	data := strings.Join(dirs, ",")
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"scrub", "--data", data, "--json"}, &out, &errOut); err != nil {
		t.Fatalf("scrub: %v\n%s", err, errOut.String())
	}
	var rep volumes.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	if rep.Objects != 3 || rep.Repaired == 0 || rep.Missing+rep.Corrupt == 0 || rep.Unrepairable != 0 {
		t.Fatalf("first pass report: %+v", rep)
	}
	out.Reset()
	if err := run(ctx, []string{"scrub", "--data", data}, &out, &errOut); err != nil {
		t.Fatalf("second scrub: %v", err)
	}
	if !strings.Contains(out.String(), "missing 0, stale 0, corrupt 0, repaired 0, unrepairable 0") {
		t.Fatalf("second pass is not clean: %s", out.String())
	}
	// Every object reads back intact.
	st, err = volumes.Open(ctx, dirs, volumes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, k := range []string{"x/one", "x/two", "x/three"} {
		b, _, err := st.Get(ctx, k)
		if err != nil || string(b) != strings.Repeat(k, 100) {
			t.Errorf("key %s after scrub: %v", k, err)
		}
	}
	if err := run(ctx, []string{"scrub", "--data", " ,"}, &out, &errOut); err == nil || errors.Is(err, errUnrepairable) {
		t.Fatalf("empty directory name: err = %v", err)
	}
}
