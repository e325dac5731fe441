package neighborhoods

// DefaultProbeRatio is the default distance-ratio pruning of NearestCentroids (0 = none).
const DefaultProbeRatio float32 = 0

// DefaultNProbe is the number of neighborhoods a query probes by default when the index has k
// neighborhoods: a fixed fraction with a floor, measured to give recall@10 ≥ 0.95 on
// Fashion-MNIST and GloVe-100 with the default partitioning (see TestPartitionSweep).
func DefaultNProbe(k int) int {
	n := (k*defaultProbePercent + 99) / 100
	return min(k, max(n, defaultProbeFloor))
}

const (
	defaultProbePercent = 5
	defaultProbeFloor   = 8
)
