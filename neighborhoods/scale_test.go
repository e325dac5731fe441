package neighborhoods

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestPartitionScale prints build time against n on SYNTHETIC clustered data (128-d Gaussian
// mixture). Run: VB_SCALE=1 go test ./neighborhoods -run PartitionScale -v
func TestPartitionScale(t *testing.T) {
	if os.Getenv("VB_SCALE") == "" {
		t.Skip("set VB_SCALE=1 to measure build time against n")
	}
	const dim = 128
	for _, n := range []int{100000, 300000, 1000000} {
		vecs := gaussianMixture(uint64(n), n, dim, 1000)
		start := time.Now()
		p, err := Partition(context.Background(), vecs, dim, Euclidean, PartitionOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		maxSize := 0
		for _, g := range p.Members {
			maxSize = max(maxSize, len(g))
		}
		t.Logf("synthetic n=%d dim=%d: %d neighborhoods (target %d, largest %d), build %v",
			n, dim, p.K(), TargetSizeFor(n), maxSize, time.Since(start).Round(time.Millisecond))
	}
}
