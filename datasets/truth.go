package datasets

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/viterin/vek/vek32"
)

// Truth is the exact top-K neighbours of every test vector of a data set among its train
// vectors, nearest first; equal distances are ordered by smaller id.
type Truth struct {
	Dataset string
	Metric  string
	K       int
	NTrain  int
	NTest   int
	IDs     []int32   // NTest*K train ids
	Dist    []float32 // NTest*K exact distances (L2, or 1 − cosine), ascending per query
}

// Neighbors returns the K true neighbour ids of test vector q.
func (t *Truth) Neighbors(q int) []int32 { return t.IDs[q*t.K : (q+1)*t.K : (q+1)*t.K] }

// Distances returns the K true neighbour distances of test vector q.
func (t *Truth) Distances(q int) []float32 { return t.Dist[q*t.K : (q+1)*t.K : (q+1)*t.K] }

// TruthOptions tune [GroundTruth].
type TruthOptions struct {
	// Workers is the number of goroutines; 0 means runtime.NumCPU().
	Workers int
	// DataDir overrides [DataDir] for the cache; NoCache computes without reading or writing it.
	DataDir string
	NoCache bool
	// Progress, when set, is called (from any goroutine, serialized) as test vectors finish.
	Progress func(done, total int)
}

// GroundTruth returns the exact top-k neighbours of every test vector of d, reading them from
// the cache when a valid entry exists and computing and caching them otherwise. A cache
// entry computed for the same train vectors with more test vectors (d's being a prefix)
// and a larger k also serves. A cache file whose header, checksum or data fingerprint does
// not match is recomputed.
func GroundTruth(ctx context.Context, d *Dataset, k int, opts ...TruthOptions) (*Truth, error) {
	var o TruthOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if k <= 0 || k > d.NTrain {
		return nil, fmt.Errorf("ground truth %s: k=%d with %d train vectors", d.Name, k, d.NTrain)
	}
	var path string
	var fp dataPrint
	if !o.NoCache {
		dir := o.DataDir
		if dir == "" {
			var err error
			if dir, err = DataDir(); err != nil {
				return nil, err
			}
		}
		path = truthPath(dir, d, k)
		fp = fingerprint(d)
		if t, err := findTruth(dir, d, k, fp); err == nil {
			return t, nil
		}
	}
	t, _, err := computeTruth(ctx, d, k, o.Workers, o.Progress)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := writeTruthFile(path, t, d.Dim, fp); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// candidate is one scored train vector.
type candidate struct {
	d  float32
	id int32
}

// maxHeap keeps the n smallest candidates seen, largest on top.
type maxHeap []candidate

func (h maxHeap) push(c candidate, n int) maxHeap {
	if len(h) < n {
		h = append(h, c)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p].d >= h[i].d {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		return h
	}
	if c.d >= h[0].d {
		return h
	}
	h[0] = c
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(h) && h[l].d > h[m].d {
			m = l
		}
		if l+1 < len(h) && h[l+1].d > h[m].d {
			m = l + 1
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return h
}

// exactCand is a candidate rescored in float64.
type exactCand struct {
	d  float64
	id int32
}

func cmpExact(a, b exactCand) int {
	switch {
	case a.d < b.d:
		return -1
	case a.d > b.d:
		return 1
	}
	return int(a.id) - int(b.id)
}

// truthJob holds what every worker shares.
type truthJob struct {
	d          *Dataset
	k, kc      int
	train      []float32 // train vectors as scored in float32 (normalized for cosine)
	test       []float32
	trainNorms []float64 // Σx² per train vector in float64 (cosine only)
	rel, abs   float64   // error bound of the float32 scores
	out        *Truth
	fallbacks  atomic.Int64
}

// computeTruth scores every test vector against every train vector in float32 with SIMD
// (vek), keeps the kc = k+32 best candidates, rescores them exactly in float64, and proves
// from a rounding-error bound that no other train vector can enter the top k; a query where
// the proof fails (near-ties at the candidate boundary) is recomputed by a float64 scan.
func computeTruth(ctx context.Context, d *Dataset, k, workers int, progress func(int, int)) (t *Truth, fallbacks int64, err error) {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	j := &truthJob{d: d, k: k, kc: min(k+32, d.NTrain), train: d.Train, test: d.Test}
	j.out = &Truth{Dataset: d.Name, Metric: d.Metric, K: k, NTrain: d.NTrain, NTest: d.NTest,
		IDs: make([]int32, d.NTest*k), Dist: make([]float32, d.NTest*k)}
	const u = 1.0 / (1 << 24) // float32 unit roundoff
	n := float64(d.Dim)
	if d.Metric == Cosine {
		j.train = normalized(d.Train, d.Dim)
		j.test = normalized(d.Test, d.Dim)
		j.trainNorms = make([]float64, d.NTrain)
		for i := range j.trainNorms {
			j.trainNorms[i] = sqNorm64(d.TrainVec(i))
		}
		j.abs = 4 * (n + 8) * u
	} else {
		j.rel = 4 * (n + 8) * u
	}

	// Queries are processed in batches of qb against train tiles that fit in L2 cache.
	const qb = 16
	tile := max(64, (256<<10)/(4*d.Dim))
	var next atomic.Int64
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			heaps := make([]maxHeap, qb)
			for i := range heaps {
				heaps[i] = make(maxHeap, 0, j.kc)
			}
			ex := make([]exactCand, 0, j.kc)
			for ctx.Err() == nil {
				q0 := int(next.Add(qb)) - qb
				if q0 >= d.NTest {
					return
				}
				q1 := min(q0+qb, d.NTest)
				j.batch(q0, q1, tile, heaps, &ex)
				if progress != nil {
					mu.Lock()
					done += q1 - q0
					progress(done, d.NTest)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("ground truth %s: %w", d.Name, err)
	}
	return j.out, j.fallbacks.Load(), nil
}

func (j *truthJob) batch(q0, q1, tile int, heaps []maxHeap, ex *[]exactCand) {
	dim, cos := j.d.Dim, j.d.Metric == Cosine
	for i := range heaps {
		heaps[i] = heaps[i][:0]
	}
	for t0 := 0; t0 < j.d.NTrain; t0 += tile {
		t1 := min(t0+tile, j.d.NTrain)
		for q := q0; q < q1; q++ {
			qv := j.test[q*dim : (q+1)*dim]
			h := heaps[q-q0]
			for i := t0; i < t1; i++ {
				x := j.train[i*dim : (i+1)*dim]
				var s float32
				if cos {
					s = 1 - vek32.Dot(qv, x)
				} else {
					s = vek32.Distance(qv, x)
				}
				if len(h) < j.kc || s < h[0].d {
					h = h.push(candidate{s, int32(i)}, j.kc)
				}
			}
			heaps[q-q0] = h
		}
	}
	for q := q0; q < q1; q++ {
		j.finish(q, heaps[q-q0], ex)
	}
}

// finish rescores one query's candidates exactly and writes its top k.
func (j *truthJob) finish(q int, h maxHeap, ex *[]exactCand) {
	qv := j.d.TestVec(q)
	e := (*ex)[:0]
	for _, c := range h {
		e = append(e, exactCand{j.exact(qv, int(c.id)), c.id})
	}
	slices.SortFunc(e, cmpExact)
	if len(h) < j.d.NTrain {
		// Every train vector outside h scored ≥ h[0].d in float32; its exact distance is at
		// least that minus the rounding bound. If that exceeds the k-th exact distance, no
		// outsider can tie or beat it and the candidates hold the true top k.
		worst := float64(h[0].d)
		lower := worst/(1+j.rel) - j.abs
		if !(lower > e[j.k-1].d) {
			j.fallbacks.Add(1)
			e = e[:0]
			for i := range j.d.NTrain {
				e = append(e, exactCand{j.exact(qv, i), int32(i)})
			}
			slices.SortFunc(e, cmpExact)
		}
	}
	ids, dist := j.out.Neighbors(q), j.out.Distances(q)
	for i := range j.k {
		ids[i], dist[i] = e[i].id, float32(e[i].d)
	}
	*ex = e[:0]
}

func (j *truthJob) exact(q []float32, i int) float64 {
	if j.trainNorms != nil {
		return cosineWithNorm(q, j.d.TrainVec(i), j.trainNorms[i])
	}
	return Distance(j.d.Metric, q, j.d.TrainVec(i))
}

// normalized returns unit-length float32 copies of the vectors (zero vectors stay zero).
func normalized(v []float32, dim int) []float32 {
	out := make([]float32, len(v))
	for i := 0; i < len(v); i += dim {
		nrm := math.Sqrt(sqNorm64(v[i : i+dim]))
		if nrm == 0 {
			continue
		}
		for c := i; c < i+dim; c++ {
			out[c] = float32(float64(v[c]) / nrm)
		}
	}
	return out
}
