package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// putTagged writes n vectors k000..: metadata {"n": i, "even": i%2==0}.
func putTagged(t *testing.T, ix *Index, n int) {
	t.Helper()
	ctx := context.Background()
	for lo := 0; lo < n; lo += MaxVectorsPerWrite {
		var vs []Vector
		for i := lo; i < min(n, lo+MaxVectorsPerWrite); i++ {
			md := fmt.Sprintf(`{"n":%d,"even":%v,"text":"t%d"}`, i, i%2 == 0, i)
			vs = append(vs, Vector{Key: fmt.Sprintf("k%04d", i), Data: []float32{float32(i) + 1, 1, float32(i % 7)}, Metadata: json.RawMessage(md)})
		}
		if err := ix.Put(ctx, vs); err != nil {
			t.Fatal(err)
		}
	}
}

func listAll(t *testing.T, ix *Index, o ListVectorsOptions) []string {
	t.Helper()
	var keys []string
	for pages := 0; ; pages++ {
		vs, next, err := ix.List(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			keys = append(keys, v.Key)
		}
		if next == "" {
			return keys
		}
		if pages > 10000 {
			t.Fatal("listing does not end")
		}
		o.Token = next
	}
}

func TestListFilter(t *testing.T) {
	ctx := context.Background()
	for _, folded := range []bool{false, true} {
		t.Run(fmt.Sprintf("folded=%v", folded), func(t *testing.T) {
			ix := newTestIndex(t, IndexConfig{Dimension: 3, Metric: neighborhoods.Euclidean, NonFilterableKeys: []string{"text"}},
				Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 64, Seed: 1}})
			putTagged(t, ix, 600)
			if folded {
				if err := ix.Compact(ctx); err != nil {
					t.Fatal(err)
				}
				// One overwrite in the WAL on top of the neighborhoods: k0002 is no longer even.
				if err := ix.Put(ctx, []Vector{{Key: "k0002", Data: []float32{1, 2, 3}, Metadata: json.RawMessage(`{"n":2,"even":false}`)}}); err != nil {
					t.Fatal(err)
				}
			}
			var want []string
			for i := 0; i < 600; i += 2 {
				if folded && i == 2 {
					continue
				}
				if i >= 100 {
					want = append(want, fmt.Sprintf("k%04d", i))
				}
			}
			flt := json.RawMessage(`{"$and":[{"even":true},{"n":{"$gte":100}}]}`)
			got := listAll(t, ix, ListVectorsOptions{MaxResults: 7, Filter: flt})
			if !slices.Equal(got, want) {
				t.Fatalf("filtered list: got %d keys %v..., want %d", len(got), got[:min(5, len(got))], len(want))
			}
			// Segments partition the matches.
			var union []string
			for seg := range 3 {
				union = append(union, listAll(t, ix, ListVectorsOptions{MaxResults: 11, SegmentCount: 3, SegmentIndex: seg, Filter: flt})...)
			}
			slices.Sort(union)
			if !slices.Equal(union, want) {
				t.Fatalf("segments: got %d keys, want %d", len(union), len(want))
			}
			// A non-filterable key is refused as in QueryVectors.
			_, _, err := ix.List(ctx, ListVectorsOptions{Filter: json.RawMessage(`{"text":"t1"}`)})
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.HasPrefix(ve.Field, "vectorbucket.filter") {
				t.Fatalf("non-filterable key: got %v, want a ValidationError on vectorbucket.filter", err)
			}
		})
	}
}

