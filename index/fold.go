package index

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// fold applies the newest version of each key in a WAL prefix to the
// existing neighborhoods: the old version leaves its neighborhood, a put
// joins the neighborhood of its nearest centroid. Only touched
// neighborhoods are rewritten; those grown past 2× the target size are
// split with k-means, those shrunk below ¼ of it are merged into the
// neighborhood of the nearest centroid.
func (b *foldBuild) fold(ctx context.Context, latest map[string]rec, order []string) error {
	ix, v := b.ix, b.v
	m := v.m
	b.nextID = m.NextNbhd
	var st ioStats
	segs, err := ix.loadNbhds(ctx, v, nil, &st)
	if err != nil {
		return err
	}
	cents, err := v.loadCentroids(ctx, ix, &st)
	if err != nil {
		return err
	}
	k := len(segs)
	removed := make([]map[int32]bool, k)
	added := make([][]rec, k)
	touched := make([]bool, k)
	remove := func(j int, row int32) {
		if removed[j] == nil {
			removed[j] = map[int32]bool{}
		}
		removed[j][row] = true
		touched[j] = true
	}
	// Find the old version of each folded key: asking every segment for
	// every key costs keys × segments lookups, scanning every indexed row
	// once costs one lookup per row; take the cheaper.
	if len(order)*k > m.nbhdCount() {
		for j, s := range segs {
			for r := range s.Len() {
				if _, ok := latest[s.Key(r)]; ok {
					remove(j, int32(r))
				}
			}
		}
	} else {
		for _, key := range order {
			for j, s := range segs {
				if row := s.row(key); row >= 0 {
					remove(j, int32(row))
					break
				}
			}
		}
	}
	puts := make([]rec, 0, len(order))
	for _, key := range order {
		if r := latest[key]; !r.s.Deleted(int(r.row)) {
			puts = append(puts, r)
		}
	}
	homes, err := nearestCentroids(ctx, b.metric, puts, cents, b.dim)
	if err != nil {
		return err
	}
	for i, r := range puts {
		j := homes[i]
		added[j] = append(added[j], r)
		touched[j] = true
	}
	// Members of each touched neighborhood after the fold.
	groups := make([][]rec, k)
	for j := range k {
		if !touched[j] {
			continue
		}
		s := segs[j]
		g := make([]rec, 0, s.Len()+len(added[j]))
		for r := range s.Len() {
			if !removed[j][int32(r)] {
				g = append(g, rec{s, int32(r), s.Seq(r)})
			}
		}
		groups[j] = append(g, added[j]...)
	}
	o := ix.db.opts.Indexer
	minSize, maxSize := max(1, o.NeighborhoodSize/4), 2*o.NeighborhoodSize
	gone := make([]bool, k)
	// Merge undersized neighborhoods into the nearest surviving one.
	alive := k
	for j := range k {
		if !touched[j] || len(groups[j]) >= minSize || alive <= 1 {
			continue
		}
		gone[j] = true
		alive--
		if len(groups[j]) == 0 {
			continue
		}
		best, bestScore := -1, float32(0)
		cj := cents[j*b.dim : (j+1)*b.dim]
		for i := range k {
			if gone[i] {
				continue
			}
			sc := b.metric.ClusterScore(cj, cents[i*b.dim:(i+1)*b.dim])
			if best < 0 || sc < bestScore {
				best, bestScore = i, sc
			}
		}
		if !touched[best] {
			s := segs[best]
			g := make([]rec, 0, s.Len())
			for r := range s.Len() {
				g = append(g, rec{s, int32(r), s.Seq(r)})
			}
			groups[best], touched[best] = g, true
		}
		groups[best] = append(groups[best], groups[j]...)
	}
	// Keep untouched neighborhoods as they are; rewrite touched ones,
	// splitting the oversized.
	var outs []outGroup
	kept := make([]bool, k)
	var splitFrom []int // the old neighborhoods that were split
	for j := range k {
		if gone[j] {
			continue
		}
		if !touched[j] {
			kept[j] = true
			continue
		}
		g := groups[j]
		if len(g) == 0 {
			continue
		}
		if len(g) <= maxSize {
			outs = append(outs, outGroup{recs: g, from: j})
			continue
		}
		parts, err := b.split(ctx, g)
		if err != nil {
			return err
		}
		for i := range parts {
			parts[i].from = j
		}
		outs = append(outs, parts...)
		splitFrom = append(splitFrom, j)
	}
	outs = append(outs, b.reassign(segs, cents, kept, outs, splitFrom)...)
	for j := range k {
		if kept[j] {
			b.refs = append(b.refs, m.Neighborhoods[j])
			b.cents = append(b.cents, cents[j*b.dim:(j+1)*b.dim]...)
			b.filters = append(b.filters, segmentKeyFilter(segs[j]))
		}
	}
	return b.emit(ctx, outs)
}

// outGroup is a neighborhood to write: its members and, for the parts of a
// split, the centroid k-means found (nil: the mean of the members).
type outGroup struct {
	recs     []rec
	centroid []float32
	split    bool
	from     int // the old neighborhood it replaces (or part of)
}

// reassignNeighbors is how many neighborhoods nearest to a split one are
// checked for vectors that the split's new centroids now attract.
const reassignNeighbors = 4

