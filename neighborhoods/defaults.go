package neighborhoods

// DefaultProbeRatio is the default distance-ratio pruning of NearestCentroids (0 = none).
const DefaultProbeRatio float32 = 0

// DefaultNProbe is the number of neighborhoods to probe when no Calibration is at hand, for an
// index of k neighborhoods: 12% of them, at least 8. It is conservative because it must hold
// for hard data too: with the default partitioning, GloVe-100 needs it (random 100k: 49 of 409
// neighborhoods → recall@10 0.974; all 331k: 163 of 1,358 → 0.989), while Fashion-MNIST reaches
// 0.97 at 2–3% — so prefer Calibration.NProbeFor wherever a calibration is stored.
func DefaultNProbe(k int) int {
	n := (k*defaultProbePercent + 99) / 100
	return min(k, max(n, defaultProbeFloor))
}

const (
	defaultProbePercent = 12
	defaultProbeFloor   = 8
)
