package neighborhoods

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// balance enforces MinSize and MaxSize on the assignment home (updated in place) and returns the
// final centroids: the mean of each neighborhood's members (unit-normalized when spherical).
// Clusters below MinSize are dissolved into their members' nearest remaining centroids; then
// every cluster above MaxSize is split by 2-means until none is.
func balance(ctx context.Context, work []float32, dim int, cent []float32, home []int32, spherical bool, rng *rand.Rand, o PartitionOptions) ([]float32, error) {
	k := len(cent) / dim
	members := groupRows(home, k)
	// Dissolve tiny clusters (smallest first, deterministic), while more than one is left.
	alive := make([]bool, k)
	for j := range alive {
		alive[j] = len(members[j]) > 0
	}
	order := make([]int, k)
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(members[a]) - len(members[b]) })
	live := 0
	for _, a := range alive {
		if a {
			live++
		}
	}
	scores := make([]float32, k)
	var near []int
	for _, j := range order {
		if !alive[j] || len(members[j]) >= o.MinSize || live <= 1 {
			continue
		}
		alive[j] = false
		live--
		// A member goes to the nearest of the dissolveCandidates live
		// centroids nearest to its own centroid (all of them in small
		// partitionings): comparing every member with every centroid costs
		// k·dim per member, which at 10 M vectors and 39k neighborhoods
		// dominated the whole build.
		near = nearestAlive(cent, dim, cent[j*dim:(j+1)*dim], alive, scores, near[:0])
		for _, i := range members[j] {
			v := work[int(i)*dim : (int(i)+1)*dim]
			best, bd := -1, float32(math.Inf(1))
			for _, c := range near {
				if d := SquaredL2(v, cent[c*dim:(c+1)*dim]); d < bd {
					best, bd = c, d
				}
			}
			home[i] = int32(best)
			members[best] = append(members[best], i)
		}
		members[j] = nil
	}
	// Compact, then split oversized clusters (a work list; new halves are re-checked).
	var out []float32
	var groups [][]int32
	for j := 0; j < k; j++ {
		if alive[j] && len(members[j]) > 0 {
			slices.Sort(members[j])
			groups = append(groups, members[j])
			out = append(out, cent[j*dim:(j+1)*dim]...)
		}
	}
	for j := 0; j < len(groups); j++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for len(groups[j]) > o.MaxSize {
			a, b := split2(ctx, work, dim, groups[j], spherical, rng, o)
			groups[j] = a
			groups = append(groups, b)
			out = append(out, make([]float32, dim)...)
		}
	}
	for j, g := range groups {
		for _, i := range g {
			home[i] = int32(j)
		}
		copy(out[j*dim:(j+1)*dim], mean(work, dim, g, spherical))
	}
	return out, nil
}

// dissolveCandidates is how many live centroids nearest to a dissolved
// cluster's centroid its members choose among.
const dissolveCandidates = 64

// nearestAlive appends to out the dissolveCandidates live centroids nearest
// to c (every live one when there are no more), nearest first, ties by
// index; scores is scratch of one value per centroid.
func nearestAlive(cent []float32, dim int, c []float32, alive []bool, scores []float32, out []int) []int {
	SquaredL2Batch(c, cent, scores)
	for j, a := range alive {
		if !a {
			continue
		}
		if len(out) == dissolveCandidates && scores[j] >= scores[out[len(out)-1]] {
			continue
		}
		if len(out) < dissolveCandidates {
			out = append(out, j)
		} else {
			out[len(out)-1] = j
		}
		// Insertion step: keep out sorted by score (j is the largest index so far).
		for x := len(out) - 1; x > 0 && scores[out[x]] < scores[out[x-1]]; x-- {
			out[x], out[x-1] = out[x-1], out[x]
		}
	}
	return out
}

// split2 divides rows into two groups by 2-means on their vectors; if that degenerates
// (identical vectors), it halves them by position.
func split2(ctx context.Context, work []float32, dim int, rows []int32, spherical bool, rng *rand.Rand, o PartitionOptions) ([]int32, []int32) {
	sub := make([]float32, 0, len(rows)*dim)
	for _, i := range rows {
		sub = append(sub, work[int(i)*dim:(int(i)+1)*dim]...)
	}
	_, assign, err := kmeans(ctx, sub, dim, 2, o.Iterations, spherical, rng, 1)
	var a, b []int32
	if err == nil {
		for x, c := range assign {
			if c == 0 {
				a = append(a, rows[x])
			} else {
				b = append(b, rows[x])
			}
		}
	}
	if len(a) == 0 || len(b) == 0 {
		h := len(rows) / 2
		return append([]int32(nil), rows[:h]...), append([]int32(nil), rows[h:]...)
	}
	return a, b
}

func groupRows(home []int32, k int) [][]int32 {
	g := make([][]int32, k)
	for i, h := range home {
		g[h] = append(g[h], int32(i))
	}
	return g
}

