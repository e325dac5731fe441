package objectstore_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

func newCache(t testing.TB, s objectstore.Store, opts objectstore.CacheOptions) *objectstore.Cache {
	t.Helper()
	c, err := objectstore.NewCache(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCacheSuite(t *testing.T) {
	m := mem.New()
	c := newCache(t, m, objectstore.CacheOptions{MaxBytes: 1 << 20})
	storetest.Run(t, func(*testing.T) objectstore.Store { return c }, storetest.Options{Corrupt: corruptMem(m, "")})
	if st := c.Stats(); st.Hits == 0 || st.Misses == 0 {
		t.Errorf("suite ran with stats %+v", st)
	}
}

func TestCacheDiskSuite(t *testing.T) {
	m := mem.New()
	// A memory tier smaller than most objects, so reads go to disk.
	c := newCache(t, m, objectstore.CacheOptions{MaxBytes: 4 << 10, DiskDir: t.TempDir(), DiskMaxBytes: 1 << 20})
	storetest.Run(t, func(*testing.T) objectstore.Store { return c }, storetest.Options{Corrupt: corruptMem(m, "")})
	if st := c.Stats(); st.DiskEntries == 0 {
		t.Errorf("suite ran with stats %+v, want objects on disk", st)
	}
}

func TestCacheHitsMissesAndRanges(t *testing.T) {
	ctx := t.Context()
	inner := objectstore.NewMetrics(mem.New())
	c := newCache(t, inner, objectstore.CacheOptions{MaxBytes: 1 << 20})
	data := bytes.Repeat([]byte("0123456789"), 1000)
	if _, err := c.Put(ctx, "k", data, objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	b1, a1, err := c.Get(ctx, "k")
	if err != nil || !bytes.Equal(b1, data) || a1.Size != int64(len(data)) {
		t.Fatalf("Get = %d bytes, %+v, %v", len(b1), a1, err)
	}
	b2, _, err := c.Get(ctx, "k")
	if err != nil || &b2[0] != &b1[0] {
		t.Errorf("second Get: %v; shared slice %v, want the cached slice itself", err, err == nil && &b2[0] == &b1[0])
	}
	r, ra, err := c.GetRange(ctx, "k", 995, 10)
	if err != nil || string(r) != "5678901234" || ra.Size != int64(len(data)) {
		t.Errorf("GetRange = %q, %+v, %v", r, ra, err)
	}
	if _, _, err := c.GetRange(ctx, "k", int64(len(data))+1, 1); err == nil {
		t.Errorf("GetRange past the end of a cached object succeeded")
	}
	snap := inner.Snapshot()
	if g, gr := snap.Ops[objectstore.OpGet].Calls, snap.Ops[objectstore.OpGetRange].Calls; g != 1 || gr != 0 {
		t.Errorf("store saw %d Gets and %d GetRanges, want 1 and 0", g, gr)
	}
	st := c.Stats()
	if st.Misses != 1 || st.Hits != 3 || st.Entries != 1 || st.Bytes < int64(len(data)) {
		t.Errorf("Stats = %+v, want 1 miss, 3 hits, 1 entry", st)
	}
	// A put through the cache invalidates; the next Get sees the new bytes.
	if _, err := c.Put(ctx, "k", []byte("new"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	if b, _, err := c.Get(ctx, "k"); err != nil || string(b) != "new" {
		t.Errorf("Get after Put = %q, %v", b, err)
	}
	if err := c.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "k"); err == nil {
		t.Errorf("Get after Delete succeeded")
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := t.Context()
	m := mem.New()
	const max = 5000
	c := newCache(t, m, objectstore.CacheOptions{MaxBytes: max})
	for i := range 10 {
		key := fmt.Sprintf("k%d", i)
		if _, err := m.Put(ctx, key, make([]byte, 1000), objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Get(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Get(ctx, "k0"); err != nil { // keep k0 hot
			t.Fatal(err)
		}
		if st := c.Stats(); st.Bytes > max {
			t.Fatalf("after %d objects the cache holds %d bytes, bound %d", i+1, st.Bytes, max)
		}
	}
	st := c.Stats()
	if st.Evictions == 0 || st.Entries >= 10 {
		t.Errorf("Stats = %+v, want evictions", st)
	}
	before := c.Stats().Misses
	if _, _, err := c.Get(ctx, "k0"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "k9"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if got := c.Stats().Misses - before; got != 1 {
		t.Errorf("reading k0 (hot), k9 (newest), k1 (oldest) missed %d times, want 1 (k1)", got)
	}
	// An object larger than the whole cache is served but not kept.
	if _, err := m.Put(ctx, "big", make([]byte, 2*max), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	if b, _, err := c.Get(ctx, "big"); err != nil || len(b) != 2*max {
		t.Fatalf("Get(big) = %d bytes, %v", len(b), err)
	}
	if st := c.Stats(); st.Bytes > max {
		t.Errorf("cache holds %d bytes after an oversized object, bound %d", st.Bytes, max)
	}
}

// TestCacheSingleFlight: concurrent misses of one key fetch it once.
func TestCacheSingleFlight(t *testing.T) {
	ctx := t.Context()
	m := mem.New()
	if _, err := m.Put(ctx, "k", []byte("shared"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	inner := objectstore.NewMetrics(objectstore.NewFaults(m, objectstore.Latency(20*time.Millisecond)))
	c := newCache(t, inner, objectstore.CacheOptions{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if b, _, err := c.Get(ctx, "k"); err != nil || string(b) != "shared" {
				t.Errorf("Get = %q, %v", b, err)
			}
		})
	}
	wg.Wait()
	if n := inner.Snapshot().Ops[objectstore.OpGet].Calls; n != 1 {
		t.Errorf("16 concurrent Gets reached the store %d times, want 1", n)
	}
}

func TestCacheCacheable(t *testing.T) {
	ctx := t.Context()
	inner := objectstore.NewMetrics(mem.New())
	c := newCache(t, inner, objectstore.CacheOptions{Cacheable: func(k string) bool { return filepath.Dir(k) == "nbhd" }})
	for _, k := range []string{"nbhd/1", "manifest/1"} {
		if _, err := c.Put(ctx, k, []byte(k), objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if b, _, err := c.Get(ctx, k); err != nil || string(b) != k {
				t.Fatalf("Get(%s) = %q, %v", k, b, err)
			}
		}
	}
	if n := inner.Snapshot().Ops[objectstore.OpGet].Calls; n != 4 {
		t.Errorf("store saw %d Gets, want 1 (nbhd/1, cached) + 3 (manifest/1, not cacheable)", n)
	}
}

func TestCacheDiskTier(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	m := mem.New()
	data := bytes.Repeat([]byte("abcdefgh"), 8192) // 64 KiB
	if _, err := m.Put(ctx, "obj", data, objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	c1 := newCache(t, m, objectstore.CacheOptions{DiskDir: dir})
	if _, _, err := c1.Get(ctx, "obj"); err != nil {
		t.Fatal(err)
	}
	if st := c1.Stats(); st.DiskEntries != 1 || st.DiskBytes <= int64(len(data)) {
		t.Fatalf("after one miss: %+v, want one disk entry", st)
	}

	// A new cache on the same directory (a restart) serves from disk.
	inner := objectstore.NewMetrics(m)
	c2 := newCache(t, inner, objectstore.CacheOptions{DiskDir: dir})
	b, a, err := c2.Get(ctx, "obj")
	if err != nil || !bytes.Equal(b, data) || a.Size != int64(len(data)) || a.CRC32C != objectstore.Checksum(data) || a.ETag == "" {
		t.Fatalf("Get from disk = %d bytes, %+v, %v", len(b), a, err)
	}
	if n := inner.Snapshot().Ops[objectstore.OpGet].Calls; n != 0 || c2.Stats().DiskHits != 1 {
		t.Errorf("restart: store Gets %d, stats %+v; want 0 and 1 disk hit", n, c2.Stats())
	}

	// Damage the file: the cache drops it and refetches from the store.
	files, _ := filepath.Glob(filepath.Join(dir, "*.obj"))
	if len(files) != 1 {
		t.Fatalf("disk tier files: %v", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-100] ^= 1
	if err := os.WriteFile(files[0], raw, 0o644); err != nil {
		t.Fatal(err)
	}
	c3 := newCache(t, inner, objectstore.CacheOptions{DiskDir: dir})
	if b, _, err := c3.GetRange(ctx, "obj", 0, 8); err != nil || string(b) != "abcdefgh" {
		t.Fatalf("GetRange over a damaged disk file = %q, %v", b, err)
	}
	if b, _, err := c3.Get(ctx, "obj"); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("Get over a damaged disk file = %d bytes, %v", len(b), err)
	}
	if st := c3.Stats(); st.DiskCorrupt != 1 || st.Misses != 1 {
		t.Errorf("stats after damage: %+v, want 1 corrupt file and 1 miss", st)
	}

	// The disk tier stays within its bound.
	c4 := newCache(t, m, objectstore.CacheOptions{MaxBytes: 1024, DiskDir: t.TempDir(), DiskMaxBytes: 3 * 70_000})
	for i := range 6 {
		key := fmt.Sprintf("o%d", i)
		if _, err := m.Put(ctx, key, data, objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c4.Get(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if st := c4.Stats(); st.DiskBytes > 3*70_000 || st.DiskEntries != 3 || st.DiskEvictions != 3 {
		t.Errorf("bounded disk tier: %+v", st)
	}
}

func benchCacheGet(b *testing.B, opts objectstore.CacheOptions, size int, ranged bool) {
	m := mem.New()
	data := bytes.Repeat([]byte{7}, size)
	if _, err := m.Put(b.Context(), "obj", data, objectstore.Condition{}); err != nil {
		b.Fatal(err)
	}
	c := newCache(b, m, opts)
	if _, _, err := c.Get(b.Context(), "obj"); err != nil {
		b.Fatal(err)
	}
	if ranged {
		b.SetBytes(4 << 10)
	} else {
		b.SetBytes(int64(size))
	}
	for b.Loop() {
		var got []byte
		var err error
		if ranged {
			got, _, err = c.GetRange(b.Context(), "obj", 12345, 4<<10)
		} else {
			got, _, err = c.Get(b.Context(), "obj")
		}
		if err != nil || len(got) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheGet1MiBMemory: a memory hit of a 1 MiB object (zero copy).
func BenchmarkCacheGet1MiBMemory(b *testing.B) {
	benchCacheGet(b, objectstore.CacheOptions{MaxBytes: 4 << 20}, 1<<20, false)
}

// BenchmarkCacheGetRange4KiBMemory: a 4 KiB range of a cached 1 MiB object.
func BenchmarkCacheGetRange4KiBMemory(b *testing.B) {
	benchCacheGet(b, objectstore.CacheOptions{MaxBytes: 4 << 20}, 1<<20, true)
}

// BenchmarkCacheGet1MiBDisk: the memory tier is too small, so every Get is
// a disk-tier hit (read the file, verify its CRC32C).
func BenchmarkCacheGet1MiBDisk(b *testing.B) {
	benchCacheGet(b, objectstore.CacheOptions{MaxBytes: 64 << 10, DiskDir: b.TempDir(), DiskMaxBytes: 64 << 20}, 1<<20, false)
}

// BenchmarkCacheStore runs the common backend benchmarks through a cache on
// mem (puts invalidate; gets hit).
func BenchmarkCacheStore(b *testing.B) {
	storetest.Bench(b, newCache(b, mem.New(), objectstore.CacheOptions{}))
}

// TestCacheReadAfterWriteUnderLoad: while readers keep fetching a key (so
// fills of old versions are in flight), each Put through the cache is seen
// by the writer's next Get, in both tiers.
func TestCacheReadAfterWriteUnderLoad(t *testing.T) {
	for _, disk := range []bool{false, true} {
		t.Run(fmt.Sprintf("disk=%v", disk), func(t *testing.T) {
			ctx := t.Context()
			opts := objectstore.CacheOptions{MaxBytes: 1 << 20}
			if disk {
				opts = objectstore.CacheOptions{MaxBytes: 64, DiskDir: t.TempDir()} // memory too small: disk only
			}
			inner := objectstore.NewFaults(mem.New(), objectstore.Latency(50*time.Microsecond))
			c := newCache(t, inner, opts)
			stop := make(chan struct{})
			var readers sync.WaitGroup
			for r := range 4 {
				readers.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						_, _, _ = c.Get(ctx, fmt.Sprintf("k%d", r%2))
						if !disk {
							runtime.Gosched() // memory hits would otherwise starve the writers
						}
					}
				})
			}
			var writers sync.WaitGroup
			for w := range 2 {
				writers.Go(func() {
					key := fmt.Sprintf("k%d", w)
					for i := range 300 {
						v := fmt.Sprintf("%s-v%d", key, i)
						if _, err := c.Put(ctx, key, []byte(v), objectstore.Condition{}); err != nil {
							t.Error(err)
							return
						}
						if b, _, err := c.Get(ctx, key); err != nil || string(b) != v {
							t.Errorf("Get after Put(%s) = %q, %v", v, b, err)
							return
						}
					}
				})
			}
			writers.Wait()
			close(stop)
			readers.Wait()
		})
	}
}
