// Package storetest is the acceptance suite every objectstore.Store backend
// and wrapper runs: Run checks the contract operation by operation,
// Linearizability checks concurrent histories with a real linearizability
// checker (porcupine), and Bench reports the same benchmarks for every
// backend.
//
// A backend test is a few lines:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) objectstore.Store { return mem.New() },
//			storetest.Options{Corrupt: func(t *testing.T, s objectstore.Store, key string) {
//				s.(*mem.Store).Corrupt(key)
//			}})
//	}
//
// Every key the suite writes starts with Options.Prefix (random per run when
// empty) followed by the subtest's name, so the suite can share a bucket with
// other runs.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Options tunes Run, Linearizability and the workload they generate. The
// zero value is usable.
type Options struct {
	// Prefix starts every key the suite writes. Empty means a random
	// "storetest-<hex>/" per call.
	Prefix string
	// MaxKeyLen is the longest key the store accepts; 0 means
	// objectstore.MaxKeyLen. A prefix wrapper accepts len(prefix) fewer.
	MaxKeyLen int
	// FileTree marks stores that keep keys as paths in a file tree (the
	// posix backend of versitygw, MinIO): a key cannot also be the
	// "directory" of other keys ("a" next to "a/b"), and a path segment is
	// at most 255 bytes. The suite then leaves such keys out.
	FileTree bool
	// ListDirOrder marks stores whose listings that start after a key
	// inside a mix of "directories" and names sorting around '/' lose keys
	// (MinIO: after "a/b.c/d" it skips "a/b/c"; after "a0" it ends before
	// "ab"), as if it walked its file tree directory by directory. The List
	// test then reads those keys in single pages only (ListPagination still
	// pages through plain keys).
	ListDirOrder bool
	// NoDeletes leaves deletes out of the Linearizability workload, for
	// servers whose DeleteObject is not atomic with conditional puts
	// (versitygw 1.8.0: a delete racing an if-match put can both succeed
	// and leave the object in place).
	NoDeletes bool
	// KnownViolation, when set, names a server's documented lack of
	// atomicity under concurrent overwrites of one key (versitygw 1.8.0
	// posix: a read that races a rename can mix two versions). A history
	// that is not linearizable is then logged and the test skipped with this
	// reason instead of failed; operations that fail still fail it.
	KnownViolation string
	// ListNoCRC marks stores whose List cannot return Attrs.CRC32C (S3's
	// ListObjectsV2 returns no user metadata): List attrs may have it zero.
	ListNoCRC bool
	// Cleanup deletes every key a subtest wrote when the subtest ends, so
	// runs against a shared bucket leave nothing behind.
	Cleanup bool
	// Corrupt damages the stored bytes of key in s behind the store's back
	// (for example by flipping a byte of the file on disk), without going
	// through s. Nil skips the corruption checks.
	Corrupt func(t *testing.T, s objectstore.Store, key string)
	// RaceRounds is how many rounds the 16-goroutine conditional-put race
	// runs; 0 means 5.
	RaceRounds int
	// Clients is the number of concurrent clients per store in
	// Linearizability; 0 means 3.
	Clients int
	// Ops is the number of operations each linearizability client issues;
	// 0 means 60 (40 under -short).
	Ops int
	// Keys is the number of keys the linearizability clients share; 0
	// means 3.
	Keys int
	// Clock returns the timestamps recorded in histories. It must be
	// monotonic and shared by every client whose history is checked
	// together (across processes too). Nil uses the process's monotonic
	// clock.
	Clock func() int64
}

func (o Options) prefix() string {
	if o.Prefix != "" {
		return o.Prefix
	}
	return "storetest-" + randomHex(6) + "/"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// suite carries what every subtest needs.
type suite struct {
	open   func(t *testing.T) objectstore.Store
	opts   Options
	prefix string
}

// Run runs the acceptance suite. open is called once per subtest and may
// return a fresh store each time or the same one.
func Run(t *testing.T, open func(t *testing.T) objectstore.Store, opts Options) {
	s := &suite{open: open, opts: opts, prefix: opts.prefix()}
	tests := []struct {
		name string
		fn   func(t *testing.T, st objectstore.Store, p string)
	}{
		{"MissingKeys", testMissingKeys},
		{"InvalidKeys", s.testInvalidKeys},
		{"ReadAfterWrite", testReadAfterWrite},
		{"Overwrite", testOverwrite},
		{"ZeroLength", testZeroLength},
		{"Ranges", testRanges},
		{"List", s.testList},
		{"ListPagination", testListPagination},
		{"ListAfterDelete", testListAfterDelete},
		{"ListWhileWriting", testListWhileWriting},
		{"Delete", s.testDelete},
		{"CreateOnly", testCreateOnly},
		{"IfMatch", testIfMatch},
		{"ConditionalRace", s.testConditionalRace},
		{"Corruption", s.testCorruption},
		{"ContextCanceled", testContextCanceled},
		{"Iterator", testIterator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := s.open(t)
			p := s.prefix + tt.name + "/"
			if s.opts.Cleanup {
				t.Cleanup(func() { deleteAll(t, st, p) })
			}
			tt.fn(t, st, p)
		})
	}
}

