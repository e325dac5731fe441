package volumes_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// dirs returns n fresh volume directories.
func dirs(t testing.TB, n int) []string {
	t.Helper()
	root := t.TempDir()
	ds := make([]string, n)
	for i := range ds {
		ds[i] = filepath.Join(root, "disk"+string(rune('0'+i)))
	}
	return ds
}

func open(t testing.TB, ds []string, opts volumes.Options) *volumes.Store {
	t.Helper()
	s, err := volumes.Open(context.Background(), ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// flipMiddle flips a byte in the middle of a file.
func flipMiddle(t testing.TB, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	flipAt(t, f, info.Size()/2)
}

func flipAt(t testing.TB, f *os.File, off int64) {
	t.Helper()
	b := []byte{0}
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// corruptAll damages every copy: the store must then answer ErrCorrupt.
func corruptAll(t *testing.T, s objectstore.Store, key string) {
	vs := s.(*volumes.Store)
	for i := range vs.Volumes() {
		p, err := vs.CopyPath(i, key)
		if err != nil {
			t.Fatal(err)
		}
		flipMiddle(t, p)
	}
}

func TestStoreN3(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{NoReadRepair: true})
	storetest.Run(t, func(t *testing.T) objectstore.Store { return s }, storetest.Options{Corrupt: corruptAll})
}

func TestStoreN3ReadRepair(t *testing.T) {
	s := open(t, dirs(t, 3), volumes.Options{})
	storetest.Run(t, func(t *testing.T) objectstore.Store { return s }, storetest.Options{Corrupt: corruptAll})
}

func TestStoreN1(t *testing.T) {
	s := open(t, dirs(t, 1), volumes.Options{})
	storetest.Run(t, func(t *testing.T) objectstore.Store { return s }, storetest.Options{Corrupt: corruptAll})
}

func TestStoreN2(t *testing.T) {
	s := open(t, dirs(t, 2), volumes.Options{})
	if w, r := s.Quorums(); w != 2 || r != 1 {
		t.Fatalf("N=2 quorums = %d, %d; want 2, 1", w, r)
	}
	storetest.Run(t, func(t *testing.T) objectstore.Store { return s }, storetest.Options{Corrupt: corruptAll})
}

// TestN1IsLocal: one volume is a plain local store directory.
func TestN1IsLocal(t *testing.T) {
	ds := dirs(t, 1)
	s := open(t, ds, volumes.Options{})
	ctx := t.Context()
	if _, err := s.Put(ctx, "a/b", []byte("hello"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ds[0], "FORMAT")); err != nil {
		t.Fatalf("no local store FORMAT file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ds[0], "VOLUME")); err == nil {
		t.Fatalf("N=1 wrote a VOLUME marker; it should be a plain local store")
	}
}

func TestLinearizabilityN3(t *testing.T) {
	ds := dirs(t, 3)
	a := open(t, ds, volumes.Options{})
	b := open(t, ds, volumes.Options{}) // a second handle: its own locks and fds, as another process
	storetest.Linearizability(t, []objectstore.Store{a, b}, storetest.Options{})
}

func TestOpenRejectsForeignVolumes(t *testing.T) {
	one, two := dirs(t, 3), dirs(t, 3)
	a := open(t, one, volumes.Options{})
	b := open(t, two, volumes.Options{})
	a.Close()
	b.Close()
	if _, err := volumes.Open(t.Context(), []string{one[0], one[1], two[2]}, volumes.Options{}); err == nil {
		t.Fatal("Open mixed the volumes of two stores")
	}
}

func TestNoQuorum(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{})
	ctx := t.Context()
	if _, err := s.Put(ctx, "k", []byte("v1"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds[:2] {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Get(ctx, "k"); !errors.Is(err, volumes.ErrNoQuorum) {
		t.Errorf("Get with 2 of 3 volumes gone: %v, want ErrNoQuorum", err)
	}
	if _, err := s.Head(ctx, "k"); !errors.Is(err, volumes.ErrNoQuorum) {
		t.Errorf("Head with 2 of 3 volumes gone: %v, want ErrNoQuorum", err)
	}
	if _, err := s.Put(ctx, "k", []byte("v2"), objectstore.Condition{}); !errors.Is(err, volumes.ErrNoQuorum) {
		t.Errorf("Put with 2 of 3 volumes gone: %v, want ErrNoQuorum", err)
	}
	if err := s.Delete(ctx, "k"); !errors.Is(err, volumes.ErrNoQuorum) {
		t.Errorf("Delete with 2 of 3 volumes gone: %v, want ErrNoQuorum", err)
	}
	if _, err := s.List(ctx, objectstore.ListOptions{}); !errors.Is(err, volumes.ErrNoQuorum) {
		t.Errorf("List with 2 of 3 volumes gone: %v, want ErrNoQuorum", err)
	}
}

// TestOpenRefusesOtherLayouts: a single-volume store is not silently read
// as a volume, nor a volume as a single-volume store.
func TestOpenRefusesOtherLayouts(t *testing.T) {
	one := dirs(t, 1)
	s1 := open(t, one, volumes.Options{})
	if _, err := s1.Put(t.Context(), "k", []byte("v"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	three := dirs(t, 3)
	if _, err := volumes.Open(t.Context(), []string{one[0], three[1], three[2]}, volumes.Options{}); err == nil {
		t.Error("Open took a single-volume store as a volume")
	}
	s3 := open(t, three, volumes.Options{})
	s3.Close()
	if _, err := volumes.Open(t.Context(), three[:1], volumes.Options{}); err == nil {
		t.Error("Open took one volume of three as a single-volume store")
	}
}
