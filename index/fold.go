package index

import (
	"context"
	"fmt"
	"slices"

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
	for _, key := range order {
		r := latest[key]
		for j, s := range segs {
			if row := s.row(key); row >= 0 {
				if removed[j] == nil {
					removed[j] = map[int32]bool{}
				}
				removed[j][int32(row)] = true
				touched[j] = true
				break
			}
		}
		if r.s.Deleted(int(r.row)) {
			continue
		}
		j := nearestOne(b.metric, r.vector(), cents, b.dim)
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
			sc := b.metric.Score(cj, cents[i*b.dim:(i+1)*b.dim])
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
	for j := range k {
		if gone[j] {
			continue
		}
		if !touched[j] {
			b.refs = append(b.refs, m.Neighborhoods[j])
			b.cents = append(b.cents, cents[j*b.dim:(j+1)*b.dim]...)
			continue
		}
		g := groups[j]
		if len(g) == 0 {
			continue
		}
		if len(g) <= maxSize {
			if err := b.emit(ctx, g, nil); err != nil {
				return b.abort(ctx, err)
			}
			continue
		}
		if err := b.split(ctx, g); err != nil {
			return b.abort(ctx, err)
		}
	}
	return nil
}

// split partitions an oversized group into neighborhoods of about the
// target size.
func (b *foldBuild) split(ctx context.Context, g []rec) error {
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
		return fmt.Errorf("split neighborhood: %w", err)
	}
	for j, members := range p.Members {
		if len(members) == 0 {
			continue
		}
		sub := make([]rec, len(members))
		for i, mi := range members {
			sub[i] = g[mi]
		}
		if err := b.emit(ctx, sub, slices.Clone(p.Centroids[j*b.dim:(j+1)*b.dim])); err != nil {
			return err
		}
	}
	return nil
}

// nearestOne returns the row of the centroid nearest to q.
func nearestOne(m neighborhoods.Metric, q, cents []float32, dim int) int {
	best, bestScore := 0, float32(0)
	for i := 0; i < len(cents)/dim; i++ {
		s := m.Score(q, cents[i*dim:(i+1)*dim])
		if i == 0 || s < bestScore {
			best, bestScore = i, s
		}
	}
	return best
}
