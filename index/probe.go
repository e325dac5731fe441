package index

import (
	"slices"
	"sync"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// queryScratch is the per-query working memory of Query, reused through a
// pool so that a query allocates only its answer.
type queryScratch struct {
	q      []float32 // the query, normalized for cosine
	scores []float32 // one per centroid
	order  []int     // centroid rows, nearest first (a prefix, or all when widening)
	hits   []hit     // the top-k heap
	quant  *scratchQuant
	tree   neighborhoods.TreeScratch
}

// centroidTreeMin is the number of centroids from which unfiltered,
// approximate queries choose their neighborhoods with the table's
// neighborhoods.CentroidTree instead of scoring every centroid: below it
// the exhaustive blocked scan is as fast (BenchmarkCentroidTree,
// docs/design/centroid-tree.md). Exact and filtered queries always score
// every centroid. A variable only so that tests can lower it.
var centroidTreeMin = 4096

// centroidTreeSeed seeds the tree builds (deterministic trees).
const centroidTreeSeed = 1

// treeNearest sets s.order to the n nearest centroid rows that t finds for
// sc's query, nearest first: the contract of selectNearest, approximately.
func (s *queryScratch) treeNearest(t *neighborhoods.CentroidTree, sc *scorer, n int) []int {
	s.order = t.Search(sc.q, n, &s.tree, s.order)
	return s.order
}

var scratchPool = sync.Pool{New: func() any { return new(queryScratch) }}

func getScratch() *queryScratch { return scratchPool.Get().(*queryScratch) }

// put returns s to the pool; hits must not keep segments alive there.
func (s *queryScratch) put() {
	clear(s.hits)
	s.hits = s.hits[:0]
	scratchPool.Put(s)
}

// scoreCentroids scores every centroid row against sc's query into
// s.scores: squared L2, or 1 − q̂·c/‖c‖ with the precomputed inverse norms
// (one dot product per centroid instead of three).
func (s *queryScratch) scoreCentroids(sc *scorer, cents, inv []float32, dim int) {
	k := len(cents) / dim
	s.scores = slices.Grow(s.scores[:0], k)[:k]
	if sc.metric == neighborhoods.Cosine {
		neighborhoods.DotBatch(sc.q, cents[:k*dim], s.scores)
		for i, x := range s.scores {
			if inv[i] == 0 {
				s.scores[i] = 1
			} else {
				s.scores[i] = 1 - x*inv[i]
			}
		}
		return
	}
	if sc.metric == neighborhoods.DotProduct {
		// Probes by inner product with the centroid, largest first.
		neighborhoods.DotBatch(sc.q, cents[:k*dim], s.scores)
		for i, x := range s.scores {
			s.scores[i] = -x
		}
		return
	}
	neighborhoods.SquaredL2Batch(sc.q, cents[:k*dim], s.scores)
}

// nearer orders centroid rows by score, then by row (deterministic ties).
func (s *queryScratch) nearer(a, b int) bool {
	sa, sb := s.scores[a], s.scores[b]
	return sa < sb || (sa == sb && a < b)
}

// selectNearest sets s.order to the n best centroid rows of s.scores,
// nearest first, with a bounded max-heap: O(k log n) and no full sort.
func (s *queryScratch) selectNearest(n int) []int {
	k := len(s.scores)
	n = min(n, k)
	h := slices.Grow(s.order[:0], n)[:0]
	down := func(i int) {
		for {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(h) && s.nearer(h[m], h[l]) {
				m = l
			}
			if r < len(h) && s.nearer(h[m], h[r]) {
				m = r
			}
			if m == i {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i := range k {
		switch {
		case len(h) < n:
			h = append(h, i)
			for j := len(h) - 1; j > 0; {
				p := (j - 1) / 2
				if !s.nearer(h[p], h[j]) {
					break
				}
				h[p], h[j] = h[j], h[p]
				j = p
			}
		case n > 0 && s.nearer(i, h[0]):
			h[0] = i
			down(0)
		}
	}
	slices.SortFunc(h, func(a, b int) int {
		if s.nearer(a, b) {
			return -1
		}
		return 1
	})
	s.order = h
	return h
}

// allNearest sets s.order to every centroid row, nearest first (the
// widening path of filtered queries).
func (s *queryScratch) allNearest() []int {
	k := len(s.scores)
	o := slices.Grow(s.order[:0], k)[:k]
	for i := range o {
		o[i] = i
	}
	slices.SortFunc(o, func(a, b int) int {
		if s.nearer(a, b) {
			return -1
		}
		return 1
	})
	s.order = o
	return o
}
