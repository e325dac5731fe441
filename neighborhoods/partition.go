package neighborhoods

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Defaults of PartitionOptions, chosen from the Fashion-MNIST and GloVe measurements of
// TestPartitionSweep: at equal recall, neighborhoods of 256 scan fewer vectors than 128, 512 or
// 1024 (Fashion-MNIST at recall ≈ 0.97: 1,425 vectors scored per query at 256, 2,220 at 512,
// 3,318 at 1,024; GloVe 331k at ≈ 0.95: ~18k at 256, ~20k at 576), while larger ones mean fewer
// objects per query.
const (
	// DefaultTargetSize is the neighborhood size for up to 262,144 vectors; see TargetSizeFor.
	DefaultTargetSize = 256
	DefaultIterations = 12
	DefaultSampleSize = 40000
	// hierarchyMinK: from this many neighborhoods on, clustering is two-level (√k coarse
	// clusters, then each split), so build time grows about as n·√k instead of n·k.
	hierarchyMinK = 100
)

// ReplicationOptions control SPANN-style boundary replication: a vector whose distance to
// another neighborhood's centroid is within (1+Epsilon) of its distance to its home centroid is
// also stored there, up to MaxReplicas extra copies. The diversity rule skips a neighborhood j
// when c_j is nearer to an already chosen centroid than to the vector (the vector would be found
// through that one anyway). For Cosine the ratio applies to chord distance on the unit sphere.
type ReplicationOptions struct {
	MaxReplicas int     // extra neighborhoods per vector; 0 disables replication
	Epsilon     float32 // e.g. 0.1
}

// PartitionOptions tune Partition. The zero value uses the defaults.
type PartitionOptions struct {
	// TargetSize is the desired number of vectors per neighborhood (default TargetSizeFor(n));
	// the number of neighborhoods is about n/TargetSize.
	TargetSize int
	// K, when > 0, overrides the neighborhood count (e.g. 2 to split one neighborhood).
	K int
	// MaxSize bounds a neighborhood's home vectors and replicas (default 2×TargetSize);
	// larger clusters are split with 2-means.
	MaxSize int
	// MinSize: smaller clusters are dissolved into their members' next nearest neighborhoods
	// (default TargetSize/8).
	MinSize int
	// Seed makes the result deterministic: same input, same options, same partitioning.
	Seed int64
	// SampleSize is how many vectors k-means trains on (default DefaultSampleSize, and at
	// least 40 per neighborhood).
	SampleSize int
	// Iterations bounds Lloyd iterations per k-means run (default DefaultIterations).
	Iterations int
	// Workers is the number of goroutines (default runtime.NumCPU()); it does not change results.
	Workers int
	// Replicate enables boundary replication (off by default).
	Replicate ReplicationOptions
}

// TargetSizeFor is the default neighborhood size for n vectors: DefaultTargetSize, growing as
// √n/2 beyond 262,144 vectors (1M → 500, 10M → 1,581, at most 4,096), so the number of
// neighborhoods — centroids scored and objects fetched per query — grows as 2√n rather than n.
func TargetSizeFor(n int) int {
	s := int(math.Sqrt(float64(n)) / 2)
	return min(max(s, DefaultTargetSize), 4096)
}

func (o PartitionOptions) withDefaults(n int) PartitionOptions {
	if o.TargetSize <= 0 {
		o.TargetSize = TargetSizeFor(n)
	}
	if o.MaxSize <= 0 {
		o.MaxSize = 2 * o.TargetSize
	}
	if o.MinSize <= 0 {
		o.MinSize = max(1, o.TargetSize/8)
	}
	if o.SampleSize <= 0 {
		o.SampleSize = DefaultSampleSize
	}
	if o.Iterations <= 0 {
		o.Iterations = DefaultIterations
	}
	return o
}

// Partitioning is the result of Partition: K neighborhoods, each a centroid and its members.
type Partitioning struct {
	// Centroids holds K centroids, row-major (K*dim values); unit-normalized for Cosine.
	Centroids []float32
	// Members[j] lists the rows (indices into the input) stored in neighborhood j, ascending:
	// the rows whose home it is and the rows replicated into it.
	Members [][]int32
	// Home[i] is row i's home neighborhood (the one it was assigned to by clustering).
	Home []int32
	// Replicas counts memberships beyond the home ones.
	Replicas int
}

// K is the number of neighborhoods.
func (p *Partitioning) K() int { return len(p.Members) }

// ErrInvalidInput marks arguments Partition cannot work with.
var ErrInvalidInput = errors.New("invalid clustering input")