// reassign moves vectors of the neighborhoods nearest to a split one into a
// part of the split when a new centroid is nearer to them than their own
// (SPFresh-style reassignment): splitting moves centroids, and vectors at
// the border would otherwise stay where queries no longer look first.
// It updates outs and kept in place and returns the rewritten versions of
// formerly kept neighborhoods that lost vectors.
func (b *foldBuild) reassign(segs []*segment, cents []float32, kept []bool, outs []outGroup, splitFrom []int) (extra []outGroup) {
	if len(splitFrom) == 0 {
		return nil
	}
	dim := b.dim
	var splitParts []int // indices into outs
	for i, g := range outs {
		if g.split {
			splitParts = append(splitParts, i)
		}
	}
	// Candidate neighborhoods: the nearest others of each split one.
	cand := map[int]bool{}
	for _, j := range splitFrom {
		cj := cents[j*dim : (j+1)*dim]
		order := nearest(b.metric, cj, cents, dim)
		n := 0
		for _, o := range order {
			if o == j {
				continue
			}
			cand[o] = true
			if n++; n == reassignNeighbors {
				break
			}
		}
	}
	byFrom := map[int]int{} // old neighborhood → its (unsplit) out group
	for i, g := range outs {
		if !g.split {
			byFrom[g.from] = i
		}
	}
	for j := range cand {
		var members []rec
		gi, rewritten := byFrom[j]
		switch {
		case kept[j]:
			s := segs[j]
			members = make([]rec, s.Len())
			for r := range s.Len() {
				members[r] = rec{s, int32(r), s.Seq(r)}
			}
		case rewritten:
			members = outs[gi].recs
		default:
			continue // merged away or itself split
		}
		own := cents[j*dim : (j+1)*dim]
		var stay []rec
		moved := 0
		for _, r := range members {
			v := r.vector()
			best, bestScore := -1, b.metric.ClusterScore(v, own)
			for _, pi := range splitParts {
				if sc := b.metric.ClusterScore(v, outs[pi].centroid); sc < bestScore {
					best, bestScore = pi, sc
				}
			}
			if best < 0 {
				stay = append(stay, r)
				continue
			}
			outs[best].recs = append(outs[best].recs, r)
			moved++
		}
		if moved == 0 {
			continue
		}
		if kept[j] {
			kept[j] = false
			extra = append(extra, outGroup{recs: stay, from: j})
		} else {
			outs[gi].recs = stay
			outs[gi].centroid = nil
		}
	}
	return extra
}

// split partitions an oversized group into parts of about the target size.
func (b *foldBuild) split(ctx context.Context, g []rec) ([]outGroup, error) {
	o := b.ix.db.opts.Indexer
	parts := max(2, (len(g)+o.NeighborhoodSize-1)/o.NeighborhoodSize)
	flat := make([]float32, 0, len(g)*b.dim)
	for _, r := range g {
		flat = append(flat, r.vector()...)
	}
	p, err := neighborhoods.Partition(ctx, flat, b.dim, b.metric, neighborhoods.PartitionOptions{
		K: parts, TargetSize: o.NeighborhoodSize, Seed: o.Seed, Workers: 2,
		MinSize: 1, MaxSize: len(g) + 1,
	})
	if err != nil {
		return nil, fmt.Errorf("split neighborhood: %w", err)
	}
	var out []outGroup
	for j, members := range p.Members {
		if len(members) == 0 {
			continue
		}
		sub := make([]rec, len(members))
		for i, mi := range members {
			sub[i] = g[mi]
		}
		out = append(out, outGroup{recs: sub, centroid: slices.Clone(p.Centroids[j*b.dim : (j+1)*b.dim]), split: true})
	}
	return out, nil
}

// nearestCentroids returns, for every record, the row of the centroid
// nearest to its vector in the clustering space (the choice of nearestOne
// in fold_test.go), on foldWorkers goroutines with the blocked kernels: a fold assigns up to
// maxFoldRecords vectors against every centroid.
func nearestCentroids(ctx context.Context, m neighborhoods.Metric, recs []rec, cents []float32, dim int) ([]int32, error) {
	k := len(cents) / dim
	var inv []float32
	if m == neighborhoods.Cosine {
		inv = make([]float32, k)
		for i := range inv {
			inv[i] = neighborhoods.InvNorm(cents[i*dim : (i+1)*dim])
		}
	}
	out := make([]int32, len(recs))
	parallelChunks(ctx, len(recs), 1024, foldWorkers, func(lo, hi int) bool {
		scores := make([]float32, k)
		for i := lo; i < hi; i++ {
			out[i] = int32(nearestRow(m, recs[i].vector(), cents, inv, scores))
		}
		return true
	})
	return out, ctx.Err()
}

// foldWorkers is how many goroutines a fold assigns vectors and writes
// neighborhood objects on.
const foldWorkers = 2

// parallelChunks calls fn(lo, hi) for the consecutive chunks of [0, n), in
// order of their start, on up to workers goroutines, until every chunk ran,
// ctx ended or a call returned false (chunks already started still finish).
func parallelChunks(ctx context.Context, n, chunk, workers int, fn func(lo, hi int) bool) {
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range min(workers, (n+chunk-1)/chunk) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && !stop.Load() {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				if !fn(lo, min(lo+chunk, n)) {
					stop.Store(true)
				}
			}
		}()
	}
	wg.Wait()
}

// nearestRow is nearestOne with a blocked kernel over all centroids at
// once; inv holds the centroids' inverse norms for Cosine, scores is
// scratch of one value per centroid.
func nearestRow(m neighborhoods.Metric, q, cents, inv, scores []float32) int {
	if m == neighborhoods.Cosine {
		neighborhoods.DotBatch(q, cents, scores)
		best, bs := 0, float32(0)
		for i, d := range scores {
			if s := -d * inv[i]; i == 0 || s < bs {
				best, bs = i, s
			}
		}
		return best
	}
	best, _ := neighborhoods.NearestL2(cents, len(q), q, scores)
	return best
}
