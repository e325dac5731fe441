package index

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// TestSketchPruningIsExact: on clustered 256-d data with enough
// neighborhoods for a sketch projection, a query probing every neighborhood
// without Exact (pruned by sketches) returns exactly what Exact mode (no
// pruning) returns, with and without a filter and with WAL overwrites
// shadowing indexed rows, while scoring fewer vectors in full.
func TestSketchPruningIsExact(t *testing.T) {
	for _, m := range []neighborhoods.Metric{neighborhoods.Euclidean, neighborhoods.Cosine} {
		t.Run(m.String(), func(t *testing.T) { testSketchPruningIsExact(t, m) })
	}
}

func testSketchPruningIsExact(t *testing.T, metric neighborhoods.Metric) {
	ctx := context.Background()
	const dim, n, clusters = 256, 3000, 40
	ix := newTestIndex(t, IndexConfig{Dimension: dim, Metric: metric}, Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 7}})
	r := rand.New(rand.NewPCG(11, 13))
	centers := make([][]float32, clusters)
	for i := range centers {
		centers[i] = randVec(r, dim)
	}
	point := func() []float32 {
		c := centers[r.IntN(clusters)]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + 0.15*float32(r.NormFloat64())
		}
		return v
	}
	for lo := 0; lo < n; lo += 500 {
		batch := make([]Vector, 500)
		for j := range batch {
			i := lo + j
			batch[j] = Vector{Key: fmt.Sprintf("k%05d", i), Data: point(), Metadata: json.RawMessage(fmt.Sprintf(`{"c":%d}`, i%10))}
		}
		if err := ix.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	// Overwrite some indexed keys in the WAL: the scan must skip their old rows.
	over := make([]Vector, 200)
	for j := range over {
		over[j] = Vector{Key: fmt.Sprintf("k%05d", j*7), Data: point(), Metadata: json.RawMessage(`{"c":3}`)}
	}
	if err := ix.Put(ctx, over); err != nil {
		t.Fatal(err)
	}
	v, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nb := len(v.m.Neighborhoods)
	var io ioStats
	cents, err := v.loadCentroids(ctx, ix, &io)
	if err != nil {
		t.Fatal(err)
	}
	if ix.db.centroids.projection(v.m.Centroids, cents, dim) == nil {
		t.Fatalf("no sketch projection for %d neighborhoods of dim %d", nb, dim)
	}
	pruned, full := 0, 0
	for qi := 0; qi < 30; qi++ {
		q := point()
		for _, f := range []string{"", `{"c":{"$in":[1,3,5,7,9]}}`} {
			for _, k := range []int{1, 10, 100} {
				req := QueryRequest{Vector: q, TopK: k, NProbe: nb}
				if f != "" {
					req.Filter = json.RawMessage(f)
				}
				got, gst, err := ix.Query(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				req.Exact = true
				want, wst, err := ix.Query(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("query %d filter %q k %d: %d results, exact %d", qi, f, k, len(got), len(want))
				}
				for i := range want {
					if got[i].Key != want[i].Key || got[i].Distance != want[i].Distance {
						t.Fatalf("query %d filter %q k %d: result %d is %s %g, exact %s %g", qi, f, k, i, got[i].Key, got[i].Distance, want[i].Key, want[i].Distance)
					}
				}
				pruned += gst.VectorsScored
				full += wst.VectorsScored
			}
		}
	}
	if pruned >= full {
		t.Errorf("sketch pruning scored %d vectors, the full scan %d: nothing pruned", pruned, full)
	}
	t.Logf("%d neighborhoods: scored %d vectors with sketches, %d without", nb, pruned, full)
}

// TestSketchRerank: probing part of the index without a filter re-ranks
// sketch candidates: it returns topK hits with their true distances, nearest
// first, none shadowed by a WAL overwrite, reports itself as not exact, and
// keeps recall@10 against exact search high. (With quantization on,
// unfiltered queries use the quantized scan instead: NoQuantize here.)
func TestSketchRerank(t *testing.T) {
	ctx := context.Background()
	const dim, n, clusters = 256, 3000, 40
	ix := newTestIndex(t, IndexConfig{Dimension: dim, Metric: neighborhoods.Euclidean}, Options{NoQuantize: true, Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 7}})
	r := rand.New(rand.NewPCG(17, 19))
	centers := make([][]float32, clusters)
	for i := range centers {
		centers[i] = randVec(r, dim)
	}
	point := func() []float32 {
		c := centers[r.IntN(clusters)]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + 0.15*float32(r.NormFloat64())
		}
		return v
	}
	data := map[string][]float32{}
	var batch []Vector
	for i := range n {
		key := fmt.Sprintf("k%05d", i)
		data[key] = point()
		batch = append(batch, Vector{Key: key, Data: data[key]})
		if len(batch) == 500 {
			if err := ix.Put(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	over := make([]Vector, 300)
	for j := range over {
		key := fmt.Sprintf("k%05d", j*9)
		data[key] = point()
		over[j] = Vector{Key: key, Data: data[key]}
	}
	if err := ix.Put(ctx, over); err != nil {
		t.Fatal(err)
	}
	var hits, total int
	for qi := 0; qi < 50; qi++ {
		q := point()
		got, st, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 10, NProbe: 12})
		if err != nil {
			t.Fatal(err)
		}
		if st.Exact || st.VectorsScored > neighborhoods.RerankDepth(10)+st.WALVectors {
			t.Fatalf("query %d: stats %+v: want a re-rank of %d candidates", qi, st, neighborhoods.RerankDepth(10))
		}
		want, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 10, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 10 {
			t.Fatalf("query %d: %d results", qi, len(got))
		}
		exact := map[string]bool{}
		for _, w := range want {
			exact[w.Key] = true
		}
		for i, g := range got {
			d := neighborhoods.Euclidean.Distance(q, data[g.Key])
			if diff := d - g.Distance; diff > 1e-3*d || diff < -1e-3*d {
				t.Fatalf("query %d: %s at distance %g, its current vector is at %g", qi, g.Key, g.Distance, d)
			}
			if i > 0 && g.Distance < got[i-1].Distance {
				t.Fatalf("query %d: results not sorted", qi)
			}
			if exact[g.Key] {
				hits++
			}
		}
		total += len(want)
	}
	recall := float64(hits) / float64(total)
	t.Logf("recall@10 = %.3f with nprobe 12", recall)
	if recall < 0.9 {
		t.Errorf("recall@10 = %.3f, want ≥ 0.9", recall)
	}
}
