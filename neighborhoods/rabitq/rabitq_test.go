package rabitq

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func gaussVecs(r *rand.Rand, n, dim int, center []float32, sigma float64) []float32 {
	v := make([]float32, n*dim)
	for i := range v {
		c := 0.0
		if center != nil {
			c = float64(center[i%dim])
		}
		v[i] = float32(c + sigma*r.NormFloat64())
	}
	return v
}

func sqL2(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

func cosDist(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 1
	}
	return 1 - ab/math.Sqrt(aa*bb)
}

func trueDist(m Metric, a, b []float32) float64 {
	if m == Cosine {
		return cosDist(a, b)
	}
	return sqL2(a, b)
}

func mustRot(t testing.TB, dim int, seed uint64) *Rotation {
	t.Helper()
	r, err := NewRotation(dim, seed, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustCodes(t testing.TB, cent, vecs []float32, m Metric, rot *Rotation) *Codes {
	t.Helper()
	b, err := Encode(cent, vecs, EncodeOptions{Metric: m, Rotation: rot})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRotationOrthogonal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{1, 5, 63, 64, 65, 100, 128, 300, 784} {
		rot := mustRot(t, dim, 42)
		p := rot.Padded()
		a, b := gaussVecs(r, 1, dim, nil, 1), gaussVecs(r, 1, dim, nil, 1)
		ra, rb := make([]float32, p), make([]float32, p)
		rot.Apply(ra, a)
		rot.Apply(rb, b)
		var dot, rdot float64
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
		}
		for i := range ra {
			rdot += float64(ra[i]) * float64(rb[i])
		}
		zero := make([]float32, dim)
		zp := make([]float32, p)
		if d0, d1 := sqL2(a, zero), sqL2(ra, zp); math.Abs(d0-d1) > 1e-4*d0 {
			t.Errorf("dim %d: norm² %v → %v", dim, d0, d1)
		}
		if math.Abs(dot-rdot) > 1e-4*float64(dim) {
			t.Errorf("dim %d: dot %v → %v", dim, dot, rdot)
		}
		again := make([]float32, p)
		mustRot(t, dim, 42).Apply(again, a)
		if !equalF(again, ra) {
			t.Errorf("dim %d: not deterministic", dim)
		}
		mustRot(t, dim, 43).Apply(again, a)
		if dim > 1 && equalF(again, ra) {
			t.Errorf("dim %d: seeds 42 and 43 rotate alike", dim)
		}
	}
	if _, err := NewRotation(0, 1, 0); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("dim 0: %v", err)
	}
	if _, err := NewRotation(8, 1, 9); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("9 rounds: %v", err)
	}
}