// deleteAll removes every key under prefix, so runs against a shared
// bucket leave nothing behind.
func deleteAll(t *testing.T, s objectstore.Store, prefix string) {
	ctx := context.Background() // t.Context is already canceled in Cleanup
	var keys []string
	for a, err := range objectstore.All(ctx, s, prefix) {
		if err != nil {
			t.Logf("clean up %s: %v", prefix, err)
			return
		}
		keys = append(keys, a.Key)
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			t.Logf("clean up %s: %v", k, err)
		}
	}
}

// mustPut puts data unconditionally and fails the test on error.
func mustPut(t *testing.T, s objectstore.Store, key string, data []byte) objectstore.Attrs {
	t.Helper()
	a, err := s.Put(t.Context(), key, data, objectstore.Condition{})
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return a
}

// mustGet gets key and fails the test on error.
func mustGet(t *testing.T, s objectstore.Store, key string) ([]byte, objectstore.Attrs) {
	t.Helper()
	b, a, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return b, a
}

// pattern returns n deterministic bytes that differ with seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func testMissingKeys(t *testing.T, s objectstore.Store, p string) {
	ctx := t.Context()
	key := p + "missing"
	if _, _, err := s.Get(ctx, key); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("Get(missing) err = %v, want ErrNotFound", err)
	}
	if _, _, err := s.GetRange(ctx, key, 0, 10); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("GetRange(missing) err = %v, want ErrNotFound", err)
	}
	if _, err := s.Head(ctx, key); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("Head(missing) err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	page, err := s.List(ctx, objectstore.ListOptions{Prefix: p})
	if err != nil || len(page.Objects) != 0 || page.Next != "" {
		t.Errorf("List(empty prefix) = %+v, %v; want empty page", page, err)
	}
}

