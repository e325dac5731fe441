package neighborhoods

// NearestCentroids appends to out[:0] the indices of the nprobe centroids nearest to q, nearest
// first, and returns it. centroids is flat (n*dim values). With ratio > 0 it keeps only those
// whose reported distance is at most ratio × the nearest one's (e.g. 1.5), so an easy query
// probes fewer neighborhoods; ratio ≤ 0 (or a nearest distance of 0, or DotProduct) disables
// that pruning. DotProduct ranks centroids by inner product with q (largest first).
// nprobe ≥ n (the number of centroids) returns every centroid: exact mode.
func NearestCentroids(centroids []float32, dim int, metric Metric, q []float32, nprobe int, ratio float32, out []int) []int {
	out = out[:0]
	n := 0
	if dim > 0 {
		n = len(centroids) / dim
	}
	if nprobe > n {
		nprobe = n
	}
	if nprobe <= 0 {
		return out
	}
	top := NewTopK(nprobe)
	qinv := InvNorm(q)
	for i := 0; i < n; i++ {
		c := centroids[i*dim : (i+1)*dim]
		var s float32
		switch metric {
		case Cosine:
			s = cosineScore(Dot(q, c), qinv, InvNorm(c))
		case DotProduct:
			s = -Dot(q, c)
		default:
			s = SquaredL2(q, c)
		}
		if s < top.Worst() {
			top.Push(Hit{Score: s, Row: int32(i)})
		}
	}
	hits := top.Sorted(make([]Hit, 0, nprobe))
	limit := float32(-1)
	// DotProduct scores are signed, so a distance ratio means nothing there: no pruning.
	if ratio > 0 && len(hits) > 0 && metric != DotProduct {
		best := metric.ScoreToDistance(hits[0].Score)
		if best > 0 {
			limit = metric.DistanceToScore(ratio * best)
		}
	}
	for _, h := range hits {
		if limit >= 0 && h.Score > limit {
			break
		}
		out = append(out, int(h.Row))
	}
	return out
}

func cosineScore(dot, qinv, xinv float32) float32 {
	if qinv == 0 || xinv == 0 {
		return 1
	}
	return 1 - dot*qinv*xinv
}

// invNorm returns 1/‖row i‖ from the stored norms, or 0 for a zero row.
func (s *Segment) invNorm(i int) float32 {
	if nv := s.norms[i]; nv > 0 {
		return 1 / nv
	}
	return 0
}

// ScanSegment scores every live row of seg against q and offers it to top, tagged with source
// (Hit.Source) and its key hash (so replicas of one vector in several segments count once). It
// skips tombstones (Deleted rows) and rows for which accept (if not nil) returns false; accept is
// called before scoring, so a filter there saves the distance computation. It returns the number
// of vectors scored. metric must be the segment's metric and len(q) its dimension.
//
// Cosine uses the stored norm column, so scoring a row costs one dot product.
func ScanSegment(seg *Segment, metric Metric, q []float32, top *TopK, source int32, accept func(i int) bool) int {
	dim := seg.dim
	vecs := seg.vecs
	q = q[:dim]
	scored := 0
	worst := top.Worst()
	var qinv float32
	if metric == Cosine {
		qinv = InvNorm(q)
	}
	hasDeleted := seg.anyDeleted()
	for i := 0; i < seg.n; i++ {
		if hasDeleted && seg.deleted.get(i) {
			continue
		}
		if accept != nil && !accept(i) {
			continue
		}
		v := vecs[i*dim : (i+1)*dim]
		var s float32
		switch metric {
		case Cosine:
			s = cosineScore(Dot(q, v), qinv, seg.invNorm(i))
		case DotProduct:
			s = -Dot(q, v)
		default:
			s = SquaredL2(q, v)
		}
		scored++
		if s < worst {
			top.Push(Hit{Score: s, Source: source, Row: int32(i), Hash: KeyHash(seg.KeyBytes(i))})
			worst = top.Worst()
		}
	}
	return scored
}

// ScanVectors is ScanSegment for a plain row-major array (n = len(vecs)/dim rows, no keys, no
// tombstones): rows are pushed with Hash 0. Useful for brute force and for in-memory data.
func ScanVectors(vecs []float32, dim int, metric Metric, q []float32, top *TopK, source int32, accept func(i int) bool) int {
	n := len(vecs) / dim
	q = q[:dim]
	scored := 0
	worst := top.Worst()
	qinv := InvNorm(q)
	for i := 0; i < n; i++ {
		if accept != nil && !accept(i) {
			continue
		}
		v := vecs[i*dim : (i+1)*dim]
		var s float32
		switch metric {
		case Cosine:
			s = cosineScore(Dot(q, v), qinv, InvNorm(v))
		case DotProduct:
			s = -Dot(q, v)
		default:
			s = SquaredL2(q, v)
		}
		scored++
		if s < worst {
			top.Push(Hit{Score: s, Source: source, Row: int32(i)})
			worst = top.Worst()
		}
	}
	return scored
}
