package index

import (
	"context"
	"testing"

	"github.com/vectorbucket/vectorbucket/datasets"
)

// keysFound counts the results of got whose key is among exact's.
func keysFound(exact, got []QueryResult) int {
	want := make(map[string]bool, len(exact))
	for _, e := range exact {
		want[e.Key] = true
	}
	n := 0
	for _, g := range got {
		if want[g.Key] {
			n++
		}
	}
	return n
}

// recallVsExact runs every test vector of ds as a top-10 query with default
// settings and in exact mode, and returns recall@10 of the default queries
// against the exact ones and the mean number of vectors scored per query.
func recallVsExact(ctx context.Context, t *testing.T, ix *Index, ds *datasets.Dataset) (recall, scoredPerQuery float64) {
	t.Helper()
	var hits, total, scored int
	for q := range ds.NTest {
		exact, _, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(q), TopK: 10, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		got, st, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(q), TopK: 10})
		if err != nil {
			t.Fatal(err)
		}
		scored += st.VectorsScored
		hits += keysFound(exact, got)
		total += len(exact)
	}
	return float64(hits) / float64(total), float64(scored) / float64(ds.NTest)
}
