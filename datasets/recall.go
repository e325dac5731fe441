package datasets

import (
	"fmt"
	"math"
)

// RecallEpsilon is ann-benchmarks' distance tolerance: a returned item counts as a true
// neighbour if its distance is at most the true k-th distance plus RecallEpsilon.
const RecallEpsilon = 1e-3

// RecallDistances is ann-benchmarks' recall@k for one query: the number of the first k
// returned distances (exact distances of the returned items, in any order) that are
// ≤ trueDist[k-1] + RecallEpsilon, divided by k. Fewer than k results count as misses.
// It panics if len(trueDist) < k.
func RecallDistances(trueDist []float32, got []float64, k int) float64 {
	if k <= 0 || len(trueDist) < k {
		panic(fmt.Sprintf("datasets: recall@%d with %d true distances", k, len(trueDist)))
	}
	limit := float64(trueDist[k-1]) + RecallEpsilon
	hits := 0
	for _, d := range got[:min(k, len(got))] {
		if d <= limit {
			hits++
		}
	}
	return float64(hits) / float64(k)
}

// Recall is ann-benchmarks' recall@k of the ids returned for test vector q: it computes the
// exact distance of each of the first k returned train ids to the query (never trusting
// distances an engine reports) and applies [RecallDistances]. An id outside the train set
// counts as a miss. It panics if k > t.K.
func (t *Truth) Recall(d *Dataset, q int, got []int, k int) float64 {
	dist := make([]float64, 0, min(k, len(got)))
	qv := d.TestVec(q)
	for _, id := range got[:min(k, len(got))] {
		if id < 0 || id >= d.NTrain {
			dist = append(dist, math.Inf(1))
			continue
		}
		dist = append(dist, Distance(d.Metric, qv, d.TrainVec(id)))
	}
	return RecallDistances(t.Distances(q), dist, k)
}

// MeanRecall averages [Truth.Recall] over test vectors 0..len(results)-1.
func (t *Truth) MeanRecall(d *Dataset, results [][]int, k int) float64 {
	if len(results) == 0 {
		return 0
	}
	var s float64
	for q, r := range results {
		s += t.Recall(d, q, r, k)
	}
	return s / float64(len(results))
}