func (su *suite) testInvalidKeys(t *testing.T, s objectstore.Store, p string) {
	ctx := t.Context()
	bad := []string{"", "../x", "/abs", "a\x00b", "a/../b", "./x", "a/.", "a//b", "a/", "\xff\xfe",
		p + "../../escape", strings.Repeat("k", objectstore.MaxKeyLen+1)}
	for _, key := range bad {
		if _, _, err := s.Get(ctx, key); !errors.Is(err, objectstore.ErrInvalidKey) {
			t.Errorf("Get(%q) err = %v, want ErrInvalidKey", key, err)
		}
		if _, _, err := s.GetRange(ctx, key, 0, 1); !errors.Is(err, objectstore.ErrInvalidKey) {
			t.Errorf("GetRange(%q) err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Head(ctx, key); !errors.Is(err, objectstore.ErrInvalidKey) {
			t.Errorf("Head(%q) err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Put(ctx, key, []byte("x"), objectstore.Condition{}); !errors.Is(err, objectstore.ErrInvalidKey) {
			t.Errorf("Put(%q) err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Put(ctx, key, []byte("x"), objectstore.CreateOnly()); !errors.Is(err, objectstore.ErrInvalidKey) {
			t.Errorf("Put(%q, create-only) err = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, objectstore.ErrInvalidKey) {
			t.Errorf("Delete(%q) err = %v, want ErrInvalidKey", key, err)
		}
	}
	// The longest valid key works.
	maxLen := su.opts.MaxKeyLen
	if maxLen <= 0 {
		maxLen = objectstore.MaxKeyLen
	}
	long := p + strings.Repeat("L", maxLen-len(p))
	if su.opts.FileTree {
		long = p
		for len(long)+201 < maxLen {
			long += strings.Repeat("L", 200) + "/"
		}
		long += strings.Repeat("L", maxLen-len(long))
	}
	mustPut(t, s, long, []byte("long"))
	if b, _ := mustGet(t, s, long); string(b) != "long" {
		t.Errorf("Get(1024-byte key) = %q, want %q", b, "long")
	}
}

func checkAttrs(t *testing.T, what string, got objectstore.Attrs, key string, data []byte) {
	t.Helper()
	if got.Key != key {
		t.Errorf("%s: Key = %q, want %q", what, got.Key, key)
	}
	if got.Size != int64(len(data)) {
		t.Errorf("%s: Size = %d, want %d", what, got.Size, len(data))
	}
	if want := objectstore.Checksum(data); got.CRC32C != want {
		t.Errorf("%s: CRC32C = %08x, want %08x", what, got.CRC32C, want)
	}
	if got.ETag == "" {
		t.Errorf("%s: empty ETag", what)
	}
	if d := time.Since(got.ModTime); d < -2*time.Minute || d > 2*time.Minute {
		t.Errorf("%s: ModTime %v is %v away from now", what, got.ModTime, d)
	}
}

func testReadAfterWrite(t *testing.T, s objectstore.Store, p string) {
	key := p + "obj"
	data := pattern(3000, 1)
	put := mustPut(t, s, key, data)
	checkAttrs(t, "Put", put, key, data)
	got, ga := mustGet(t, s, key)
	if !bytes.Equal(got, data) {
		t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(data))
	}
	checkAttrs(t, "Get", ga, key, data)
	if ga.ETag != put.ETag {
		t.Errorf("Get ETag = %q, Put returned %q", ga.ETag, put.ETag)
	}
	ha, err := s.Head(t.Context(), key)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	checkAttrs(t, "Head", ha, key, data)
	if ha.ETag != put.ETag {
		t.Errorf("Head ETag = %q, Put returned %q", ha.ETag, put.ETag)
	}
	// The caller's buffer is not retained: changing it changes nothing.
	data[0] ^= 0xff
	if got2, _ := mustGet(t, s, key); got2[0] == data[0] {
		t.Errorf("store kept a reference to the caller's buffer")
	}
}

func testOverwrite(t *testing.T, s objectstore.Store, p string) {
	key := p + "obj"
	a1 := mustPut(t, s, key, []byte("version one"))
	a2 := mustPut(t, s, key, []byte("version two, longer"))
	if a1.ETag == a2.ETag {
		t.Errorf("ETag did not change when content changed: %q", a1.ETag)
	}
	got, ga := mustGet(t, s, key)
	if string(got) != "version two, longer" || ga.ETag != a2.ETag {
		t.Errorf("Get after overwrite = %q (etag %q), want %q (etag %q)", got, ga.ETag, "version two, longer", a2.ETag)
	}
	a3 := mustPut(t, s, key, []byte("3"))
	if got, _ := mustGet(t, s, key); string(got) != "3" || a3.ETag == a2.ETag {
		t.Errorf("Get after shrinking overwrite = %q (etag %q after %q)", got, a3.ETag, a2.ETag)
	}
}

func testZeroLength(t *testing.T, s objectstore.Store, p string) {
	ctx := t.Context()
	key := p + "empty"
	a := mustPut(t, s, key, nil)
	checkAttrs(t, "Put", a, key, nil)
	got, ga := mustGet(t, s, key)
	if len(got) != 0 {
		t.Errorf("Get(empty) = %d bytes", len(got))
	}
	checkAttrs(t, "Get", ga, key, nil)
	for _, r := range [][2]int64{{0, -1}, {0, 0}, {0, 10}} {
		b, _, err := s.GetRange(ctx, key, r[0], r[1])
		if err != nil || len(b) != 0 {
			t.Errorf("GetRange(empty, %d, %d) = %d bytes, %v; want 0 bytes, nil", r[0], r[1], len(b), err)
		}
	}
	if _, _, err := s.GetRange(ctx, key, 1, -1); !errors.Is(err, objectstore.ErrInvalidRange) {
		t.Errorf("GetRange(empty, 1, -1) err = %v, want ErrInvalidRange", err)
	}
}

func testRanges(t *testing.T, s objectstore.Store, p string) {
	ctx := t.Context()
	key := p + "obj"
	const n = 100_000
	data := pattern(n, 2)
	mustPut(t, s, key, data)
	tests := []struct{ off, length, start, end int64 }{
		{0, -1, 0, n},
		{0, n, 0, n},
		{0, 1, 0, 1},
		{10, 20, 10, 30},
		{n - 10, -1, n - 10, n},
		{n - 10, 100, n - 10, n},
		{n - 1, 1, n - 1, n},
		{n, 0, n, n},
		{5, 0, 5, 5},
		{12345, 65536, 12345, 12345 + 65536},
		{0, 1 << 40, 0, n},
	}
	for _, tt := range tests {
		got, a, err := s.GetRange(ctx, key, tt.off, tt.length)
		if err != nil {
			t.Errorf("GetRange(%d, %d): %v", tt.off, tt.length, err)
			continue
		}
		if !bytes.Equal(got, data[tt.start:tt.end]) {
			t.Errorf("GetRange(%d, %d) returned %d bytes, want bytes [%d, %d)", tt.off, tt.length, len(got), tt.start, tt.end)
		}
		if a.Size != n {
			t.Errorf("GetRange(%d, %d) Size = %d, want the object's size %d", tt.off, tt.length, a.Size, n)
		}
	}
	for _, r := range [][2]int64{{n, 1}, {n, -1}, {n + 1, -1}, {n + 100, 5}, {-1, 5}} {
		if b, _, err := s.GetRange(ctx, key, r[0], r[1]); !errors.Is(err, objectstore.ErrInvalidRange) || b != nil {
			t.Errorf("GetRange(%d, %d) = %d bytes, %v; want nil, ErrInvalidRange", r[0], r[1], len(b), err)
		}
	}
}

func (su *suite) testDelete(t *testing.T, s objectstore.Store, p string) {
	ctx := t.Context()
	key := p + "obj"
	child := key + "/child"
	if su.opts.FileTree {
		child = key + "-sibling"
	}
	mustPut(t, s, key, []byte("x"))
	mustPut(t, s, child, []byte("y"))
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, _, err := s.Get(ctx, key); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("Get after Delete err = %v, want ErrNotFound", err)
	}
	if _, err := s.Head(ctx, key); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("Head after Delete err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
	if b, _ := mustGet(t, s, child); string(b) != "y" {
		t.Errorf("Delete(%q) disturbed %q: got %q", key, child, b)
	}
}

func testCreateOnly(t *testing.T, s objectstore.Store, p string) {
	ctx := t.Context()
	key := p + "obj"
	a, err := s.Put(ctx, key, []byte("first"), objectstore.CreateOnly())
	if err != nil {
		t.Fatalf("first create-only Put: %v", err)
	}
	if _, err := s.Put(ctx, key, []byte("second"), objectstore.CreateOnly()); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Errorf("second create-only Put err = %v, want ErrPreconditionFailed", err)
	}
	if b, ga := mustGet(t, s, key); string(b) != "first" || ga.ETag != a.ETag {
		t.Errorf("after failed create-only: %q (etag %q), want %q (etag %q)", b, ga.ETag, "first", a.ETag)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, key, []byte("third"), objectstore.CreateOnly()); err != nil {
		t.Errorf("create-only after Delete: %v", err)
	}
}

func testIfMatch(t *testing.T, s objectstore.Store, p string) {
	ctx := t.Context()
	key := p + "obj"
	if _, err := s.Put(ctx, key, []byte("x"), objectstore.IfMatch("some-etag")); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Errorf("if-match on a missing key err = %v, want ErrPreconditionFailed", err)
	}
	if _, err := s.Head(ctx, key); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("failed if-match created the key: Head err = %v", err)
	}
	a1 := mustPut(t, s, key, []byte("v1"))
	a2, err := s.Put(ctx, key, []byte("v2"), objectstore.IfMatch(a1.ETag))
	if err != nil {
		t.Fatalf("if-match with the current etag: %v", err)
	}
	if a2.ETag == a1.ETag {
		t.Errorf("ETag unchanged after if-match put: %q", a2.ETag)
	}
	if _, err := s.Put(ctx, key, []byte("v3"), objectstore.IfMatch(a1.ETag)); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Errorf("if-match with a stale etag err = %v, want ErrPreconditionFailed", err)
	}
	if _, err := s.Put(ctx, key, []byte("v3"), objectstore.IfMatch("not-an-etag")); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Errorf("if-match with a wrong etag err = %v, want ErrPreconditionFailed", err)
	}
	if b, ga := mustGet(t, s, key); string(b) != "v2" || ga.ETag != a2.ETag {
		t.Errorf("after failed if-match: %q (etag %q), want %q (etag %q)", b, ga.ETag, "v2", a2.ETag)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, key, []byte("v4"), objectstore.IfMatch(a2.ETag)); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Errorf("if-match after Delete err = %v, want ErrPreconditionFailed", err)
	}
}

