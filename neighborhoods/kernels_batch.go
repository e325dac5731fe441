package neighborhoods

// blockedMinDim is the dimension from which the four-row assembly kernels
// replace one vek call per row (BenchmarkBatchKernels).
const blockedMinDim = 16

// DotBatch writes q·row into out[i] for every row of rows (row-major,
// len(rows)/len(q) rows of len(q) values; out must hold that many). With AVX2
// and FMA it scores four rows per call, sharing the loads of q; otherwise it
// calls Dot per row. dotRef is the reference it is tested against.
func DotBatch(q, rows, out []float32) { batch(false, q, rows, out) }

// SquaredL2Batch writes ‖row − q‖² into out[i] for every row of rows, as
// DotBatch does.
func SquaredL2Batch(q, rows, out []float32) { batch(true, q, rows, out) }

func batch(l2 bool, q, rows, out []float32) {
	dim := len(q)
	if dim == 0 {
		clear(out[:len(rows)])
		return
	}
	n := len(rows) / dim
	out = out[:n]
	i := 0
	if haveBlockedAVX2 && dim >= blockedMinDim {
		n8 := dim &^ 7
		var acc [4]float32
		for ; i+4 <= n; i += 4 {
			r := rows[i*dim : (i+4)*dim]
			block4(l2, q, r, dim, n8, &acc)
			if n8 < dim {
				for k := range 4 {
					row := r[k*dim : (k+1)*dim]
					acc[k] += tail(l2, q[n8:], row[n8:])
				}
			}
			out[i], out[i+1], out[i+2], out[i+3] = acc[0], acc[1], acc[2], acc[3]
		}
	}
	for ; i < n; i++ {
		row := rows[i*dim : (i+1)*dim]
		if l2 {
			out[i] = SquaredL2(q, row)
		} else {
			out[i] = Dot(q, row)
		}
	}
}

// tail is the kernel over the last (fewer than 8) dimensions.
func tail(l2 bool, q, row []float32) float32 {
	row = row[:len(q)]
	var s float32
	for j, x := range q {
		if l2 {
			d := row[j] - x
			s += d * d
		} else {
			s += row[j] * x
		}
	}
	return s
}