// mean returns the centroid of rows (unit-normalized when spherical).
func mean(work []float32, dim int, rows []int32, spherical bool) []float32 {
	acc := make([]float64, dim)
	for _, i := range rows {
		for x, f := range work[int(i)*dim : (int(i)+1)*dim] {
			acc[x] += float64(f)
		}
	}
	c := make([]float32, dim)
	if len(rows) > 0 {
		for x := range c {
			c[x] = float32(acc[x] / float64(len(rows)))
		}
	}
	if spherical {
		Normalize(c)
	}
	return c
}

// Centroid returns the centroid of the rows of vecs (row-major) for metric: their mean, of the
// unit-normalized rows and normalized again for Cosine. Used when a neighborhood changes.
func Centroid(vecs []float32, dim int, metric Metric) []float32 {
	n := len(vecs) / dim
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = int32(i)
	}
	if metric != Cosine {
		return mean(vecs, dim, rows, false)
	}
	acc := make([]float64, dim)
	for i := 0; i < n; i++ {
		v := vecs[i*dim : (i+1)*dim]
		inv := float64(InvNorm(v))
		for x, f := range v {
			acc[x] += float64(f) * inv
		}
	}
	c := make([]float32, dim)
	for x := range c {
		c[x] = float32(acc[x])
	}
	Normalize(c)
	return c
}

// replicate fills p.Members from p.Home and adds boundary replicas.
func (p *Partitioning) replicate(ctx context.Context, work []float32, dim int, o PartitionOptions) error {
	k := len(p.Centroids) / dim
	p.Members = groupRows(p.Home, k)
	r := o.Replicate
	if r.MaxReplicas <= 0 || k < 2 {
		return nil
	}
	n := len(p.Home)
	m := min(k-1, 2*r.MaxReplicas+2) // candidates kept per row
	cand := make([]int32, n*m)
	for i := range cand {
		cand[i] = -1
	}
	err := parallel(ctx, n, o.Workers, func(_, lo, hi int) {
		var buf []int32
		for i := lo; i < hi; i++ {
			buf = replicaTargets(p.Centroids, dim, work[i*dim:(i+1)*dim], int(p.Home[i]), r, m, buf[:0])
			copy(cand[i*m:(i+1)*m], buf)
		}
	})
	if err != nil {
		return err
	}
	size := make([]int, k)
	for j, g := range p.Members {
		size[j] = len(g)
	}
	for i := 0; i < n; i++ {
		for _, j := range cand[i*m : (i+1)*m] {
			if j < 0 {
				break
			}
			if size[j] >= o.MaxSize {
				continue
			}
			size[j]++
			p.Members[j] = append(p.Members[j], int32(i))
			p.Replicas++
		}
	}
	for _, g := range p.Members {
		slices.Sort(g)
	}
	return nil
}

// replicaTargets appends to out the neighborhoods (other than home) that v should also be
// stored in, nearest first, by the ratio and diversity rules; at most r.MaxReplicas.
// v and the centroids must be in the clustering space (unit-normalized for Cosine).
func replicaTargets(cent []float32, dim int, v []float32, home int, r ReplicationOptions, m int, out []int32) []int32 {
	top := NewTopK(m)
	for j := 0; j*dim < len(cent); j++ {
		if j == home {
			continue
		}
		if d := SquaredL2(v, cent[j*dim:(j+1)*dim]); d < top.Worst() {
			top.Push(Hit{Score: d, Row: int32(j)})
		}
	}
	dh := SquaredL2(v, cent[home*dim:(home+1)*dim])
	limit := (1 + r.Epsilon) * (1 + r.Epsilon) * dh
	chosen := []int{home}
	for _, h := range top.Sorted(nil) {
		if len(out) >= r.MaxReplicas || h.Score > limit {
			break
		}
		j := int(h.Row)
		cj := cent[j*dim : (j+1)*dim]
		diverse := true
		for _, c := range chosen {
			if SquaredL2(cj, cent[c*dim:(c+1)*dim]) < h.Score {
				diverse = false
				break
			}
		}
		if diverse {
			chosen = append(chosen, j)
			out = append(out, int32(j))
		}
	}
	return out
}

// ReplicaTargets returns the neighborhoods other than home that a new vector v should also be
// stored in under r (for incremental maintenance; Partition applies the same rule). centroids
// are as Partition returned them.
func ReplicaTargets(centroids []float32, dim int, metric Metric, v []float32, home int, r ReplicationOptions) []int {
	k := len(centroids) / dim
	if r.MaxReplicas <= 0 || k < 2 {
		return nil
	}
	if metric == Cosine {
		v = append([]float32(nil), v...)
		Normalize(v)
	}
	t := replicaTargets(centroids, dim, v, home, r, min(k-1, 2*r.MaxReplicas+2), nil)
	out := make([]int, len(t))
	for i, j := range t {
		out[i] = int(j)
	}
	return out
}
