package rabitq

import "math/bits"

func popcount(x uint64) int { return bits.OnesCount64(x) }

// estimate is the blocked kernel: est_i = base_i + q0 + rescale_i·(a·⟨code_i,q̄⟩ + b·pop_i + c),
// with ⟨code_i,q̄⟩ = Σ_j 2^j·popcount(code_i AND plane_j).
func estimate(q *Query, c *Codes, out []float32) {
	n := len(out)
	if n == 0 {
		return
	}
	w := c.words
	codes := c.codes[:n*w]
	add := c.base[:n]
	rescale := c.rescale[:n]
	pop := c.pop[:n]
	q0, a, b, cc := q.q0, q.a, q.b, q.c
	switch w {
	case 1:
		p := q.planes[:4]
		p0, p1, p2, p3 := p[0], p[1], p[2], p[3]
		for i := range out {
			x := codes[i]
			ip := bits.OnesCount64(x&p0) + 2*bits.OnesCount64(x&p1) + 4*bits.OnesCount64(x&p2) + 8*bits.OnesCount64(x&p3)
			out[i] = add[i] + q0 + rescale[i]*(a*float32(ip)+b*float32(pop[i])+cc)
		}
	case 2:
		p := q.planes[:8]
		p0, p1, p2, p3 := p[0], p[1], p[2], p[3]
		p4, p5, p6, p7 := p[4], p[5], p[6], p[7]
		for i := range out {
			x := codes[2*i : 2*i+2 : 2*i+2]
			x0, x1 := x[0], x[1]
			s0 := bits.OnesCount64(x0&p0) + bits.OnesCount64(x1&p4)
			s1 := bits.OnesCount64(x0&p1) + bits.OnesCount64(x1&p5)
			s2 := bits.OnesCount64(x0&p2) + bits.OnesCount64(x1&p6)
			s3 := bits.OnesCount64(x0&p3) + bits.OnesCount64(x1&p7)
			ip := s0 + 2*s1 + 4*s2 + 8*s3
			out[i] = add[i] + q0 + rescale[i]*(a*float32(ip)+b*float32(pop[i])+cc)
		}
	default:
		planes := q.planes[:w*queryBits]
		for i := range out {
			x := codes[i*w : (i+1)*w : (i+1)*w]
			var s0, s1, s2, s3 int
			for k, v := range x {
				p := planes[k*queryBits : k*queryBits+queryBits : k*queryBits+queryBits]
				s0 += bits.OnesCount64(v & p[0])
				s1 += bits.OnesCount64(v & p[1])
				s2 += bits.OnesCount64(v & p[2])
				s3 += bits.OnesCount64(v & p[3])
			}
			ip := s0 + 2*s1 + 4*s2 + 8*s3
			out[i] = add[i] + q0 + rescale[i]*(a*float32(ip)+b*float32(pop[i])+cc)
		}
	}
}
