package local_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

func open(t testing.TB, dir string) *local.Store {
	t.Helper()
	s, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// flipByte flips the byte at off (negative: from the end) of the file
// holding key.
func flipByte(t *testing.T, s *local.Store, key string, off int64) {
	t.Helper()
	path, err := s.Path(key)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if off < 0 {
		info, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		off += info.Size()
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

func corruptMiddle(t *testing.T, s objectstore.Store, key string) {
	path, _ := s.(*local.Store).Path(key)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	flipByte(t, s.(*local.Store), key, info.Size()/2)
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) objectstore.Store { return open(t, t.TempDir()) },
		storetest.Options{Corrupt: corruptMiddle})
}

func TestLinearizability(t *testing.T) {
	dir := t.TempDir()
	storetest.Linearizability(t, []objectstore.Store{open(t, dir), open(t, dir)}, storetest.Options{})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, open(b, b.TempDir()))
}

// TestCorruptionAnywhere flips one byte at many places of a file — header,
// block table, first, middle and last data byte — and checks that no read
// returns wrong bytes.
func TestCorruptionAnywhere(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir())
	const n = 100_000
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i * 7)
	}
	const hdr = 48 + 4*7 // header + 7 block CRCs of 16 KiB
	for _, off := range []int64{0, 3, 5, 9, 17, 27, 35, 45, 48, 50, hdr - 1, hdr, hdr + 20_000, -1} {
		key := fmt.Sprintf("obj%d", off)
		if _, err := s.Put(ctx, key, data, objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
		flipByte(t, s, key, off)
		if b, _, err := s.Get(ctx, key); !errors.Is(err, objectstore.ErrCorrupt) || b != nil {
			t.Errorf("byte %d flipped: Get = %d bytes, %v; want ErrCorrupt", off, len(b), err)
		}
		for _, r := range [][2]int64{{0, -1}, {0, 10}, {20_000, 4096}, {n - 5, -1}, {1, -1}} {
			b, _, err := s.GetRange(ctx, key, r[0], r[1])
			end := int64(n)
			if r[1] >= 0 {
				end = r[0] + r[1]
			}
			if err == nil && !bytes.Equal(b, data[r[0]:end]) {
				t.Errorf("byte %d flipped: GetRange(%d, %d) served wrong bytes", off, r[0], r[1])
			}
			if err != nil && !errors.Is(err, objectstore.ErrCorrupt) {
				t.Errorf("byte %d flipped: GetRange(%d, %d): %v", off, r[0], r[1], err)
			}
		}
		if off >= 0 && off < 48 {
			if _, err := s.Head(ctx, key); !errors.Is(err, objectstore.ErrCorrupt) {
				t.Errorf("header byte %d flipped: Head err = %v, want ErrCorrupt", off, err)
			}
			if _, err := s.Put(ctx, key, data, objectstore.IfMatch("anything")); !errors.Is(err, objectstore.ErrPreconditionFailed) {
				t.Errorf("header byte %d flipped: if-match err = %v, want ErrPreconditionFailed", off, err)
			}
		}
	}
	// A truncated file is corrupt too.
	if _, err := s.Put(ctx, "short", data, objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	path, _ := s.Path("short")
	if err := os.Truncate(path, hdr+n-1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "short"); !errors.Is(err, objectstore.ErrCorrupt) {
		t.Errorf("truncated: Get err = %v, want ErrCorrupt", err)
	}
	if _, err := s.Head(ctx, "short"); !errors.Is(err, objectstore.ErrCorrupt) {
		t.Errorf("truncated: Head err = %v, want ErrCorrupt", err)
	}
}

// TestForeignFiles: files the store did not write, temporary files and lock
// files never show up in a listing.
func TestForeignFiles(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir)
	for _, k := range []string{"a/b", "c"} {
		if _, err := s.Put(ctx, k, []byte(k), objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"objects/junk", "objects/a/%61~", "objects/a/x.tmp", "objects/a b~", "tmp/put-123", "objects/.DS_Store"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for a, err := range objectstore.All(ctx, s, "") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a.Key)
	}
	if !slices.Equal(got, []string{"a/b", "c"}) {
		t.Errorf("List = %q, want [a/b c]", got)
	}
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir)
	a, err := s.Put(ctx, "k", []byte("durable"), objectstore.Condition{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := open(t, dir)
	b, a2, err := s2.Get(ctx, "k")
	if err != nil || string(b) != "durable" || a2.ETag != a.ETag || !a2.ModTime.Equal(a.ModTime) {
		t.Errorf("after reopen: %q %+v %v; want %q %+v", b, a2, err, "durable", a)
	}
}

func TestUnknownFormat(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "FORMAT"), []byte("vectorbucket-local 99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := local.Open(dir); err == nil || !strings.Contains(err.Error(), "unknown store format") {
		t.Errorf("Open of a format-99 store: %v, want an unknown-format error", err)
	}
}

// BenchmarkList pages through 3,000 keys in one directory, 1,000 a page.
func BenchmarkList(b *testing.B) {
	s := open(b, b.TempDir())
	const n = 3_000
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				if _, err := s.Put(b.Context(), fmt.Sprintf("nbhd/%06d.arrow", i), []byte("x"), objectstore.Condition{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for b.Loop() {
		got := 0
		for _, err := range objectstore.All(b.Context(), s, "nbhd/") {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("listed %d keys, want %d", got, n)
		}
	}
}
