package sq8

import (
	"errors"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"math"
	"math/rand/v2"
	"testing"
)

func randRows(r *rand.Rand, n, dim int, off float64) []float32 {
	v := make([]float32, n*dim)
	for i := range v {
		v[i] = float32(r.NormFloat64() + off)
	}
	return v
}

func sqDist(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

// TestBound checks, on random rows and queries (near and far, raw and
// normalized, every dimension to 40 and some large ones), that the true
// squared distance always lies inside the bound and that the bound is tight.
func TestBound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, normalize := range []bool{false, true} {
		for _, dim := range []int{1, 2, 3, 15, 16, 17, 31, 33, 40, 100, 784} {
			n := 50
			vecs := randRows(r, n, dim, 3)
			c, err := Encode(vecs, dim, normalize)
			if err != nil {
				t.Fatal(err)
			}
			var q Query
			width := 0.0
			for range 20 {
				qv := randRows(r, 1, dim, 3)
				qn := append([]float32(nil), qv...)
				if normalize {
					neighborhoods.Normalize(qn)
				}
				q.SetVector(qn)
				if err := q.Prepare(c); err != nil {
					t.Fatal(err)
				}
				for i := range n {
					x := append([]float32(nil), vecs[i*dim:(i+1)*dim]...)
					if normalize {
						neighborhoods.Normalize(x)
					}
					want := sqDist(qn, x)
					d, e := q.Distance(i)
					lo, hi := q.Lower(i), math.Pow(math.Sqrt(float64(d))*(1+1e-5)+float64(e+q.slack), 2)
					if float64(lo) > want*(1+1e-6)+1e-9 || hi < want*(1-1e-6) {
						t.Fatalf("normalize %v dim %d row %d: true %v outside [%v, %v]", normalize, dim, i, want, lo, hi)
					}
					width += (hi - float64(lo)) / (want + 1e-9)
				}
			}
			if avg := width / float64(20*n); dim >= 16 && avg > 0.05 {
				t.Errorf("normalize %v dim %d: bound width %.3f of the distance on average, want < 0.05", normalize, dim, avg)
			}
		}
	}
}

// TestKernel checks the AVX-512 kernel (where this CPU has it) against the
// plain reference.
func TestKernel(t *testing.T) {
	asm := haveAVX512
	defer func() { haveAVX512 = asm }()
	r := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{1, 7, 16, 17, 64, 100, 784} {
		c, _ := Encode(randRows(r, 20, dim, 0), dim, false)
		var q Query
		q.SetVector(randRows(r, 1, dim, 0))
		_ = q.Prepare(c)
		for i := range c.Len() {
			haveAVX512 = asm
			got, _ := q.Distance(i)
			haveAVX512 = false
			want, _ := q.Distance(i)
			if math.Abs(float64(got-want)) > 1e-4*(1+float64(want)) {
				t.Fatalf("dim %d row %d: kernel %v, reference %v", dim, i, got, want)
			}
		}
	}
}

func TestConstantAndZero(t *testing.T) {
	// a constant dimension (scale 0) and a zero row under normalization
	vecs := []float32{1, 0, 5, 1, 0, 7, 1, 0, 9, 0, 0, 0}
	for _, normalize := range []bool{false, true} {
		c, err := Encode(vecs, 3, normalize)
		if err != nil {
			t.Fatal(err)
		}
		var q Query
		q.SetVector([]float32{1, 2, 3})
		_ = q.Prepare(c)
		for i := range 4 {
			if d, e := q.Distance(i); math.IsNaN(float64(d)) || math.IsNaN(float64(e)) {
				t.Fatalf("normalize %v row %d: NaN", normalize, i)
			}
		}
	}
	if _, err := Encode([]float32{1, 2, 3}, 2, false); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("ragged input: %v", err)
	}
	c, _ := Encode(vecs, 3, false)
	var q Query
	q.SetVector([]float32{1})
	if err := q.Prepare(c); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("short query: %v", err)
	}
}

func TestZeroAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	c, _ := Encode(randRows(r, 64, 100, 0), 100, true)
	qv := randRows(r, 1, 100, 0)
	var q Query
	q.SetVector(qv)
	_ = q.Prepare(c)
	if a := testing.AllocsPerRun(50, func() {
		q.SetVector(qv)
		_ = q.Prepare(c)
		for i := range c.Len() {
			_ = q.Lower(i)
		}
	}); a != 0 {
		t.Fatalf("%v allocations per query", a)
	}
}
