package datasets

import "math"

// Distance is the exact distance between a and b under metric, computed in float64 from the
// float32 values: L2 (not squared) for Euclidean, 1 − cosine similarity for Cosine (1 when
// either vector is zero). Ground truth and recall use it, so they agree bit for bit.
func Distance(metric string, a, b []float32) float64 {
	if metric == Cosine {
		var ab, aa, bb float64
		for i := range a {
			x, y := float64(a[i]), float64(b[i])
			ab += x * y
			aa += x * x
			bb += y * y
		}
		return cosineFrom(ab, aa, bb)
	}
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func cosineFrom(ab, aa, bb float64) float64 {
	if aa == 0 || bb == 0 {
		return 1
	}
	return 1 - ab/(math.Sqrt(aa)*math.Sqrt(bb))
}

// cosineWithNorm is Distance(Cosine, a, b) given bb = Σ b², the same arithmetic.
func cosineWithNorm(a, b []float32, bb float64) float64 {
	var ab, aa float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
	}
	return cosineFrom(ab, aa, bb)
}

func sqNorm64(a []float32) float64 {
	var s float64
	for _, x := range a {
		s += float64(x) * float64(x)
	}
	return s
}
