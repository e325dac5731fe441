package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// selectNearest returns exactly the first n rows of the full order, ties included.
func TestSelectNearestMatchesFullSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, k := range []int{0, 1, 2, 5, 64, 1379} {
		for _, n := range []int{0, 1, 3, 16, 2000} {
			s := &queryScratch{scores: make([]float32, k)}
			for i := range s.scores {
				s.scores[i] = float32(r.IntN(20)) // many ties
			}
			want := slices.Clone(s.allNearest())[:min(n, k)]
			got := slices.Clone(s.selectNearest(n))
			if !slices.Equal(got, want) {
				t.Fatalf("k=%d n=%d: got %v, want %v", k, n, got, want)
			}
		}
	}
}

func BenchmarkSelectNearest(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	s := &queryScratch{scores: make([]float32, 1379)}
	for i := range s.scores {
		s.scores[i] = r.Float32()
	}
	b.Run("select16", func(b *testing.B) {
		for range b.N {
			s.selectNearest(16)
		}
	})
	b.Run("fullsort", func(b *testing.B) {
		for range b.N {
			s.allNearest()
		}
	})
}
