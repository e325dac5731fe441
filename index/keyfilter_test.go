package index

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// TestKeyFilterFalsePositives: no false negatives, and about 1 % false
// positives, also for small filters of similar short keys (the case that
// unmixed FNV hashes got wrong).
func TestKeyFilterFalsePositives(t *testing.T) {
	for _, n := range []int{20, 256, 1000} {
		f := newKeyFilter(n)
		for i := range n {
			f.add(fmt.Sprintf("k%04d", i))
		}
		for i := range n {
			if !f.mayContain(hashKey(fmt.Sprintf("k%04d", i))) {
				t.Fatalf("n=%d: k%04d added but not found", n, i)
			}
		}
		fp := 0
		for i := n; i < n+20000; i++ {
			if f.mayContain(hashKey(fmt.Sprintf("k%04d", i))) {
				fp++
			}
		}
		if rate := float64(fp) / 20000; rate > 0.03 {
			t.Errorf("n=%d: false positive rate %.4f, want about 0.01", n, rate)
		}
	}
}

func TestKeyFilterTable(t *testing.T) {
	refs := []nbhdRef{{Object: "data/x/nbhd/a.arrow"}, {Object: "data/x/nbhd/b.arrow"}}
	fs := []keyFilter{newKeyFilter(3), newKeyFilter(300)}
	fs[0].add("k1")
	fs[1].add("k2")
	data := encodeKeyFilters([]string{refs[0].Object, refs[1].Object}, fs)
	got, err := decodeKeyFilters(data, refs)
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].mayContain(hashKey("k1")) || !got[1].mayContain(hashKey("k2")) || len(got[1]) != len(fs[1]) {
		t.Fatalf("decoded filters differ")
	}
	// A table of other neighborhoods, a flipped byte, a short table: refused.
	if _, err := decodeKeyFilters(data, []nbhdRef{refs[1], refs[0]}); !errors.Is(err, errKeyFilterTable) {
		t.Errorf("rows for other neighborhoods: %v", err)
	}
	if _, err := decodeKeyFilters(data, refs[:1]); !errors.Is(err, errKeyFilterTable) {
		t.Errorf("row count mismatch: %v", err)
	}
	bad := slices.Clone(data)
	bad[len(bad)/2] ^= 1
	if _, err := decodeKeyFilters(bad, refs); !errors.Is(err, errKeyFilterTable) {
		t.Errorf("flipped byte: %v", err)
	}
	if _, err := decodeKeyFilters(data[:len(data)-5], refs); !errors.Is(err, errKeyFilterTable) {
		t.Errorf("truncated: %v", err)
	}
}

// nbhdReads counts Gets of neighborhood objects.
type nbhdReads struct {
	objectstore.Store
	n atomic.Int64
}

func (c *nbhdReads) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	if strings.Contains(key, "/nbhd/") {
		c.n.Add(1)
	}
	return c.Store.Get(ctx, key)
}

// TestGetReadsOneNeighborhood: GetVectors of a key on a cold handle reads
// the neighborhoods whose key filter may hold it — about one of 20 — and
// still finds every key after an incremental fold (carried filters) and
// without a usable table (every neighborhood, as before).
func TestGetReadsOneNeighborhood(t *testing.T) {
	ctx := context.Background()
	base := mem.New()
	ix := newTestIndexOn(t, base, IndexConfig{Dimension: 4, Metric: neighborhoods.Euclidean}, Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 1}})
	r := rand.New(rand.NewPCG(3, 4))
	want := map[string][]float32{}
	put := func(lo, hi int) {
		var vs []Vector
		for i := lo; i < hi; i++ {
			v := Vector{Key: fmt.Sprintf("k%04d", i), Data: randVec(r, 4)}
			vs = append(vs, v)
			want[v.Key] = v.Data
		}
		if err := ix.Put(ctx, vs); err != nil {
			t.Fatal(err)
		}
		if err := ix.Compact(ctx); err != nil {
			t.Fatal(err)
		}
	}
	put(0, 400)
	put(350, 450) // overwrites 50, adds 50: an incremental fold carries the untouched filters

	check := func(maxReads float64) {
		t.Helper()
		cs := &nbhdReads{Store: base}
		db2, err := Open(ctx, cs, Options{Indexer: IndexerOptions{Disabled: true}})
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		ix2, err := db2.Index(ctx, "bkt", "idx")
		if err != nil {
			t.Fatal(err)
		}
		total := int64(0)
		for k, data := range want {
			db2.cache = newSegmentCache(1 << 30) // cold for every key
			before := cs.n.Load()
			got, err := ix2.Get(ctx, []string{k}, GetOptions{ReturnData: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !slices.Equal(got[0].Data, data) {
				t.Fatalf("Get(%s) = %+v, want %v", k, got, data)
			}
			total += cs.n.Load() - before
		}
		mean := float64(total) / float64(len(want))
		if mean > maxReads {
			t.Errorf("%.2f neighborhood reads per Get, want at most %.2f", mean, maxReads)
		}
		t.Logf("%.3f neighborhood reads per cold Get", mean)
	}
	v, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.m.KeyFilters == "" || len(v.m.Neighborhoods) < 15 {
		t.Fatalf("generation has key filters %q over %d neighborhoods", v.m.KeyFilters, len(v.m.Neighborhoods))
	}
	check(1.3)
	// Without the table every neighborhood is read, and every key is found.
	if err := base.Delete(ctx, v.m.KeyFilters); err != nil {
		t.Fatal(err)
	}
	check(float64(len(v.m.Neighborhoods)))
}