// race runs 16 goroutines that each try put(i) under cond(i) at once and
// returns the indexes that succeeded.
func race(t *testing.T, s objectstore.Store, key string, cond objectstore.Condition, phase string) []int {
	const n = 16
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		winners []int
	)
	for i := range n {
		wg.Go(func() {
			<-start
			_, err := s.Put(t.Context(), key, fmt.Appendf(nil, "writer %d %s", i, phase), cond)
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, i)
				mu.Unlock()
			case !errors.Is(err, objectstore.ErrPreconditionFailed):
				t.Errorf("racing Put: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	return winners
}

func (su *suite) testConditionalRace(t *testing.T, s objectstore.Store, p string) {
	rounds := su.opts.RaceRounds
	if rounds <= 0 {
		rounds = 5
	}
	for r := range rounds {
		key := fmt.Sprintf("%sround%d", p, r)
		w := race(t, s, key, objectstore.CreateOnly(), "create")
		if len(w) != 1 {
			t.Fatalf("round %d: %d create-only puts won, want exactly 1 (%v)", r, len(w), w)
		}
		b, a := mustGet(t, s, key)
		if want := fmt.Sprintf("writer %d create", w[0]); string(b) != want {
			t.Fatalf("round %d: create-only winner was %q but the store holds %q", r, want, b)
		}
		// Each if-match writer writes bytes unlike the current ones: a store
		// whose ETag is a content hash (S3) keeps the ETag on an identical
		// rewrite, and a second if-match would then rightly succeed.
		w = race(t, s, key, objectstore.IfMatch(a.ETag), "if-match")
		if len(w) != 1 {
			t.Fatalf("round %d: %d if-match puts won, want exactly 1 (%v)", r, len(w), w)
		}
		if b, _ := mustGet(t, s, key); string(b) != fmt.Sprintf("writer %d if-match", w[0]) {
			t.Fatalf("round %d: if-match winner was %d but the store holds %q", r, w[0], b)
		}
	}
}

func (su *suite) testCorruption(t *testing.T, s objectstore.Store, p string) {
	if su.opts.Corrupt == nil {
		t.Skip("no Corrupt hook for this store")
	}
	ctx := t.Context()
	key := p + "obj"
	const n = 200_000
	data := pattern(n, 3)
	mustPut(t, s, key, data)
	su.opts.Corrupt(t, s, key)
	if b, _, err := s.Get(ctx, key); !errors.Is(err, objectstore.ErrCorrupt) || b != nil {
		t.Errorf("Get(corrupt) = %d bytes, %v; want nil, ErrCorrupt", len(b), err)
	}
	if b, _, err := s.GetRange(ctx, key, 0, -1); !errors.Is(err, objectstore.ErrCorrupt) || b != nil {
		t.Errorf("GetRange(corrupt, 0, -1) = %d bytes, %v; want nil, ErrCorrupt", len(b), err)
	}
	// Every range either fails with ErrCorrupt or returns the bytes that
	// were written; at least one range must fail.
	failed := 0
	const step = 4096
	for off := int64(0); off < n; off += step {
		b, _, err := s.GetRange(ctx, key, off, step)
		switch {
		case errors.Is(err, objectstore.ErrCorrupt):
			failed++
			if b != nil {
				t.Errorf("GetRange(corrupt, %d) returned %d bytes with ErrCorrupt", off, len(b))
			}
		case err != nil:
			t.Errorf("GetRange(corrupt, %d): %v", off, err)
		case !bytes.Equal(b, data[off:min(off+step, n)]):
			t.Fatalf("GetRange(corrupt, %d) served corrupt bytes", off)
		}
	}
	if failed == 0 {
		t.Errorf("no ranged read of the corrupt object failed")
	}
	// Overwriting heals the object.
	mustPut(t, s, key, data)
	if b, _ := mustGet(t, s, key); !bytes.Equal(b, data) {
		t.Errorf("Get after rewriting a corrupt object returned different bytes")
	}
}

func testContextCanceled(t *testing.T, s objectstore.Store, p string) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	key := p + "obj"
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context err = %v, want context.Canceled", op, err)
		}
	}
	_, err := s.Put(ctx, key, []byte("x"), objectstore.Condition{})
	check("Put", err)
	if _, err := s.Head(t.Context(), key); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("Put with a canceled context stored the object: Head err = %v", err)
	}
	mustPut(t, s, key, []byte("x"))
	_, _, err = s.Get(ctx, key)
	check("Get", err)
	_, _, err = s.GetRange(ctx, key, 0, 1)
	check("GetRange", err)
	_, err = s.Head(ctx, key)
	check("Head", err)
	_, err = s.List(ctx, objectstore.ListOptions{Prefix: p})
	check("List", err)
	check("Delete", s.Delete(ctx, key))
	if _, err := s.Head(t.Context(), key); err != nil {
		t.Errorf("Delete with a canceled context removed the object: Head err = %v", err)
	}
}