func TestDeleteMatching(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t, IndexConfig{Dimension: 3, Metric: neighborhoods.Euclidean},
		Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 64, Seed: 1}})
	putTagged(t, ix, 1000)
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	putTagged(t, ix, 10) // k0000..k0009 again, now in the WAL
	before, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := ix.DeleteMatching(ctx, json.RawMessage(`{"n":{"$lt":300},"even":true}`))
	if err != nil || n != 150 {
		t.Fatalf("DeleteMatching = %d, %v; want 150", n, err)
	}
	after, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.m.Neighborhoods) < 2 || len(before.m.WAL) == 0 {
		t.Fatalf("want neighborhoods and a WAL tail, got %d neighborhoods, %d WAL objects", len(before.m.Neighborhoods), len(before.m.WAL))
	}
	if after.m.Seq != before.m.Seq+1 {
		t.Fatalf("delete by filter took generations %d..%d, want exactly one commit", before.m.Seq, after.m.Seq)
	}
	keys := listAll(t, ix, ListVectorsOptions{})
	if len(keys) != 850 {
		t.Fatalf("%d keys left, want 850", len(keys))
	}
	for _, k := range keys {
		var i int
		fmt.Sscanf(k, "k%d", &i)
		if i < 300 && i%2 == 0 {
			t.Fatalf("%s survived", k)
		}
	}
	res, _, err := ix.Query(ctx, QueryRequest{Vector: []float32{1, 1, 0}, TopK: 5, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 || res[0].Key != "k0001" {
		t.Fatalf("query after delete: %v, want k0001 first", res)
	}
	// Nothing matches: nothing is committed.
	n, err = ix.DeleteMatching(ctx, json.RawMessage(`{"n":{"$gt":5000}}`))
	if err != nil || n != 0 {
		t.Fatalf("no match: %d, %v", n, err)
	}
	if again, _ := ix.current(ctx); again.m.Seq != after.m.Seq {
		t.Fatalf("a delete of nothing committed generation %d", again.m.Seq)
	}
	for _, bad := range []string{``, `null`, `{"n":{"$bogus":1}}`} {
		if _, err := ix.DeleteMatching(ctx, json.RawMessage(bad)); !errors.Is(err, ErrValidation) {
			t.Fatalf("filter %q: got %v, want ErrValidation", bad, err)
		}
	}
	// A folded delete stays deleted.
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if keys := listAll(t, ix, ListVectorsOptions{}); len(keys) != 850 {
		t.Fatalf("after fold %d keys, want 850", len(keys))
	}
}

// TestDeleteMatchingRace checks that a put committed after the generation
// DeleteMatching read survives: the delete's commit loses the race and is
// recomputed.
func TestDeleteMatchingRace(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t, IndexConfig{Dimension: 3, Metric: neighborhoods.Euclidean}, Options{Indexer: IndexerOptions{Disabled: true}})
	putTagged(t, ix, 20)
	v, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ix.matchingKeys(ctx, v, mustFilter(t, ix, `{"even":true}`))
	if err != nil || len(keys) != 10 {
		t.Fatalf("matchingKeys: %d, %v", len(keys), err)
	}
	// k0000 is rewritten as odd by another writer first.
	if err := ix.Put(ctx, []Vector{{Key: "k0000", Data: []float32{1, 1, 1}, Metadata: json.RawMessage(`{"even":false}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := ix.commitDeletes(ctx, v, keys); !errors.Is(err, errConflictRetry) {
		t.Fatalf("stale commit: got %v, want errConflictRetry", err)
	}
	n, err := ix.DeleteMatching(ctx, json.RawMessage(`{"even":true}`))
	if err != nil || n != 9 {
		t.Fatalf("DeleteMatching = %d, %v; want 9", n, err)
	}
	got, err := ix.Get(ctx, []string{"k0000"}, GetOptions{})
	if err != nil || len(got) != 1 {
		t.Fatalf("k0000 lost: %v, %v", got, err)
	}
}

func mustFilter(t *testing.T, ix *Index, s string) *rowFilter {
	t.Helper()
	f, err := ix.compileFilter(json.RawMessage(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFilterableBudget(t *testing.T) {
	ctx := context.Background()
	big := json.RawMessage(`{"s":"` + strings.Repeat("x", 5000) + `"}`)
	def := newTestIndex(t, IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}, Options{Indexer: IndexerOptions{Disabled: true}})
	if err := def.Put(ctx, []Vector{{Key: "a", Data: []float32{1, 2}, Metadata: big}}); !errors.Is(err, ErrValidation) {
		t.Fatalf("default budget: got %v, want ErrValidation", err)
	}
	ix := newTestIndex(t, IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean, MaxFilterableMetadataBytes: 8192}, Options{Indexer: IndexerOptions{Disabled: true}})
	if err := ix.Put(ctx, []Vector{{Key: "a", Data: []float32{1, 2}, Metadata: big}}); err != nil {
		t.Fatalf("8 KB budget: %v", err)
	}
	huge := json.RawMessage(`{"s":"` + strings.Repeat("x", 9000) + `"}`)
	if err := ix.Put(ctx, []Vector{{Key: "b", Data: []float32{1, 2}, Metadata: huge}}); !errors.Is(err, ErrValidation) {
		t.Fatalf("over 8 KB: got %v, want ErrValidation", err)
	}
	if got := ix.Info().Config.MaxFilterableMetadataBytes; got != 8192 {
		t.Fatalf("persisted budget %d", got)
	}
	db := newTestDB(t, Options{})
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []int{1, 2047, 65537} {
		_, err := db.CreateIndex(ctx, "bkt", fmt.Sprintf("i%d", bad), IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean, MaxFilterableMetadataBytes: bad}, nil)
		if !errors.Is(err, ErrValidation) {
			t.Fatalf("budget %d: got %v, want ErrValidation", bad, err)
		}
	}
}

// TestOldConfigRecordReads checks that an index record written before the
// extensions (no maxFilterableMetadataBytes, metric cosine) still decodes.
func TestOldConfigRecordReads(t *testing.T) {
	var c IndexConfig
	if err := json.Unmarshal([]byte(`{"dataType":"float32","dimension":4,"metric":"cosine","encryption":{}}`), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil || c.Metric != neighborhoods.Cosine || c.MaxFilterableMetadataBytes != 0 {
		t.Fatalf("old record: %+v, %v", c, err)
	}
	b, _ := json.Marshal(IndexConfig{Dimension: 4, Metric: neighborhoods.DotProduct, MaxFilterableMetadataBytes: 4096})
	var d IndexConfig
	if err := json.Unmarshal(b, &d); err != nil || d.Metric != neighborhoods.DotProduct || d.MaxFilterableMetadataBytes != 4096 {
		t.Fatalf("round trip of %s: %+v, %v", b, d, err)
	}
}

// variedNorms returns n seeded vectors of dimension dim drawn around 32
// cluster centers, each scaled by a norm in [0.25, 4): inner-product search
// then differs from cosine and from L2.
func variedNorms(n, dim int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	centers := make([]float32, 32*dim)
	for i := range centers {
		centers[i] = float32(rng.NormFloat64())
	}
	out := make([]float32, n*dim)
	for i := range n {
		c := centers[rng.IntN(32)*dim:]
		v := out[i*dim : (i+1)*dim]
		var nn float64
		for x := range v {
			v[x] = c[x] + 0.6*float32(rng.NormFloat64())
			nn += float64(v[x]) * float64(v[x])
		}
		scale := (0.25 + 3.75*rng.Float64()) / math.Sqrt(nn)
		for x := range v {
			v[x] *= float32(scale)
		}
	}
	return out
}

// TestDotProductRecall measures recall@10 of default (approximate) dot
// product queries against brute force on 20,000 seeded 64-d vectors with
// norms varying 16-fold, folded into neighborhoods.
func TestDotProductRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds neighborhoods of 20,000 vectors")
	}
	ctx := context.Background()
	const n, dim, nq, k = 20000, 64, 100, 10
	data := variedNorms(n+nq, dim, 3)
	ix := newTestIndex(t, IndexConfig{Dimension: dim, Metric: neighborhoods.DotProduct},
		Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 500, Seed: 1}})
	for lo := 0; lo < n; lo += MaxVectorsPerWrite {
		var vs []Vector
		for i := lo; i < lo+MaxVectorsPerWrite; i++ {
			vs = append(vs, Vector{Key: fmt.Sprint(i), Data: data[i*dim : (i+1)*dim]})
		}
		if err := ix.Put(ctx, vs); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	v, _ := ix.current(ctx)
	if len(v.m.Neighborhoods) < 10 {
		t.Fatalf("%d neighborhoods, want a clustered index", len(v.m.Neighborhoods))
	}
	found, probed := 0, 0
	for qi := range nq {
		q := data[(n+qi)*dim : (n+qi+1)*dim]
		// Brute force: the k largest inner products.
		top := neighborhoods.NewTopK(k)
		neighborhoods.ScanVectors(data[:n*dim], dim, neighborhoods.DotProduct, q, top, 0, nil)
		truth := map[string]bool{}
		for _, h := range top.Sorted(nil) {
			truth[fmt.Sprint(h.Row)] = true
		}
		res, stats, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: k})
		if err != nil {
			t.Fatal(err)
		}
		probed += stats.NeighborhoodsProbed
		for i, r := range res {
			if truth[r.Key] {
				found++
			}
			if i > 0 && r.Distance < res[i-1].Distance {
				t.Fatalf("results not ordered by −(q·v): %v", res)
			}
		}
		if want := -neighborhoods.Dot(q, data[mustAtoi(res[0].Key)*dim:][:dim]); math.Abs(float64(res[0].Distance-want)) > 1e-4 {
			t.Fatalf("distance %v, want −(q·v) = %v", res[0].Distance, want)
		}
	}
	recall := float64(found) / float64(nq*k)
	t.Logf("dot product recall@10 = %.3f, %.1f of %d neighborhoods probed per query", recall, float64(probed)/nq, len(v.m.Neighborhoods))
	if recall < 0.85 {
		t.Fatalf("recall@10 = %.3f, want ≥ 0.85", recall)
	}
}

func mustAtoi(s string) int {
	var i int
	fmt.Sscan(s, &i)
	return i
}
