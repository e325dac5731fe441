package index

import (
	"context"
	"math"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// This file holds what a query reports about itself beyond counting
// (QueryStats.RoundTrips, QueryStats.EstimatedRecall): the receipts of
// QueryVectors (docs/extensions.md).

// storeWave is how many store reads the query path issues at once
// (loadWAL and loadNbhds run fetchParallelism fetches in parallel): n reads
// from the store take ceil(n/storeWave) sequential waves.
const storeWave = fetchParallelism

// waves returns the sequential store waves n parallel reads took.
func waves(n int) int { return (n + storeWave - 1) / storeWave }

// calibrationOptimism is how much the in-sample calibration curve
// overestimates recall for queries from outside the index, at most: near 1
// the curve has less room to be wrong, and the margin shrinks to 1 − c at a
// curve value c (curveDiscount). probesFor asks the curve for the value
// whose discounted recall is the target (curveFor).
const calibrationOptimism = 0.02

// curveDiscount is the recall expected of queries where the in-sample curve
// reads c.
func curveDiscount(c float64) float64 { return c - min(calibrationOptimism, 1-c) }

// curveFor is the curve value whose discounted recall is target: it asks
// 0.02 more up to 0.96 and halves the distance to 1 above (0.98 → 0.99),
// where asking for 1 would probe nearly every neighborhood to find the
// calibration's last outlier.
func curveFor(target float64) float64 { return target + min(calibrationOptimism, (1-target)/2) }

// readViewCounted is readView that adds to stats.RoundTrips the sequential
// store requests the generation check made: none inside a read lease, one
// HEAD of the successor manifest inside the revalidation window (plus a
// LIST and a GET when a newer generation was found), otherwise a LIST and
// then a GET of the newer manifest or a HEAD of the cached one (a fresh
// handle whose head object was the newest: the LIST beside the head GET). The count is
// inferred from the cached generation before and after the call.
func (ix *Index) readViewCounted(ctx context.Context, stats *QueryStats) (*view, error) {
	ix.mu.Lock()
	prev := ix.cur
	ix.mu.Unlock()
	trips := 2 // LIST, then GET or HEAD
	if prev != nil {
		age := ix.now().Sub(time.Unix(0, prev.verified.Load()))
		if lease := ix.db.opts.ReadLease; lease > 0 && !ix.isClosed() && age < lease {
			trips = 0
		} else if age < ix.revalidateWindow() {
			trips = 1 // HEAD of seq+1; +2 below when it exists
		}
	}
	v, err := ix.readView(ctx)
	if err != nil {
		return nil, err
	}
	if trips == 1 && v != prev {
		trips = 3
	}
	if prev == nil && v.fromHead {
		trips = 1 // LIST beside the head GET
	}
	stats.RoundTrips += trips
	return v, nil
}

// estimateRecall is the recall@10 the planner expects of a query that
// probed `probed` of the n neighborhoods of m: the calibration curve of the
// last full build at that probe count (scaled from the neighborhood count it
// was measured on, discounted by curveDiscount), or, without a curve, the
// target the default probe counts are chosen for. It is rounded to four
// decimals. Every vector of the WAL
// tail is scored, so the estimate is the mean over indexed and WAL vectors
// weighted by their counts. An exact query, and a prefiltered one (it
// searched every matching vector), expect 1.
func estimateRecall(stats *QueryStats, m *manifest) float64 {
	n := stats.NeighborhoodsTotal
	if stats.Exact || stats.Prefiltered || n == 0 || stats.NeighborhoodsProbed >= n {
		return 1
	}
	p := stats.NeighborhoodsProbed
	var est float64
	if len(m.Calibration) > 0 && m.CalibrationK > 0 {
		pc := p * m.CalibrationK / n // calibration probes covered by p
		switch {
		case pc <= 0:
			est = 0
		case pc > len(m.Calibration):
			est = float64(m.Calibration[len(m.Calibration)-1])
		default:
			est = float64(m.Calibration[pc-1])
		}
		est = max(0, curveDiscount(est))
	} else {
		base := neighborhoods.DefaultNProbe(n)
		switch {
		case p >= 2*base:
			est = 0.99
		case p >= base:
			est = 0.95
		case p >= (base+1)/2:
			est = 0.9
		default:
			est = 0.8 * float64(p) / float64(max(1, base/3))
		}
		est = min(est, 0.99)
	}
	if w := stats.WALVectors; w > 0 {
		indexed := m.nbhdCount()
		est = (est*float64(indexed) + float64(w)) / float64(indexed+w)
	}
	// Four decimals: the estimate is no finer, and the figure reads the
	// same in the JSON receipt and its header.
	return min(1, math.Round(est*1e4)/1e4)
}
