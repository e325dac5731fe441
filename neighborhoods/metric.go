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
)

// ErrUnknownMetric is returned by ParseMetric for a name it does not know.
var ErrUnknownMetric = errors.New("unknown distance metric")

// ParseMetric parses "euclidean" or "cosine" (case-insensitive).
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(s) {
	case "euclidean":
		return Euclidean, nil
	case "cosine":
		return Cosine, nil
	}
	return 0, fmt.Errorf("parse metric %q: %w", s, ErrUnknownMetric)
}

// String returns "euclidean" or "cosine" (the S3 Vectors names), or "Metric(n)" for an invalid value.
func (m Metric) String() string {
	switch m {
	case Euclidean:
		return "euclidean"
	case Cosine:
		return "cosine"
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// Valid reports whether m is Euclidean or Cosine.
func (m Metric) Valid() bool { return m == Euclidean || m == Cosine }

// Score is the internal score between a and b: squared L2 for Euclidean, 1−cos for Cosine.
// Smaller is nearer. It computes both norms for Cosine; scans use precomputed norms instead.
func (m Metric) Score(a, b []float32) float32 {
	if m == Cosine {
		return CosineDistance(a, b)
	}
	return SquaredL2(a, b)
}

// Distance is the distance reported to users: L2 (not squared) for Euclidean, 1−cos for Cosine.
func (m Metric) Distance(a, b []float32) float32 {
	return m.ScoreToDistance(m.Score(a, b))
}

// ScoreToDistance converts an internal score (as held by TopK) to the reported distance.
func (m Metric) ScoreToDistance(score float32) float32 {
	if m == Cosine {
		return score
	}
	if score <= 0 {
		return 0
	}
	return float32(math.Sqrt(float64(score)))
}

// DistanceToScore is the inverse of ScoreToDistance (for radius and ratio comparisons).
func (m Metric) DistanceToScore(d float32) float32 {
	if m == Cosine {
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
