package index

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// nearestOne returns the row of the centroid nearest to q in the clustering
// space (raw vectors by L2 for dot product, as Partition clusters them): the
// one-centroid-at-a-time reference of nearestCentroids.
func nearestOne(m neighborhoods.Metric, q, cents []float32, dim int) int {
	best, bestScore := 0, float32(0)
	for i := 0; i < len(cents)/dim; i++ {
		s := m.ClusterScore(q, cents[i*dim:(i+1)*dim])
		if i == 0 || s < bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// TestNearestCentroids: the blocked, parallel assignment of a fold picks
// the reference's centroid for every vector (or one whose score ties it to
// float32 rounding), for each metric, at dimensions with and without a
// kernel tail, over more records than one work chunk.
func TestNearestCentroids(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	for _, m := range []neighborhoods.Metric{neighborhoods.Euclidean, neighborhoods.Cosine, neighborhoods.DotProduct} {
		for _, dim := range []int{3, 17, 128} {
			cents := make([]float32, 0, 300*dim)
			for range 300 {
				cents = append(cents, randVec(r, dim)...)
			}
			in := make([]neighborhoods.Record, 2500)
			for i := range in {
				in[i] = neighborhoods.Record{Key: fmt.Sprintf("k%d", i), Vector: randVec(r, dim), Seq: uint64(i)}
			}
			data, err := neighborhoods.EncodeSegment(dim, m, in)
			if err != nil {
				t.Fatal(err)
			}
			seg, err := decode("seg", data)
			if err != nil {
				t.Fatal(err)
			}
			recs := make([]rec, len(in))
			for i := range recs {
				recs[i] = rec{s: seg, row: int32(i)}
			}
			got, err := nearestCentroids(ctx, m, recs, cents, dim)
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i, rc := range recs {
				want := nearestOne(m, rc.vector(), cents, dim)
				if int(got[i]) == want {
					continue
				}
				gs := m.ClusterScore(rc.vector(), cents[int(got[i])*dim:(int(got[i])+1)*dim])
				ws := m.ClusterScore(rc.vector(), cents[want*dim:(want+1)*dim])
				if math.Abs(float64(gs-ws)) > 1e-5*(1+math.Abs(float64(ws))) {
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%v dim %d: %d of %d vectors assigned to a farther centroid", m, dim, bad, len(recs))
			}
		}
	}
}
