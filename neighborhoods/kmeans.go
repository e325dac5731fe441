package neighborhoods

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// chunkRows is the fixed unit of parallel work. Partial sums are combined in chunk order, so
// results do not depend on the number of goroutines or their scheduling.
const chunkRows = 2048

// parallel runs fn(c, lo, hi) for every chunk [lo, hi) of n rows on up to workers goroutines.
func parallel(ctx context.Context, n, workers int, fn func(c, lo, hi int)) error {
	chunks := (n + chunkRows - 1) / chunkRows
	if workers < 1 {
		workers = runtime.NumCPU()
	}
	if workers > chunks {
		workers = chunks
	}
	if workers <= 1 {
		for c := 0; c < chunks; c++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			fn(c, c*chunkRows, min(n, (c+1)*chunkRows))
		}
		return nil
	}
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				if ctx.Err() != nil {
					return
				}
				fn(c, c*chunkRows, min(n, (c+1)*chunkRows))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// nearest returns the index and squared L2 of the centroid nearest to v.
func nearest(cent []float32, dim int, v []float32) (int, float32) {
	best, bd := 0, float32(math.Inf(1))
	for j := 0; j*dim < len(cent); j++ {
		if d := SquaredL2(v, cent[j*dim:(j+1)*dim]); d < bd {
			best, bd = j, d
		}
	}
	return best, bd
}

// NearestL2 returns the index and squared L2 of the row of cent (flat,
// dim values per row) nearest to v, with the blocked kernel (one call for
// all rows; nearest is its reference); scores is scratch of at least one
// value per row.
func NearestL2(cent []float32, dim int, v, scores []float32) (int, float32) {
	scores = scores[:len(cent)/dim]
	SquaredL2Batch(v, cent, scores)
	best, bd := 0, float32(math.Inf(1))
	for j, d := range scores {
		if d < bd {
			best, bd = j, d
		}
	}
	return best, bd
}

// kmeans clusters the rows of data (row-major, n×dim; already unit-normalized for cosine) into
// k centroids with k-means++ seeding and at most iters Lloyd iterations, all in squared L2.
// With spherical set, centroids are renormalized after each update. It returns the flat
// centroids and each row's assignment.
func kmeans(ctx context.Context, data []float32, dim, k, iters int, spherical bool, rng *rand.Rand, workers int) ([]float32, []int32, error) {
	n := len(data) / dim
	if k > n {
		k = n
	}
	cent, err := kmeansPlusPlus(ctx, data, dim, k, rng, workers)
	if err != nil {
		return nil, nil, err
	}
	assign := make([]int32, n)
	dist := make([]float32, n)
	chunks := (n + chunkRows - 1) / chunkRows
	sums := make([][]float64, chunks)
	counts := make([][]int, chunks)
	changed := make([]int, chunks)
	for it := 0; it < iters; it++ {
		err := parallel(ctx, n, workers, func(c, lo, hi int) {
			if sums[c] == nil {
				sums[c] = make([]float64, k*dim)
				counts[c] = make([]int, k)
			}
			s, cnt := sums[c], counts[c]
			clear(s)
			clear(cnt)
			ch := 0
			scores := make([]float32, k)
			for i := lo; i < hi; i++ {
				v := data[i*dim : (i+1)*dim]
				j, d := NearestL2(cent, dim, v, scores)
				if int32(j) != assign[i] || it == 0 {
					ch++
				}
				assign[i], dist[i] = int32(j), d
				cnt[j]++
				row := s[j*dim : (j+1)*dim]
				for x, f := range v {
					row[x] += float64(f)
				}
			}
			changed[c] = ch
		})
		if err != nil {
			return nil, nil, err
		}
		total := make([]float64, k*dim)
		cnt := make([]int, k)
		moved := 0
		for c := 0; c < chunks; c++ {
			for x, f := range sums[c] {
				total[x] += f
			}
			for j, m := range counts[c] {
				cnt[j] += m
			}
			moved += changed[c]
		}
		for j := 0; j < k; j++ {
			row := cent[j*dim : (j+1)*dim]
			if cnt[j] == 0 {
				// Reseed an empty cluster at the row farthest from its centroid.
				far := 0
				for i := range dist {
					if dist[i] > dist[far] {
						far = i
					}
				}
				copy(row, data[far*dim:(far+1)*dim])
				dist[far] = 0
				continue
			}
			for x := range row {
				row[x] = float32(total[j*dim+x] / float64(cnt[j]))
			}
			if spherical {
				Normalize(row)
			}
		}
		if it > 0 && moved*1000 < n {
			break
		}
	}
	return cent, assign, nil
}

// kmeansPlusPlus picks k seeds by D² sampling.
func kmeansPlusPlus(ctx context.Context, data []float32, dim, k int, rng *rand.Rand, workers int) ([]float32, error) {
	n := len(data) / dim
	cent := make([]float32, 0, k*dim)
	first := rng.IntN(n)
	cent = append(cent, data[first*dim:(first+1)*dim]...)
	d2 := make([]float32, n)
	for i := range d2 {
		d2[i] = float32(math.Inf(1))
	}
	chunks := (n + chunkRows - 1) / chunkRows
	partial := make([]float64, chunks)
	for len(cent) < k*dim {
		c := cent[len(cent)-dim:]
		err := parallel(ctx, n, workers, func(ci, lo, hi int) {
			var s float64
			for i := lo; i < hi; i++ {
				if d := SquaredL2(data[i*dim:(i+1)*dim], c); d < d2[i] {
					d2[i] = d
				}
				s += float64(d2[i])
			}
			partial[ci] = s
		})
		if err != nil {
			return nil, err
		}
		var total float64
		for _, s := range partial {
			total += s
		}
		pick := 0
		if total > 0 {
			target := rng.Float64() * total
			ci := 0
			for ; ci < chunks-1 && target >= partial[ci]; ci++ {
				target -= partial[ci]
			}
			pick = min(n-1, ci*chunkRows)
			for i := ci * chunkRows; i < min(n, (ci+1)*chunkRows); i++ {
				pick = i
				target -= float64(d2[i])
				if target < 0 {
					break
				}
			}
		} else {
			pick = rng.IntN(n) // all rows coincide with seeds: any row will do
		}
		cent = append(cent, data[pick*dim:(pick+1)*dim]...)
	}
	return cent, nil
}

// Normalize scales v to unit length in place (a zero vector stays zero).
func Normalize(v []float32) {
	if inv := InvNorm(v); inv != 0 {
		for i := range v {
			v[i] *= inv
		}
	}
}