func equalF(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestEstimator checks on random data that the estimate is close to the true distance
// (relative to the scale 2‖o−c‖‖q−c‖ of its error term), is nearly unbiased, and that the
// error bound covers the true distance in ≥ 92% of cases (its lower end in ≥ 95%).
func TestEstimator(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, m := range []Metric{Euclidean, Cosine} {
		for _, dim := range []int{16, 64, 100, 128, 784} {
			const n, nq = 400, 20
			cent := gaussVecs(r, 1, dim, nil, 1)
			vecs := gaussVecs(r, n, dim, cent, 0.5)
			rot := mustRot(t, dim, 7)
			c := mustCodes(t, cent, vecs, m, rot)
			q, err := NewQuery(rot, m)
			if err != nil {
				t.Fatal(err)
			}
			est, lower := make([]float32, n), make([]float32, n)
			var absErr, bias float64
			covered, above, total := 0, 0, 0
			queries := gaussVecs(r, nq, dim, cent, 0.6)
			for k := range nq {
				qv := queries[k*dim : (k+1)*dim]
				if err := q.SetVector(qv); err != nil {
					t.Fatal(err)
				}
				if err := q.Prepare(c); err != nil {
					t.Fatal(err)
				}
				q.EstimateBounds(est, lower)
				scale := 1.0
				if m == Cosine {
					scale = 0.5
				}
				for i := range n {
					want := trueDist(m, qv, vecs[i*dim:(i+1)*dim])
					e := float64(est[i]) - want
					norm := 2 * scale * float64(c.Norm(i)) * float64(q.QueryNorm())
					absErr += math.Abs(e) / norm
					bias += e / norm
					lo, hi := float64(lower[i]), 2*float64(est[i])-float64(lower[i])
					if want >= lo-1e-5 {
						above++
						if want <= hi+1e-5 {
							covered++
						}
					}
					total++
				}
			}
			absErr /= float64(total)
			bias /= float64(total)
			cover := float64(covered) / float64(total)
			coverLow := float64(above) / float64(total)
			// The error of ⟨ô,q̂⟩ has a standard deviation of about 1/√D·√(1−⟨ō,o⟩²)/⟨ō,o⟩ ≈ 0.75/√D.
			limit := 1.2 / math.Sqrt(float64(Padded(dim)))
			t.Logf("%v dim %d: mean |err|/(2‖o−c‖‖q−c‖) %.4f (limit %.4f), bias %.4f, bound coverage %.3f two-sided, %.3f lower end", m, dim, absErr, limit, bias, cover, coverLow)
			if absErr > limit || math.Abs(bias) > limit/4 {
				t.Errorf("%v dim %d: mean relative error %.4f, bias %.4f > %.4f", m, dim, absErr, bias, limit)
			}
			// ε0 = 1.9 is about 1.9 standard deviations: ≈ 94% two-sided, ≈ 97% one-sided.
			if cover < 0.92 || coverLow < 0.95 {
				t.Errorf("%v dim %d: bound covers %.3f of true distances (lower end %.3f)", m, dim, cover, coverLow)
			}
		}
	}
}

func (m Metric) String() string {
	if m == Cosine {
		return "cosine"
	}
	return "euclidean"
}

func TestKernelMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, m := range []Metric{Euclidean, Cosine} {
		for _, dim := range []int{1, 3, 63, 64, 65, 100, 127, 128, 129, 200, 784} {
			rot := mustRot(t, dim, 9)
			q, _ := NewQuery(rot, m)
			for _, n := range []int{0, 1, 2, 3, 7, 8, 37, 64} {
				cent := gaussVecs(r, 1, dim, nil, 1)
				vecs := gaussVecs(r, n, dim, cent, 1)
				if n > 2 {
					copy(vecs[dim:2*dim], cent) // a zero residual
				}
				c := mustCodes(t, cent, vecs, m, rot)
				if err := q.SetVector(gaussVecs(r, 1, dim, cent, 1)); err != nil {
					t.Fatal(err)
				}
				if err := q.Prepare(c); err != nil {
					t.Fatal(err)
				}
				got, want := make([]float32, n), make([]float32, n)
				q.Estimate(got)
				q.EstimateRef(want)
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
						t.Errorf("%v dim %d n %d: code %d: kernel %v, reference %v", m, dim, n, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestKernelPaths checks the assembly kernel (where this CPU has it) against the portable one,
// estimates and lower bounds, on whole blocks and tails.
func TestKernelPaths(t *testing.T) {
	if !haveAVX512 {
		t.Log("no AVX-512 VPOPCNTQ on this CPU: only the portable kernel runs")
	}
	asm := haveAVX512
	defer func() { haveAVX512 = asm }()
	r := rand.New(rand.NewPCG(11, 12))
	for _, m := range []Metric{Euclidean, Cosine} {
		for _, dim := range []int{5, 64, 100, 784} {
			rot := mustRot(t, dim, 3)
			q, _ := NewQuery(rot, m)
			for _, n := range []int{1, 8, 9, 23, 200} {
				cent := gaussVecs(r, 1, dim, nil, 1)
				c := mustCodes(t, cent, gaussVecs(r, n, dim, cent, 1), m, rot)
				if err := q.SetVector(gaussVecs(r, 1, dim, cent, 1)); err != nil {
					t.Fatal(err)
				}
				if err := q.Prepare(c); err != nil {
					t.Fatal(err)
				}
				est, lower := make([]float32, n), make([]float32, n)
				goEst, goLower := make([]float32, n), make([]float32, n)
				haveAVX512 = asm
				q.EstimateBounds(est, lower)
				haveAVX512 = false
				q.EstimateBounds(goEst, goLower)
				for i := range n {
					tol := 1e-4 * (1 + math.Abs(float64(goEst[i])))
					if math.Abs(float64(est[i]-goEst[i])) > tol || math.Abs(float64(lower[i]-goLower[i])) > tol {
						t.Errorf("%v dim %d n %d code %d: kernel est %v lower %v, portable %v %v", m, dim, n, i, est[i], lower[i], goEst[i], goLower[i])
					}
					if lower[i] > est[i] {
						t.Errorf("%v dim %d n %d code %d: lower %v above the estimate %v", m, dim, n, i, lower[i], est[i])
					}
				}
			}
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, dim := range []int{100, 784} {
		rot := mustRot(t, dim, 1)
		cent := gaussVecs(r, 1, dim, nil, 1)
		c := mustCodes(t, cent, gaussVecs(r, 256, dim, cent, 1), Euclidean, rot)
		q, _ := NewQuery(rot, Euclidean)
		qv := gaussVecs(r, 1, dim, cent, 1)
		est, lower := make([]float32, c.Len()), make([]float32, c.Len())
		allocs := testing.AllocsPerRun(50, func() {
			_ = q.SetVector(qv)
			_ = q.Prepare(c)
			q.Estimate(est)
			q.EstimateBounds(est, lower)
		})
		if allocs != 0 {
			t.Errorf("dim %d: %v allocations per query", dim, allocs)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, m := range []Metric{Euclidean, Cosine} {
		for _, dim := range []int{1, 64, 100, 784} {
			for _, n := range []int{0, 1, 5, 33} {
				cent := gaussVecs(r, 1, dim, nil, 1)
				vecs := gaussVecs(r, n, dim, cent, 1)
				b, err := Encode(cent, vecs, EncodeOptions{Metric: m, Seed: 77, Rounds: 2})
				if err != nil {
					t.Fatal(err)
				}
				c, err := Decode(b)
				if err != nil {
					t.Fatal(err)
				}
				if c.Len() != n || c.Dim() != dim || c.Metric() != m || c.Seed() != 77 || c.Rounds() != 2 {
					t.Fatalf("header: n %d dim %d metric %d seed %d rounds %d", c.Len(), c.Dim(), c.Metric(), c.Seed(), c.Rounds())
				}
				// the codes are the sign bits of the rotated residual, and ‖o−c‖ is kept
				rot, _ := NewRotation(dim, 77, 2)
				u, rc := make([]float32, rot.Padded()), make([]float32, rot.Padded())
				cn := append([]float32(nil), cent...)
				if m == Cosine {
					normalize(cn)
				}
				rot.Apply(rc, cn)
				for i := range n {
					v := append([]float32(nil), vecs[i*dim:(i+1)*dim]...)
					if m == Cosine {
						normalize(v)
					}
					rot.Apply(u, v)
					code := c.Code(i, nil)
					for k := range u {
						if bit := code[k>>6]>>(k&63)&1 == 1; bit != (u[k]-rc[k] > 0) {
							t.Fatalf("%v dim %d: code %d bit %d", m, dim, i, k)
						}
					}
					if want := math.Sqrt(sqL2(v, cn)); math.Abs(float64(c.Norm(i))-want) > 1e-4*(1+want) {
						t.Fatalf("norm %v, want %v", c.Norm(i), want)
					}
				}
				// a misaligned copy decodes (by copying) to the same values
				mis := make([]byte, len(b)+1)[1:]
				copy(mis, b)
				c2, err := Decode(mis)
				if err != nil {
					t.Fatal(err)
				}
				if !equalF(c.add, c2.add) || !equalF(c.base, c2.base) || !equalF(c.rescale, c2.rescale) || !equalF(c.errf, c2.errf) || !equalF(c.rotCent, c2.rotCent) || !equalF(c.Centroid(), c2.Centroid()) {
					t.Fatal("misaligned decode differs")
				}
				for i := range c.codes {
					if c.codes[i] != c2.codes[i] {
						t.Fatal("misaligned codes differ")
					}
				}
				// encoding is deterministic
				b2, _ := Encode(cent, vecs, EncodeOptions{Metric: m, Seed: 77, Rounds: 2})
				if !bytes.Equal(b, b2) {
					t.Fatal("encoding not deterministic")
				}
			}
		}
	}
}

func TestZeroCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	cent := gaussVecs(r, 1, 100, nil, 1)
	b, _ := Encode(cent, gaussVecs(r, 10, 100, cent, 1), EncodeOptions{})
	c, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if nativeLittle && &b[headerSize] != (*byte)(unsafeptr(&c.centroid[0])) {
		t.Error("aligned decode copied the centroid")
	}
}

func TestDecodeRejects(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	cent := gaussVecs(r, 1, 100, nil, 1)
	good, _ := Encode(cent, gaussVecs(r, 10, 100, cent, 1), EncodeOptions{})
	for name, edit := range map[string]func([]byte) []byte{
		"empty":     func(b []byte) []byte { return nil },
		"truncated": func(b []byte) []byte { return b[:len(b)-1] },
		"longer":    func(b []byte) []byte { return append(b, 0, 0, 0, 0) },
		"magic":     func(b []byte) []byte { b[0] = 'X'; return b },
		"version":   func(b []byte) []byte { b[4] = Version + 1; return b },
		"version 1": func(b []byte) []byte { b[4] = 1; return b }, // no base term
		"metric":    func(b []byte) []byte { b[5] = 3; return b },
		"rounds":    func(b []byte) []byte { b[6] = 0; return b },
		"flags":     func(b []byte) []byte { b[7] = 1; return b },
		"dim":       func(b []byte) []byte { b[8]++; return b },
		"count":     func(b []byte) []byte { b[12]++; return b },
		"bit flip":  func(b []byte) []byte { b[len(b)/2] ^= 4; return b },
		"checksum":  func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
	} {
		b := edit(append([]byte(nil), good...))
		if _, err := Decode(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestMismatch(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	cent := gaussVecs(r, 1, 32, nil, 1)
	c := mustCodes(t, cent, gaussVecs(r, 3, 32, cent, 1), Euclidean, mustRot(t, 32, 1))
	q, _ := NewQuery(mustRot(t, 32, 2), Euclidean)
	if err := q.Prepare(c); !errors.Is(err, ErrMismatch) {
		t.Errorf("prepare before SetVector: %v", err)
	}
	_ = q.SetVector(cent)
	if err := q.Prepare(c); !errors.Is(err, ErrMismatch) {
		t.Errorf("other seed: %v", err)
	}
	if err := q.SetVector(cent[:5]); !errors.Is(err, ErrMismatch) {
		t.Errorf("short vector: %v", err)
	}
	if _, err := Encode(cent, make([]float32, 33), EncodeOptions{}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("ragged: %v", err)
	}
	if _, err := Encode(cent, nil, EncodeOptions{Metric: 9}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("metric: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, dim := range []int{1, 3, 100} {
		cent := gaussVecs(r, 1, dim, nil, 1)
		b, _ := Encode(cent, gaussVecs(r, 3, dim, cent, 1), EncodeOptions{Metric: Cosine, Rounds: 1})
		f.Add(b)
	}
	f.Add([]byte("RBQC\x01\x01\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		rot, err := NewRotation(c.Dim(), c.Seed(), c.Rounds())
		if err != nil {
			t.Fatal(err)
		}
		q, _ := NewQuery(rot, c.Metric())
		_ = q.SetVector(make([]float32, c.Dim()))
		if err := q.Prepare(c); err != nil {
			t.Fatal(err)
		}
		est, lower := make([]float32, c.Len()), make([]float32, c.Len())
		q.EstimateBounds(est, lower)
	})
}

func BenchmarkEstimate(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, dim := range []int{100, 784} {
		rot := mustRot(b, dim, 1)
		cent := gaussVecs(r, 1, dim, nil, 1)
		const n = 256
		c := mustCodes(b, cent, gaussVecs(r, n, dim, cent, 1), Euclidean, rot)
		q, _ := NewQuery(rot, Euclidean)
		_ = q.SetVector(gaussVecs(r, 1, dim, cent, 1))
		_ = q.Prepare(c)
		est := make([]float32, n)
		b.Run("estimate/dim="+itoa(dim), func(b *testing.B) {
			for b.Loop() {
				q.Estimate(est)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/code")
		})
		b.Run("prepare/dim="+itoa(dim), func(b *testing.B) {
			for b.Loop() {
				_ = q.Prepare(c)
			}
		})
		b.Run("rotate/dim="+itoa(dim), func(b *testing.B) {
			v := gaussVecs(r, 1, dim, nil, 1)
			for b.Loop() {
				_ = q.SetVector(v)
			}
		})
	}
}

func itoa(i int) string {
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

// TestFWHTPaths checks the transform with the AVX2 butterflies (where this CPU has them)
// against the plain loops, and against the definition H[i][j] = (−1)^popcount(i AND j)/√n.
func TestFWHTPaths(t *testing.T) {
	asm := haveAVX2
	defer func() { haveAVX2 = asm }()
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 2, 8, 16, 32, 64, 128, 512, 1024} {
		x := gaussVecs(r, 1, n, nil, 1)
		want := make([]float64, n)
		for i := range n {
			for j, v := range x {
				if bits.OnesCount(uint(i&j))%2 == 0 {
					want[i] += float64(v)
				} else {
					want[i] -= float64(v)
				}
			}
			want[i] /= math.Sqrt(float64(n))
		}
		for _, a := range []bool{asm, false} {
			haveAVX2 = a
			got := append([]float32(nil), x...)
			fwht(got)
			for i := range n {
				if math.Abs(float64(got[i])-want[i]) > 1e-4*(1+math.Abs(want[i])) {
					t.Fatalf("n %d (asm %v): coordinate %d is %v, want %v", n, a, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkEncode measures building the codes of one 256-row neighborhood (what a cold query
// pays per neighborhood it fetches), per vector.
func BenchmarkEncode(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, dim := range []int{100, 784} {
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			rot := mustRot(b, dim, 1)
			cent := gaussVecs(r, 1, dim, nil, 1)
			vecs := gaussVecs(r, 256, dim, cent, 1)
			for b.Loop() {
				if _, err := Encode(cent, vecs, EncodeOptions{Rotation: rot}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256), "ns/vector")
		})
	}
}
