package index

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// TestFilteredQueryReturnsAllMatches checks that a selective filter returns
// min(topK, matches) results, not fewer, in approximate mode.
func TestFilteredQueryReturnsAllMatches(t *testing.T) {
	ctx := context.Background()
	const dim, n = 16, 3000
	ix := newTestIndex(t, IndexConfig{Dimension: dim, Metric: neighborhoods.Cosine}, Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 50, Seed: 3}})
	r := rand.New(rand.NewPCG(5, 5))
	for lo := 0; lo < n; lo += 500 {
		batch := make([]Vector, 500)
		for j := range batch {
			i := lo + j
			batch[j] = Vector{Key: fmt.Sprintf("k%05d", i), Data: randVec(r, dim), Metadata: json.RawMessage(fmt.Sprintf(`{"c":%d,"tags":["t%d","all"]}`, i%300, i%7))}
		}
		if err := ix.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		filter      string
		topK, want  int
		prefiltered bool
	}{
		{`{"c":7}`, 50, 10, true},                  // 0.3%: all 10 matches
		{`{"c":{"$in":[1,2,3]}}`, 100, 30, true},   // 1%
		{`{"c":{"$lt":150}}`, 20, 20, false},       // 50%
		{`{"tags":"t3"}`, 5000, (n + 3) / 7, true}, // list value, any element
		{`{"$and":[{"c":{"$gte":0}},{"tags":"all"}]}`, 7, 7, false},
		{`{"c":-1}`, 10, 0, true}, // nothing matches
	}
	for _, c := range cases {
		res, st, err := ix.Query(ctx, QueryRequest{Vector: randVec(r, dim), TopK: c.topK, Filter: json.RawMessage(c.filter)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != c.want {
			t.Errorf("filter %s topK %d: %d results, want %d (stats %+v)", c.filter, c.topK, len(res), c.want, st)
		}
		if st.Prefiltered != c.prefiltered {
			t.Errorf("filter %s: prefiltered = %v, want %v", c.filter, st.Prefiltered, c.prefiltered)
		}
		for i := 1; i < len(res); i++ {
			if res[i].Distance < res[i-1].Distance {
				t.Errorf("filter %s: results not sorted by distance", c.filter)
				break
			}
		}
	}
}

// TestFilteredRecallFashionMNIST: class labels as metadata; a filter on one
// class (10%) and one on 1% of the vectors both return min(topK, matches)
// results with recall@10 ≥ 0.95 against exact filtered search.
func TestFilteredRecallFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads Fashion-MNIST")
	}
	ctx := context.Background()
	n := 30000
	ds, err := datasets.Load(ctx, "fashion-mnist-784-euclidean", datasets.LoadOptions{MaxTrain: n, MaxTest: 200, NoInstall: os.Getenv("CI") == ""})
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Fashion-MNIST: %v", err)
		}
		t.Skipf("Fashion-MNIST not installed: %v", err)
	}
	ix := newTestIndex(t, IndexConfig{Dimension: ds.Dim, Metric: neighborhoods.Euclidean}, Options{Indexer: IndexerOptions{Disabled: true, Seed: 1}})
	for lo := 0; lo < n; lo += 500 {
		batch := make([]Vector, 0, 500)
		for i := lo; i < min(n, lo+500); i++ {
			md := fmt.Sprintf(`{"class":%d,"shard":%d}`, ds.TrainLabels[i], i%10)
			batch = append(batch, Vector{Key: fmt.Sprintf("v%05d", i), Data: ds.TrainVec(i), Metadata: json.RawMessage(md)})
		}
		if err := ix.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"class (10%)", "class+shard (1%)"} {
		var hits, total, short int
		for q := range ds.NTest {
			// A class other than the query's own, so the filter is not
			// simply "the query's neighbourhood".
			class := (int(ds.TestLabels[q]) + 1 + q%9) % 10
			f := fmt.Sprintf(`{"class":%d}`, class)
			if name != "class (10%)" {
				f = fmt.Sprintf(`{"class":%d,"shard":%d}`, class, q%10)
			}
			req := QueryRequest{Vector: ds.TestVec(q), TopK: 10, Filter: json.RawMessage(f)}
			got, _, err := ix.Query(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			req.Exact = true
			exact, _, err := ix.Query(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < len(exact) {
				short++
			}
			hits += keysFound(exact, got)
			total += len(exact)
		}
		recall := float64(hits) / float64(total)
		t.Logf("filter %s: recall@10 = %.4f over %d queries", name, recall, ds.NTest)
		if recall < 0.95 || short > 0 {
			t.Errorf("filter %s: recall@10 = %.4f (want ≥ 0.95), %d queries returned fewer than min(topK, matches)", name, recall, short)
		}
	}
}
