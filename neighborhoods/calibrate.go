package neighborhoods

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// DefaultTargetRecall is the recall@10 the default search aims at (Calibration.NProbeFor).
// It is above 0.95 because calibration queries are drawn from the indexed vectors, which tends
// to estimate recall slightly optimistically for queries from outside.
const DefaultTargetRecall = 0.97

// CalibrateOptions tune Calibrate. The zero value uses the defaults.
type CalibrateOptions struct {
	Queries int // sample vectors used as queries (default 200)
	K       int // recall@K (default 10)
	Seed    int64
	Workers int // goroutines (default runtime.NumCPU())
}

// Calibration estimates, for a partitioning, the mean recall@K of probing the p nearest
// neighborhoods for every p: Recall[p-1]. The index stores it with the centroids and turns a
// target recall into an nprobe per query (NProbeFor), so easy data sets probe little and hard
// ones probe enough.
type Calibration struct {
	K      int
	Recall []float32 // non-decreasing; len ≤ number of neighborhoods; ends at 1 (or the last p measured)
}

// NProbeFor returns the smallest nprobe whose estimated recall reaches target (at least 1; the
// number of measured points if none does).
func (c *Calibration) NProbeFor(target float64) int {
	for p, r := range c.Recall {
		if float64(r) >= target {
			return p + 1
		}
	}
	return max(1, len(c.Recall))
}

// Calibrate measures p.Recall by brute force: it samples opts.Queries rows of vecs as queries,
// finds each one's exact K nearest other rows, and records at which probe rank (of the query's
// centroid order) each true neighbor's nearest copy (home or replica) is reached. Cost: Queries
// × n distance computations plus Queries × K centroid distances.
func Calibrate(ctx context.Context, vecs []float32, dim int, metric Metric, p *Partitioning, opts CalibrateOptions) (*Calibration, error) {
	if opts.Queries <= 0 {
		opts.Queries = 200
	}
	if opts.K <= 0 {
		opts.K = 10
	}
	n := len(p.Home)
	if n*dim != len(vecs) {
		return nil, fmt.Errorf("calibrate: %d values for %d rows of dimension %d: %w", len(vecs), n, dim, ErrInvalidInput)
	}
	kk := p.K()
	c := &Calibration{K: opts.K}
	if n <= opts.K || kk == 0 {
		c.Recall = []float32{1}
		return c, nil
	}
	// Memberships per row: home first, then replicas.
	member := make([][]int32, n)
	for j, g := range p.Members {
		for _, i := range g {
			member[i] = append(member[i], int32(j))
		}
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0xca1))
	nq := min(opts.Queries, n)
	qs := rng.Perm(n)[:nq]
	slices.Sort(qs)
	// need[q*K + t] = probe rank (1-based) at which the t-th true neighbor of query q is reached.
	need := make([]int32, nq*opts.K)
	err := parallelItems(ctx, nq, opts.Workers, func(x int) {
		qi := qs[x]
		q := vecs[qi*dim : (qi+1)*dim]
		top := NewTopK(opts.K)
		ScanVectors(vecs, dim, metric, q, top, 0, func(i int) bool { return i != qi })
		order := NearestCentroids(p.Centroids, dim, metric, q, kk, 0, make([]int, 0, kk))
		rank := make([]int32, kk)
		for r, j := range order {
			rank[j] = int32(r + 1)
		}
		for t, h := range top.Sorted(nil) {
			best := int32(kk)
			for _, j := range member[h.Row] {
				best = min(best, rank[j])
			}
			need[x*opts.K+t] = best
		}
	})
	if err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	hist := make([]int, kk+1)
	for _, r := range need {
		hist[r]++
	}
	total := float64(len(need))
	reached := 0
	for pr := 1; pr <= kk; pr++ {
		reached += hist[pr]
		c.Recall = append(c.Recall, float32(float64(reached)/total))
		if reached == len(need) {
			break
		}
	}
	return c, nil
}

// parallelItems runs fn(i) for i in [0, n) on up to workers goroutines.
func parallelItems(ctx context.Context, n, workers int, fn func(i int)) error {
	if workers < 1 {
		workers = runtime.NumCPU()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
