package neighborhoods

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func batchInput(r *rand.Rand, dim, n int) (q, rows []float32) {
	q = make([]float32, dim)
	for i := range q {
		q[i] = float32(r.NormFloat64())
	}
	rows = make([]float32, n*dim)
	for i := range rows {
		rows[i] = float32(r.NormFloat64())
	}
	return q, rows
}

// The batch kernels agree with the float64 references on every dimension and row count
// the blocked path and its tails can take.
func TestBatchKernelsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	dims := []int{1, 100, 128, 768, 784, 1536}
	for d := 2; d <= 67; d++ {
		dims = append(dims, d)
	}
	for _, dim := range dims {
		for n := 0; n <= 9; n++ {
			q, rows := batchInput(r, dim, n)
			dots, l2s := make([]float32, n), make([]float32, n)
			DotBatch(q, rows, dots)
			SquaredL2Batch(q, rows, l2s)
			for i := range n {
				row := rows[i*dim : (i+1)*dim]
				// float32 accumulation against float64: relative 1e-5 of the magnitudes.
				var mag float64
				for j := range row {
					mag += math.Abs(float64(q[j]) * float64(row[j]))
				}
				if want := dotRef(q, row); math.Abs(float64(dots[i]-want)) > 1e-5*mag+1e-6 {
					t.Fatalf("dim %d n %d row %d: DotBatch %v, reference %v", dim, n, i, dots[i], want)
				}
				if want := squaredL2Ref(q, row); math.Abs(float64(l2s[i]-want)) > 1e-5*float64(want)+1e-6 {
					t.Fatalf("dim %d n %d row %d: SquaredL2Batch %v, reference %v", dim, n, i, l2s[i], want)
				}
			}
		}
	}
	q, rows := batchInput(r, 100, 64)
	out := make([]float32, 64)
	if a := testing.AllocsPerRun(100, func() { DotBatch(q, rows, out); SquaredL2Batch(q, rows, out) }); a != 0 {
		t.Errorf("batch kernels allocate %v times per call", a)
	}
}

// BenchmarkBatchKernels compares one batch call over 256 rows with 256 per-row calls.
func BenchmarkBatchKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{16, 32, 100, 128, 784} {
		q, rows := batchInput(r, dim, 256)
		out := make([]float32, 256)
		b.Run(fmt.Sprintf("dot/dim=%d/batch", dim), func(b *testing.B) {
			for range b.N {
				DotBatch(q, rows, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/256, "ns/row")
		})
		b.Run(fmt.Sprintf("dot/dim=%d/per-row", dim), func(b *testing.B) {
			for range b.N {
				for i := range 256 {
					out[i] = Dot(q, rows[i*dim:(i+1)*dim])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/256, "ns/row")
		})
		b.Run(fmt.Sprintf("l2/dim=%d/batch", dim), func(b *testing.B) {
			for range b.N {
				SquaredL2Batch(q, rows, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/256, "ns/row")
		})
		b.Run(fmt.Sprintf("l2/dim=%d/per-row", dim), func(b *testing.B) {
			for range b.N {
				for i := range 256 {
					out[i] = SquaredL2(q, rows[i*dim:(i+1)*dim])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/256, "ns/row")
		})
	}
}
