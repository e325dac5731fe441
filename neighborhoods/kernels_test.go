package neighborhoods

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func kernelLengths() []int {
	var ls []int
	for n := 1; n <= 67; n++ {
		ls = append(ls, n)
	}
	return append(ls, 100, 128, 768, 1536)
}

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func close32(got, want float32, scale float64) bool {
	return math.Abs(float64(got)-float64(want)) <= 1e-5*scale+1e-6
}

func TestKernelsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range kernelLengths() {
		for trial := 0; trial < 5; trial++ {
			a, b := randVec(r, n), randVec(r, n)
			// Scale for tolerance: sum of absolute terms.
			var absDot, absL2 float64
			for i := range a {
				absDot += math.Abs(float64(a[i]) * float64(b[i]))
				d := float64(a[i]) - float64(b[i])
				absL2 += d * d
			}
			if got, want := SquaredL2(a, b), squaredL2Ref(a, b); !close32(got, want, absL2) {
				t.Errorf("n=%d SquaredL2 = %v, want %v", n, got, want)
			}
			if got, want := Dot(a, b), dotRef(a, b); !close32(got, want, absDot) {
				t.Errorf("n=%d Dot = %v, want %v", n, got, want)
			}
			if got, want := CosineDistance(a, b), cosineDistanceRef(a, b); !close32(got, want, 1) {
				t.Errorf("n=%d CosineDistance = %v, want %v", n, got, want)
			}
			if got, want := squaredL2Unrolled(a, b), squaredL2Ref(a, b); !close32(got, want, absL2) {
				t.Errorf("n=%d squaredL2Unrolled = %v, want %v", n, got, want)
			}
			if got, want := dotUnrolled(a, b), dotRef(a, b); !close32(got, want, absDot) {
				t.Errorf("n=%d dotUnrolled = %v, want %v", n, got, want)
			}
		}
	}
}

func TestKernelEdgeCases(t *testing.T) {
	if got := SquaredL2(nil, nil); got != 0 {
		t.Errorf("SquaredL2(empty) = %v, want 0", got)
	}
	if got := Dot(nil, nil); got != 0 {
		t.Errorf("Dot(empty) = %v, want 0", got)
	}
	z := make([]float32, 8)
	v := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	if got := CosineDistance(z, v); got != 1 {
		t.Errorf("CosineDistance(zero, v) = %v, want 1", got)
	}
	if got := CosineDistance(v, v); math.Abs(float64(got)) > 1e-6 {
		t.Errorf("CosineDistance(v, v) = %v, want 0", got)
	}
	neg := make([]float32, len(v))
	for i := range v {
		neg[i] = -v[i]
	}
	if got := CosineDistance(v, neg); math.Abs(float64(got)-2) > 1e-6 {
		t.Errorf("CosineDistance(v, -v) = %v, want 2", got)
	}
	if got := Euclidean.Distance([]float32{0, 0}, []float32{3, 4}); got != 5 {
		t.Errorf("Euclidean.Distance = %v, want 5", got)
	}
	if got := InvNorm(z); got != 0 {
		t.Errorf("InvNorm(zero) = %v, want 0", got)
	}
}

func TestParseMetric(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Metric
		ok   bool
	}{{"euclidean", Euclidean, true}, {"Cosine", Cosine, true}, {"dot", 0, false}, {"", 0, false}} {
		got, err := ParseMetric(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMetric(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != lower(tc.in) {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

var sink float32

func BenchmarkKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{8, 16, 32, 100, 128, 768, 1536} {
		x, y := randVec(r, n), randVec(r, n)
		for _, k := range []struct {
			name string
			f    func(a, b []float32) float32
		}{
			{"SquaredL2", SquaredL2}, {"Dot", Dot}, {"CosineDistance", CosineDistance},
			{"squaredL2Unrolled", squaredL2Unrolled}, {"dotUnrolled", dotUnrolled},
			{"squaredL2Ref", squaredL2Ref},
		} {
			b.Run(fmt.Sprintf("%s/dim=%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(8 * n))
				for b.Loop() {
					sink += k.f(x, y)
				}
			})
		}
	}
}

func TestMetricJSON(t *testing.T) {
	type rec struct {
		M Metric `json:"metric"`
	}
	b, err := json.Marshal(rec{Cosine})
	if err != nil || string(b) != `{"metric":"cosine"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"metric":"euclidean"}`), &r); err != nil || r.M != Euclidean {
		t.Errorf("unmarshal: %v %v", r.M, err)
	}
	if err := json.Unmarshal([]byte(`{"metric":"dot"}`), &r); !errors.Is(err, ErrUnknownMetric) {
		t.Errorf("unmarshal unknown: %v", err)
	}
	if _, err := json.Marshal(rec{Metric(0)}); err == nil {
		t.Error("marshal of the zero Metric succeeded")
	}
}

// TestFirstBelow checks FirstBelow (the AVX-512 loop where this CPU has it)
// against a plain loop on every length to 70, with infinities and NaNs.
func TestFirstBelow(t *testing.T) {
	asm := haveAVX512
	defer func() { haveAVX512 = asm }()
	r := rand.New(rand.NewPCG(21, 22))
	inf := float32(math.Inf(1))
	for n := range 71 {
		x := make([]float32, n)
		for trial := range 40 {
			for i := range x {
				switch r.IntN(8) {
				case 0:
					x[i] = inf
				case 1:
					x[i] = float32(math.NaN())
				default:
					x[i] = r.Float32()
				}
			}
			thr := []float32{inf, 0, 0.05, 0.5, float32(math.NaN())}[trial%5]
			want := n
			for i, v := range x {
				if v < thr {
					want = i
					break
				}
			}
			for _, a := range []bool{asm, false} {
				haveAVX512 = a
				if got := FirstBelow(x, thr); got != want {
					t.Fatalf("n %d threshold %v (asm %v): %d, want %d in %v", n, thr, a, got, want, x)
				}
			}
		}
	}
}
