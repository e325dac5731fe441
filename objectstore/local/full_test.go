package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

// TestDiskFull fills a real 1 MiB tmpfs: the put that does not
// fit fails with ErrNoSpace, leaves no temporary file behind and changes
// nothing; every earlier object reads back intact; after a delete frees
// space puts work again.
func TestDiskFull(t *testing.T) {
	dir := storetest.MountTmpfs(t, 1<<20)
	ctx := context.Background()
	s, err := Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	payload := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 64<<10) }
	var stored int
	for i := 0; ; i++ {
		if i == 100 {
			t.Fatal("100 puts of 64 KiB fit in a 1 MiB tmpfs")
		}
		_, err := s.Put(ctx, fmt.Sprintf("obj/%03d", i), payload(i), objectstore.Condition{})
		if err == nil {
			stored++
			continue
		}
		if !errors.Is(err, objectstore.ErrNoSpace) {
			t.Fatalf("put %d on a full disk: %v, want ErrNoSpace", i, err)
		}
		if _, _, err := s.Get(ctx, fmt.Sprintf("obj/%03d", i)); !errors.Is(err, objectstore.ErrNoSpace) && !errors.Is(err, objectstore.ErrNotFound) {
			t.Fatalf("the failed put left something readable: %v", err)
		}
		break
	}
	if stored == 0 {
		t.Fatal("nothing fit")
	}
	t.Logf("%d objects of 64 KiB fit before ErrNoSpace", stored)
	check := func(when string) {
		for i := range stored {
			data, _, err := s.Get(ctx, fmt.Sprintf("obj/%03d", i))
			if err != nil || !bytes.Equal(data, payload(i)) {
				t.Fatalf("%s: obj/%03d: %d bytes, %v", when, i, len(data), err)
			}
		}
	}
	check("disk full")
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), "tmp") {
			return fmt.Errorf("temporary file left behind: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Space comes back.
	if err := s.Delete(ctx, "obj/000"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "obj/000", payload(0), objectstore.Condition{}); err != nil {
		t.Fatalf("put after space was freed: %v", err)
	}
	check("space freed")

}

// TestClassify checks the error marks on the errors the file system
// returns: a read-only file system (which a running store cannot be
// switched to in a test: the kernel refuses to remount a file system with
// files open for writing) and a quota, besides the full disk above.
func TestClassify(t *testing.T) {
	for errno, want := range map[syscall.Errno]error{syscall.ENOSPC: objectstore.ErrNoSpace, syscall.EDQUOT: objectstore.ErrNoSpace, syscall.EROFS: objectstore.ErrReadOnly} {
		err := classify(fmt.Errorf("put k: %w", &os.PathError{Op: "open", Path: "/x", Err: errno}))
		if !errors.Is(err, want) || !errors.Is(err, errno) {
			t.Errorf("%v: %v, want %v with the errno kept", errno, err, want)
		}
	}
	if err := classify(os.ErrPermission); errors.Is(err, objectstore.ErrNoSpace) || errors.Is(err, objectstore.ErrReadOnly) {
		t.Errorf("EPERM classified as %v", err)
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}