// Partition clusters the rows of vecs (row-major, len(vecs)/dim rows) into balanced
// neighborhoods: balanced k-means (k-means++ seeding and Lloyd iterations on a sample, two-level
// for many neighborhoods), assignment of every row, then splitting of neighborhoods above
// MaxSize and dissolving of those below MinSize, and optional boundary replication. Cosine
// clusters unit-normalized copies (spherical k-means). Deterministic for opts.Seed.
func Partition(ctx context.Context, vecs []float32, dim int, metric Metric, opts PartitionOptions) (*Partitioning, error) {
	if dim <= 0 || len(vecs)%dim != 0 {
		return nil, fmt.Errorf("partition: %d values of dimension %d: %w", len(vecs), dim, ErrInvalidInput)
	}
	if !metric.Valid() {
		return nil, fmt.Errorf("partition: metric %v: %w", metric, ErrUnknownMetric)
	}
	n := len(vecs) / dim
	o := opts.withDefaults(n)
	if n == 0 {
		return &Partitioning{}, nil
	}
	work := vecs
	spherical := metric == Cosine
	if spherical {
		work = make([]float32, len(vecs))
		copy(work, vecs)
		for i := 0; i < n; i++ {
			Normalize(work[i*dim : (i+1)*dim])
		}
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed))
	k := o.K
	if k <= 0 {
		k = (n + o.TargetSize - 1) / o.TargetSize
	}
	k = min(k, n)

	cent, coarse, children, err := train(ctx, work, dim, k, spherical, rng, o)
	if err != nil {
		return nil, fmt.Errorf("partition: %w", err)
	}
	home := make([]int32, n)
	err = parallel(ctx, n, o.Workers, func(_, lo, hi int) {
		scores := make([]float32, len(cent)/dim)
		for i := lo; i < hi; i++ {
			home[i] = int32(assignTree(cent, coarse, children, dim, work[i*dim:(i+1)*dim], scores))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("partition: %w", err)
	}
	if o.K <= 0 || o.K > 2 {
		if cent, err = balance(ctx, work, dim, cent, home, spherical, rng, o); err != nil {
			return nil, fmt.Errorf("partition: %w", err)
		}
	}
	p := &Partitioning{Centroids: cent, Home: home}
	if err := p.replicate(ctx, work, dim, o); err != nil {
		return nil, fmt.Errorf("partition: %w", err)
	}
	return p, nil
}

// train returns k centroids trained on a sample of work, and for two-level training the coarse
// centroids with the fine centroids under each (nil otherwise).
func train(ctx context.Context, work []float32, dim, k int, spherical bool, rng *rand.Rand, o PartitionOptions) (cent, coarse []float32, children [][]int, err error) {
	n := len(work) / dim
	sample := work
	if s := max(o.SampleSize, samplePerCentroid*k); s < n {
		idx := rng.Perm(n)[:s]
		slices.Sort(idx)
		sample = make([]float32, 0, s*dim)
		for _, i := range idx {
			sample = append(sample, work[i*dim:(i+1)*dim]...)
		}
	}
	if k < hierarchyMinK {
		cent, _, err = kmeans(ctx, sample, dim, k, o.Iterations, spherical, rng, o.Workers)
		return cent, nil, nil, err
	}
	sn := len(sample) / dim
	k1 := int(math.Ceil(math.Sqrt(float64(k))))
	coarse, sa, err := kmeans(ctx, sample, dim, k1, o.Iterations, spherical, rng, o.Workers)
	if err != nil {
		return nil, nil, nil, err
	}
	groups := make([][]int, k1)
	for i, c := range sa {
		groups[c] = append(groups[c], i)
	}
	children = make([][]int, k1)
	for c, g := range groups {
		if len(g) == 0 {
			continue
		}
		kc := max(1, int(math.Round(float64(k)*float64(len(g))/float64(sn))))
		sub := make([]float32, 0, len(g)*dim)
		for _, i := range g {
			sub = append(sub, sample[i*dim:(i+1)*dim]...)
		}
		sc, _, err := kmeans(ctx, sub, dim, min(kc, len(g)), o.Iterations, spherical, rng, o.Workers)
		if err != nil {
			return nil, nil, nil, err
		}
		for j := 0; j*dim < len(sc); j++ {
			children[c] = append(children[c], len(cent)/dim)
			cent = append(cent, sc[j*dim:(j+1)*dim]...)
		}
	}
	return cent, coarse, children, nil
}

// samplePerCentroid is the least number of training rows per centroid: below about 40,
// k-means on a sample places centroids poorly.
const samplePerCentroid = 40

// coarseProbe is how many coarse clusters two-level assignment searches.
const coarseProbe = 3

// assignTree returns the nearest centroid to v: exactly with a flat list, or among the
// children of the coarseProbe nearest coarse centroids. The children of a coarse centroid are
// consecutive rows of cent (train appends them so). scores is scratch of one value per
// centroid.
func assignTree(cent, coarse []float32, children [][]int, dim int, v, scores []float32) int {
	if coarse == nil {
		j, _ := NearestL2(cent, dim, v, scores)
		return j
	}
	var topIdx [coarseProbe]int
	var topD [coarseProbe]float32
	for i := range topD {
		topD[i], topIdx[i] = float32(math.Inf(1)), -1
	}
	cs := scores[:len(coarse)/dim]
	SquaredL2Batch(v, coarse, cs)
	for c, d := range cs {
		for s := 0; s < coarseProbe; s++ {
			if d < topD[s] {
				copy(topD[s+1:], topD[s:coarseProbe-1])
				copy(topIdx[s+1:], topIdx[s:coarseProbe-1])
				topD[s], topIdx[s] = d, c
				break
			}
		}
	}
	best, bd := 0, float32(math.Inf(1))
	for _, c := range topIdx {
		if c < 0 || len(children[c]) == 0 {
			continue
		}
		first, n := children[c][0], len(children[c])
		j, d := NearestL2(cent[first*dim:(first+n)*dim], dim, v, scores)
		if d < bd {
			best, bd = first+j, d
		}
	}
	if math.IsInf(float64(bd), 1) {
		best, _ = NearestL2(cent, dim, v, scores)
	}
	return best
}
