package datasets

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// SyntheticSeed is the seed of every synthetic data set loaded by name, so a name always
// means the same vectors.
const SyntheticSeed = 42

// syntheticChunk is the number of vectors drawn from one seeded stream; the first M vectors
// are the same whatever the total, so subsets are prefixes.
const syntheticChunk = 4096

// ParseSyntheticName parses "synthetic-N-DIM-METRIC" (METRIC: euclidean, cosine or angular).
func ParseSyntheticName(name string) (n, dim int, metric string, ok bool) {
	p := strings.Split(name, "-")
	if len(p) != 4 || p[0] != "synthetic" {
		return 0, 0, "", false
	}
	n, err1 := strconv.Atoi(p[1])
	dim, err2 := strconv.Atoi(p[2])
	if err1 != nil || err2 != nil || n <= 0 || dim <= 0 || dim > 1<<16 || n > 1<<31-1 {
		return 0, 0, "", false
	}
	switch p[3] {
	case "euclidean":
		metric = Euclidean
	case "cosine", "angular":
		metric = Cosine
	default:
		return 0, 0, "", false
	}
	return n, dim, metric, true
}

// SyntheticTestSize is the number of queries of a synthetic set with n train vectors:
// n/100, at least 100 and at most 10,000.
func SyntheticTestSize(n int) int { return min(10000, max(100, n/100)) }

// SyntheticClusters is the number of mixture components for n vectors: about √n/4, ≥ 8.
func SyntheticClusters(n int) int { return max(8, int(math.Sqrt(float64(n))/4)) }

// Synthetic generates a seeded Gaussian mixture: SyntheticClusters(ntrain) centres drawn
// from N(0, 1) per coordinate, component weights drawn from an exponential distribution
// (unequal cluster sizes), and each vector a centre plus N(0, 0.35²) noise per coordinate.
// Test vectors are fresh draws from the same mixture. Only the first maxTrain / maxTest
// vectors are generated when those are > 0. Work is spread over all cores; the result
// depends only on the arguments.
func Synthetic(ctx context.Context, ntrain, ntest, dim int, metric string, seed uint64, maxTrain, maxTest int) (*Dataset, error) {
	k := SyntheticClusters(ntrain)
	r := rand.New(rand.NewPCG(seed, 0))
	centres := make([]float32, k*dim)
	for i := range centres {
		centres[i] = float32(r.NormFloat64())
	}
	cum := make([]float64, k)
	var total float64
	for i := range cum {
		total += r.ExpFloat64()
		cum[i] = total
	}
	for i := range cum {
		cum[i] /= total
	}
	gen := func(n int, stream uint64) []float32 {
		v := make([]float32, n*dim)
		var wg sync.WaitGroup
		sem := make(chan struct{}, runtime.NumCPU())
		for c0 := 0; c0 < n && ctx.Err() == nil; c0 += syntheticChunk {
			wg.Add(1)
			sem <- struct{}{}
			go func(c0 int) {
				defer func() { <-sem; wg.Done() }()
				cr := rand.New(rand.NewPCG(seed, stream<<32|uint64(c0/syntheticChunk)+1))
				for i := c0; i < min(n, c0+syntheticChunk); i++ {
					c := sort.SearchFloat64s(cum, cr.Float64())
					c = min(c, k-1)
					row, ctr := v[i*dim:(i+1)*dim], centres[c*dim:(c+1)*dim]
					for j := range row {
						row[j] = ctr[j] + float32(0.35*cr.NormFloat64())
					}
				}
			}(c0)
		}
		wg.Wait()
		return v
	}
	nt, nq := ntrain, ntest
	if maxTrain > 0 {
		nt = min(nt, maxTrain)
	}
	if maxTest > 0 {
		nq = min(nq, maxTest)
	}
	name := fmt.Sprintf("synthetic-%d-%d-%s", ntrain, dim, metric)
	d := &Dataset{Name: name, Dim: dim, Metric: metric, NTrain: nt, NTest: nq, Synthetic: true,
		Description: fmt.Sprintf("SYNTHETIC Gaussian mixture (%d clusters, seed %d): %d train + %d test, %d-d, %s — not real data", k, seed, ntrain, ntest, dim, metric)}
	d.Train = gen(nt, 1)
	d.Test = gen(nq, 2)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generate %s: %w", name, err)
	}
	return d, nil
}

func loadSynthetic(ctx context.Context, name string, o LoadOptions) (*Dataset, error) {
	n, dim, metric, ok := ParseSyntheticName(name)
	if !ok {
		return nil, fmt.Errorf("%w %q: want synthetic-N-DIM-METRIC", ErrUnknownDataset, name)
	}
	d, err := Synthetic(ctx, n, SyntheticTestSize(n), dim, metric, SyntheticSeed, o.MaxTrain, o.MaxTest)
	if err != nil {
		return nil, err
	}
	d.Name = name
	return d, nil
}
