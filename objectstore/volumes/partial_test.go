package volumes_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// breakWrites makes every put to a volume fail (its temporary directory
// becomes a file) while its copies stay readable; the returned function
// undoes it.
func breakWrites(t *testing.T, dir string) func() {
	t.Helper()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Rename(tmp, tmp+".off"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.Remove(tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp+".off", tmp); err != nil {
			t.Fatal(err)
		}
	}
}

// takeDown makes a volume disappear; the returned function brings it back.
func takeDown(t *testing.T, dir string) func() {
	t.Helper()
	if err := os.Rename(dir, dir+".down"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.Rename(dir+".down", dir); err != nil {
			t.Fatal(err)
		}
	}
}

// partialPut leaves value on volume 0 only: a put that failed part-way.
func partialPut(t *testing.T, s *volumes.Store, ds []string, key, value string, cond objectstore.Condition) {
	t.Helper()
	fix1, fix2 := breakWrites(t, ds[1]), breakWrites(t, ds[2])
	if _, err := s.Put(t.Context(), key, []byte(value), cond); !errors.Is(err, volumes.ErrNoQuorum) {
		t.Fatalf("put with 2 of 3 volumes unwritable: %v, want ErrNoQuorum", err)
	}
	fix1()
	fix2()
}

func getString(t *testing.T, s *volumes.Store, key string) string {
	t.Helper()
	b, _, err := s.Get(t.Context(), key)
	if errors.Is(err, objectstore.ErrNotFound) {
		return "<absent>"
	}
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return string(b)
}

// TestPartialWriteNeverOverridesLaterWrite: a write that reached one volume
// only, on a volume that then goes down, must not win over writes
// acknowledged while it was away — even a create-only put that found the
// key absent.
func TestPartialWriteNeverOverridesLaterWrite(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{NoReadRepair: true})
	// Several keys: with equal versions a random write id would pick the
	// winner, so one key could pass by luck.
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}
	for _, k := range keys {
		partialPut(t, s, ds, k, "partial", objectstore.CreateOnly())
	}
	up := takeDown(t, ds[0])
	for _, k := range keys {
		if _, err := s.Put(t.Context(), k, []byte("acked"), objectstore.CreateOnly()); err != nil {
			t.Fatalf("create-only put while the partial copy is away: %v", err)
		}
	}
	up()
	for _, k := range keys {
		if got := getString(t, s, k); got != "acked" {
			t.Fatalf("after the volume came back, get %s = %q; the acknowledged create-only put was lost", k, got)
		}
	}
}

// TestReadWritesBack: once a read has returned a version, that version
// stays even if the volume it was read from goes down.
func TestReadWritesBack(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{NoReadRepair: true})
	if _, err := s.Put(t.Context(), "k", []byte("old"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	partialPut(t, s, ds, "k", "new", objectstore.Condition{})
	if got := getString(t, s, "k"); got != "new" {
		t.Fatalf("get = %q, want the newest copy %q", got, "new")
	}
	if s.Stats().WriteBacks == 0 {
		t.Errorf("the read did not write back a version held by one volume")
	}
	takeDown(t, ds[0])
	if got := getString(t, s, "k"); got != "new" {
		t.Fatalf("after the volume that held it went down, get = %q: a returned version disappeared", got)
	}
}

// TestConditionSeesPartialWriteConsistently: a create-only put that fails
// because a partial write exists must keep failing after the volume with
// the partial write goes down.
func TestConditionSeesPartialWriteConsistently(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{NoReadRepair: true})
	partialPut(t, s, ds, "k", "partial", objectstore.CreateOnly())
	if _, err := s.Put(t.Context(), "k", []byte("second"), objectstore.CreateOnly()); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Fatalf("create-only put over a visible partial write: %v, want ErrPreconditionFailed", err)
	}
	takeDown(t, ds[0])
	if got := getString(t, s, "k"); got != "partial" {
		t.Fatalf("get = %q after a create-only put was refused because the key existed", got)
	}
}

// TestRefillNotDeclaredWhileWritesFail: a volume that came back but fails
// writes is not declared a complete replica.
func TestRefillNotDeclaredWhileWritesFail(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{NoReadRepair: true})
	want := putAll(t, s, 5)
	if err := removeVolume(ds[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(ds[1], 0o755); err != nil {
		t.Fatal(err)
	}
	// A pass limited to a prefix attaches the volume but never declares it.
	if rep, err := s.Scrub(t.Context(), volumes.ScrubOptions{Prefix: "none/"}); err != nil || len(rep.Refilled) != 0 {
		t.Fatalf("prefix pass: %v, %v", rep, err)
	}
	fix := breakWrites(t, ds[1])
	rep, err := s.Scrub(t.Context(), volumes.ScrubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Refilled) != 0 || rep.Unrepairable != 5 {
		t.Fatalf("pass with the volume unwritable: %v; want 5 unrepairable copies and no refill", rep)
	}
	if _, err := os.Stat(filepath.Join(ds[1], "VOLUME")); err == nil {
		t.Fatal("an unwritable, empty volume was declared a complete replica")
	}
	fix()
	rep, err = s.Scrub(t.Context(), volumes.ScrubOptions{})
	if err != nil || len(rep.Refilled) != 1 || rep.Repaired != 5 {
		t.Fatalf("pass after the volume healed: %v, %v; want it refilled with 5 copies", rep, err)
	}
	checkAll(t, s, want)
}
