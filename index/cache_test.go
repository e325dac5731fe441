package index

import (
	"fmt"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// testSegment returns a decoded segment of n rows of dimension 4.
func testSegment(t *testing.T, n int) *segment {
	t.Helper()
	recs := make([]neighborhoods.Record, n)
	for i := range recs {
		recs[i] = neighborhoods.Record{Key: fmt.Sprintf("k%04d", i), Vector: []float32{float32(i), 1, 2, 3}, Seq: uint64(i + 1),
			Metadata: []byte(`{"genre":"noir","year":1999}`)}
	}
	data, err := neighborhoods.EncodeSegment(4, neighborhoods.Euclidean, recs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := decode("seg", data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCacheChargesDerivedBytes: what queries derive from a cached segment
// counts against the cache budget and can evict; a charge to a segment no
// longer cached changes nothing; the count is always the sum of what the
// cached segments were charged.
func TestCacheChargesDerivedBytes(t *testing.T) {
	a, b := testSegment(t, 200), testSegment(t, 200)
	c := newSegmentCache(a.size + b.size + 1000)
	c.add("b", b)
	c.add("a", a) // a is the most recently used
	used, _ := c.usage()
	if used != a.size+b.size {
		t.Fatalf("used %d, want %d", used, a.size+b.size)
	}
	// Building a's key map and parsed metadata charges the cache.
	a.row("k0001")
	a.metadata(0)
	if a.extra.Load() < 200*mapEntryBytes {
		t.Fatalf("a's derived bytes %d, want at least %d", a.extra.Load(), 200*mapEntryBytes)
	}
	// That exceeded the budget: b, the least recently used, went.
	c.mu.Lock()
	_, haveA := c.entries["a"]
	_, haveB := c.entries["b"]
	c.mu.Unlock()
	if !haveA || haveB {
		t.Fatalf("after a grew: cached a=%v b=%v, want a only", haveA, haveB)
	}
	used, _ = c.usage()
	if used != a.size+a.extra.Load() {
		t.Fatalf("used %d, want a's footprint %d", used, a.size+a.extra.Load())
	}
	// b is no longer cached: deriving from it charges b, not the cache.
	b.row("k0002")
	if u, _ := c.usage(); u != used {
		t.Fatalf("a charge to an evicted segment changed the cache's count %d -> %d", used, u)
	}
	if b.owner.Load() != nil {
		t.Fatal("an evicted segment still names its cache")
	}
	// Re-adding b counts its whole footprint, derived bytes included.
	c.add("b", b)
	c.mu.Lock()
	var sum int64
	for _, e := range c.entries {
		sum += e.Value.(*cacheEntry).seg.charged
	}
	got := c.used
	c.mu.Unlock()
	if got != sum {
		t.Fatalf("used %d, sum of charges %d", got, sum)
	}
}
