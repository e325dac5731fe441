package rabitq

import (
	"math"
	"math/bits"
)

func popcount(x uint64) int { return bits.OnesCount64(x) }

// estimate writes est_i = base_i + q0 + rescale_i·(a·⟨code_i,q̄⟩ + b·pop_i + c), with
// ⟨code_i,q̄⟩ = Σ_j 2^j·popcount(code_i AND plane_j), into est[:len(est)], and when lower is
// not nil the lower ends of the error bounds into lower. The assembly kernel (where the CPU
// has it) does the whole blocks of 8 codes, estimateGo the rest.
func estimate(q *Query, c *Codes, est, lower []float32) {
	done := estimateAsm(q, c, est, lower)
	estimateGo(q, c, est, lower, done)
}

// estimateGo is the portable kernel, for codes from..len(est)-1.
func estimateGo(q *Query, c *Codes, est, lower []float32, from int) {
	n := len(est)
	if from >= n {
		return
	}
	w := c.words
	planes := q.planes[:w*queryBits]
	base, rescale, pop := c.base[:n], c.rescale[:n], c.pop[:n]
	q0, a, b, cc := q.q0, q.a, q.b, q.c
	for i := from; i < n; i++ {
		blk := c.codes[i/codeBlock*codeBlock*w:]
		j := i % codeBlock
		var s0, s1, s2, s3 int
		for k := range w {
			x := blk[k*codeBlock+j]
			p := planes[k*queryBits : k*queryBits+queryBits : k*queryBits+queryBits]
			s0 += bits.OnesCount64(x & p[0])
			s1 += bits.OnesCount64(x & p[1])
			s2 += bits.OnesCount64(x & p[2])
			s3 += bits.OnesCount64(x & p[3])
		}
		ip := s0 + 2*s1 + 4*s2 + 8*s3
		est[i] = base[i] + q0 + rescale[i]*(a*float32(ip)+b*float32(pop[i])+cc)
	}
	if lower == nil {
		return
	}
	lower = lower[:n]
	errf := c.errf[:n]
	bound, qerr := q.bound, q.qerr
	for i := from; i < n; i++ {
		u, v := errf[i]*bound, rescale[i]*qerr
		lower[i] = est[i] - float32(math.Sqrt(float64(u*u+v*v)))
	}
}
