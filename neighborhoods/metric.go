package neighborhoods

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Metric is the distance function of an index.
type Metric uint8

const (
	// Euclidean is L2 distance. Internal scores are squared L2; reported distances are L2.
	Euclidean Metric = iota + 1
	// Cosine is cosine distance, 1 − cos(a, b). Scores and reported distances are the same.
	Cosine
	// DotProduct is the negated inner product, −(a·b), so that smaller is nearer as for the
	// other metrics (a vectorbucket extension; S3 Vectors has no such metric). Scores and
	// reported distances are the same. Clustering runs k-means on the raw vectors; probes are
	// chosen by the inner product of the query with each centroid.
	DotProduct
)

// ErrUnknownMetric is returned by ParseMetric for a name it does not know.
var ErrUnknownMetric = errors.New("unknown distance metric")

// ParseMetric parses "euclidean", "cosine" or "dotproduct" (case-insensitive).
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(s) {
	case "euclidean":
		return Euclidean, nil
	case "cosine":
		return Cosine, nil
	case "dotproduct":
		return DotProduct, nil
	}
	return 0, fmt.Errorf("parse metric %q: %w", s, ErrUnknownMetric)
}

// String returns "euclidean" or "cosine" (the S3 Vectors names), "dotproduct", or "Metric(n)"
// for an invalid value.
func (m Metric) String() string {
	switch m {
	case Euclidean:
		return "euclidean"
	case Cosine:
		return "cosine"
	case DotProduct:
		return "dotproduct"
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// Valid reports whether m is Euclidean, Cosine or DotProduct.
func (m Metric) Valid() bool { return m == Euclidean || m == Cosine || m == DotProduct }

// Score is the internal score between a and b: squared L2 for Euclidean, 1−cos for Cosine,
// −(a·b) for DotProduct. Smaller is nearer. It computes both norms for Cosine; scans use
// precomputed norms instead.
func (m Metric) Score(a, b []float32) float32 {
	switch m {
	case Cosine:
		return CosineDistance(a, b)
	case DotProduct:
		return NegDot(a, b)
	}
	return SquaredL2(a, b)
}

// ClusterScore is the score clustering assigns vectors with: the metric's score, except that
// DotProduct clusters raw vectors by squared L2 (k-means; an inner-product assignment would
// send every vector to the centroid of largest norm).
func (m Metric) ClusterScore(a, b []float32) float32 {
	if m == DotProduct {
		return SquaredL2(a, b)
	}
	return m.Score(a, b)
}

// NegDot returns −(a·b), the DotProduct score, with the SIMD dot kernel (see Dot).
func NegDot(a, b []float32) float32 { return -Dot(a, b) }

// Distance is the distance reported to users: L2 (not squared) for Euclidean, 1−cos for Cosine.
func (m Metric) Distance(a, b []float32) float32 {
	return m.ScoreToDistance(m.Score(a, b))
}

// ScoreToDistance converts an internal score (as held by TopK) to the reported distance.
func (m Metric) ScoreToDistance(score float32) float32 {
	if m == Cosine || m == DotProduct {
		return score
	}
	if score <= 0 {
		return 0
	}
	return float32(math.Sqrt(float64(score)))
}

// DistanceToScore is the inverse of ScoreToDistance (for radius and ratio comparisons).
func (m Metric) DistanceToScore(d float32) float32 {
	if m == Cosine || m == DotProduct {
		return d
	}
	return d * d
}

// MarshalText encodes m as its name, so JSON records read "metric":"cosine".
func (m Metric) MarshalText() ([]byte, error) {
	if !m.Valid() {
		return nil, fmt.Errorf("marshal %v: %w", m, ErrUnknownMetric)
	}
	return []byte(m.String()), nil
}

// UnmarshalText parses a name as ParseMetric does.
func (m *Metric) UnmarshalText(b []byte) error {
	v, err := ParseMetric(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// negDotRef is the plain-Go reference of NegDot (float64 accumulation).
func negDotRef(a, b []float32) float32 { return -dotRef(a, b) }
