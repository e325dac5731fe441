package neighborhoods

import (
	"math"
	"sort"
)

// Hit is one scored candidate: its internal score (smaller is nearer; see Metric.ScoreToDistance),
// where it came from (Source is the caller's number for a segment, e.g. its position in the probe
// list; Row its row there), and a hash of its key used to drop boundary replicas (the same vector
// stored in two neighborhoods scores identically and has the same key hash).
type Hit struct {
	Score  float32
	Source int32
	Row    int32
	Hash   uint64
}

// TopK keeps the k best (smallest-score) hits: a bounded max-heap. Push does not allocate.
// It is not safe for concurrent use; give each goroutine its own and Merge them.
type TopK struct {
	k int
	h []Hit
}

// NewTopK returns an empty TopK for k hits (k ≥ 1).
func NewTopK(k int) *TopK {
	if k < 1 {
		k = 1
	}
	return &TopK{k: k, h: make([]Hit, 0, k)}
}

// Reset empties t and sets its bound to k, reusing its memory when it can.
func (t *TopK) Reset(k int) {
	if k < 1 {
		k = 1
	}
	t.k = k
	if cap(t.h) < k {
		t.h = make([]Hit, 0, k)
	}
	t.h = t.h[:0]
}

// K is the bound.
func (t *TopK) K() int { return t.k }

// Len is the number of hits held (≤ K).
func (t *TopK) Len() int { return len(t.h) }

// Worst is the score a candidate must beat to enter: +Inf until K hits are held.
func (t *TopK) Worst() float32 {
	if len(t.h) < t.k {
		return float32(math.Inf(1))
	}
	return t.h[0].Score
}

// Push offers a hit and reports whether it was kept. A hit whose Score and Hash equal a held
// hit's is a replica of it and is dropped (pass Hash 0 for sources without replicas; hits with
// Hash 0 are never treated as replicas).
func (t *TopK) Push(h Hit) bool {
	if len(t.h) >= t.k && !(h.Score < t.h[0].Score) {
		return false
	}
	if h.Hash != 0 {
		for i := range t.h {
			if t.h[i].Hash == h.Hash && t.h[i].Score == h.Score {
				return false
			}
		}
	}
	if len(t.h) < t.k {
		t.h = append(t.h, h)
		t.up(len(t.h) - 1)
		return true
	}
	t.h[0] = h
	t.down(0)
	return true
}

// Merge pushes every hit of o into t.
func (t *TopK) Merge(o *TopK) {
	for _, h := range o.h {
		t.Push(h)
	}
}

// Sorted appends the held hits to dst in ascending score order (ties by Source, then Row) and
// returns it. t is unchanged.
func (t *TopK) Sorted(dst []Hit) []Hit {
	n := len(dst)
	dst = append(dst, t.h...)
	s := dst[n:]
	sort.Slice(s, func(i, j int) bool { return hitLess(s[i], s[j]) })
	return dst
}

func hitLess(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Row < b.Row
}

// heap order: parent.Score >= child.Score (max-heap).
func (t *TopK) up(i int) {
	h := t.h
	for i > 0 {
		p := (i - 1) / 2
		if !(h[i].Score > h[p].Score) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (t *TopK) down(i int) {
	h := t.h
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].Score > h[l].Score {
			m = r
		}
		if !(h[m].Score > h[i].Score) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// KeyHash is the 64-bit FNV-1a hash of a key, never 0 (as Hit.Hash wants).
func KeyHash(key []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}
