package neighborhoods_test

import (
	"context"
	"fmt"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// Example builds neighborhoods for a few 2-d points, stores each as a segment object, and
// answers a query by probing the nearest neighborhood.
func Example() {
	vecs := []float32{0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10}
	keys := []string{"a", "b", "c", "x", "y", "z"}
	p, err := neighborhoods.Partition(context.Background(), vecs, 2, neighborhoods.Euclidean,
		neighborhoods.PartitionOptions{TargetSize: 3, Seed: 1})
	if err != nil {
		panic(err)
	}
	var segs []*neighborhoods.Segment
	for _, members := range p.Members {
		var recs []neighborhoods.Record
		for _, i := range members {
			recs = append(recs, neighborhoods.Record{Key: keys[i], Vector: vecs[i*2 : i*2+2], Seq: 1})
		}
		data, err := neighborhoods.EncodeSegment(2, neighborhoods.Euclidean, recs) // the object's bytes
		if err != nil {
			panic(err)
		}
		seg, err := neighborhoods.DecodeSegment(data) // zero-copy view
		if err != nil {
			panic(err)
		}
		segs = append(segs, seg)
	}
	q := []float32{10.2, 10.9}
	top := neighborhoods.NewTopK(2)
	for _, j := range neighborhoods.NearestCentroids(p.Centroids, 2, neighborhoods.Euclidean, q, 1, 0, nil) {
		neighborhoods.ScanSegment(segs[j], neighborhoods.Euclidean, q, top, int32(j), nil)
	}
	for _, h := range top.Sorted(nil) {
		fmt.Printf("%s %.3f\n", segs[h.Source].Key(int(h.Row)), neighborhoods.Euclidean.ScoreToDistance(h.Score))
	}
	// Output:
	// y 0.224
	// x 0.922
}
