package bench

import (
	"math"
	"slices"
)

// RecallLevels are the recall@k levels at which QPS ratios are reported.
var RecallLevels = []float64{0.90, 0.95, 0.99}

// Frontier returns the Pareto frontier of points on (recall, QPS): every
// point that no other point beats on both recall and QPS, sorted by recall
// ascending (and so QPS descending). Points with equal recall keep only the
// fastest; points with a negative recall (no ground truth) are left out.
func Frontier(points []Point) []Point {
	ps := make([]Point, 0, len(points))
	for _, p := range points {
		if p.Recall >= 0 && p.QPS > 0 {
			ps = append(ps, p)
		}
	}
	// Highest recall first; among equal recall, fastest first.
	slices.SortStableFunc(ps, func(a, b Point) int {
		switch {
		case a.Recall > b.Recall:
			return -1
		case a.Recall < b.Recall:
			return 1
		case a.QPS > b.QPS:
			return -1
		case a.QPS < b.QPS:
			return 1
		}
		return 0
	})
	var out []Point
	best := math.Inf(-1)
	for _, p := range ps {
		if p.QPS > best { // strictly faster than everything with ≥ recall
			out = append(out, p)
			best = p.QPS
		}
	}
	slices.Reverse(out)
	return out
}

// QPSAt estimates the QPS an engine reaches at recall level r from its
// points: on the Pareto frontier, log(QPS) is interpolated linearly in recall
// between the last point below r and the first point at or above it. When
// the frontier's lowest recall is already ≥ r, that point's QPS is the
// answer (the engine reaches r at least that fast). ok is false when no
// point reaches r.
func QPSAt(points []Point, r float64) (qps float64, ok bool) {
	f := Frontier(points)
	i := slices.IndexFunc(f, func(p Point) bool { return p.Recall >= r })
	switch {
	case i < 0:
		return 0, false
	case i == 0 || f[i].Recall == r:
		return f[i].QPS, true
	}
	a, b := f[i-1], f[i]
	t := (r - a.Recall) / (b.Recall - a.Recall)
	return math.Exp(math.Log(a.QPS) + t*(math.Log(b.QPS)-math.Log(a.QPS))), true
}

// Ratio compares our QPS with a peer's at one recall level.
type Ratio struct {
	Ours   string  `json:"ours"`
	Peer   string  `json:"peer"`
	Recall float64 `json:"recall"`
	// OursQPS and PeerQPS are interpolated on each engine's frontier; 0
	// when that engine does not reach the recall level.
	OursQPS float64 `json:"ours_qps"`
	PeerQPS float64 `json:"peer_qps"`
	// Ratio is OursQPS / PeerQPS, or 0 when either does not reach Recall.
	Ratio float64 `json:"ratio"`
	// Note is "not reached by …" when the ratio is missing.
	Note string `json:"note,omitempty"`
}

// String formats the ratio for a table cell, e.g. "1.52×" or "not reached
// (ours)".
func (r Ratio) String() string {
	if r.Ratio == 0 {
		return r.Note
	}
	return formatRatio(r.Ratio)
}

// Ratios compares ours with each peer at every level of RecallLevels.
func Ratios(ours Curve, peers []Curve, levels []float64) []Ratio {
	var out []Ratio
	for _, p := range peers {
		for _, r := range levels {
			x := Ratio{Ours: ours.Engine, Peer: p.Engine, Recall: r}
			oq, ook := QPSAt(ours.Points, r)
			pq, pok := QPSAt(p.Points, r)
			if ook {
				x.OursQPS = oq
			}
			if pok {
				x.PeerQPS = pq
			}
			switch {
			case !ook && !pok:
				x.Note = "not reached (either)"
			case !ook:
				x.Note = "not reached (ours)"
			case !pok:
				x.Note = "not reached (" + p.Engine + ")"
			default:
				x.Ratio = oq / pq
			}
			out = append(out, x)
		}
	}
	return out
}
