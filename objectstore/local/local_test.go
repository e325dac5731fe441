package local_test

import (
	"os"
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
