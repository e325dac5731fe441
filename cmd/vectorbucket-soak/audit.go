package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/vectorbucket/vectorbucket/api"
)

// auditResult counts what an audit of every key found.
type auditResult struct {
	Keys       int `json:"keys"`
	Present    int `json:"present"`
	Absent     int `json:"absent"`
	Uncertain  int `json:"uncertain"` // keys whose last write failed, so either state was accepted
	Lost       int `json:"lost"`      // acknowledged writes missing or with an older value
	Resurrect  int `json:"resurrected"`
	WrongBytes int `json:"wrongData"` // present with the right sequence number but other data
	ReadErrors int `json:"readErrors"`
}

func (a auditResult) String() string {
	return fmt.Sprintf("%d keys: %d present, %d absent (%d uncertain after failed writes); %d acknowledged writes lost, %d deleted keys back, %d wrong data, %d read errors",
		a.Keys, a.Present, a.Absent, a.Uncertain, a.Lost, a.Resurrect, a.WrongBytes, a.ReadErrors)
}

// audit reads every key with its data and metadata and checks it against
// the model: each acknowledged write present with its latest value, each
// acknowledged delete absent. Problems go to sum.
func audit(ctx context.Context, w *workload, sum *summary) auditResult {
	res := auditResult{Keys: w.cfg.keys, Uncertain: len(w.m.maybe)}
	const batch = 100
	for lo := 0; lo < w.cfg.keys; lo += batch {
		hi := min(w.cfg.keys, lo+batch)
		names := make([]string, 0, hi-lo)
		for i := lo; i < hi; i++ {
			names = append(names, keyName(i))
		}
		out, err := w.c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: w.ref, Keys: names, ReturnData: true, ReturnMetadata: true})
		if err != nil {
			res.ReadErrors++
			sum.fail("audit: GetVectors %s…%s: %v", names[0], names[len(names)-1], err)
			continue
		}
		got := make(map[string]api.GetOutputVector, len(out.Vectors))
		for _, v := range out.Vectors {
			got[v.Key] = v
		}
		for i := lo; i < hi; i++ {
			v, found := got[keyName(i)]
			var seq int64
			if found {
				res.Present++
				s, err := seqOf(v.Metadata)
				if err != nil {
					res.WrongBytes++
					sum.fail("audit: %s: %v", keyName(i), err)
					continue
				}
				seq = s
			} else {
				res.Absent++
			}
			if !w.m.acceptable(i, found, seq) {
				want := w.m.state[i]
				if want.present {
					res.Lost++
					sum.fail("audit: %s: acknowledged write seq %d lost (found %v, seq %d)", keyName(i), want.seq, found, seq)
				} else {
					res.Resurrect++
					sum.fail("audit: %s: acknowledged delete undone (seq %d back)", keyName(i), seq)
				}
				continue
			}
			if found && (v.Data == nil || !slices.Equal(v.Data.Float32, w.g.vector(i, seq))) {
				res.WrongBytes++
				sum.fail("audit: %s: seq %d with data that write did not put", keyName(i), seq)
			}
		}
	}
	return res
}

func seqOf(md api.Metadata) (int64, error) {
	raw, ok := md["seq"]
	if !ok {
		return 0, fmt.Errorf("metadata %v has no seq", md)
	}
	switch x := raw.(type) {
	case json.Number:
		return strconv.ParseInt(string(x), 10, 64)
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("metadata seq %v (%T)", raw, raw)
}

// recall measures recall@10 of n queries against brute force over the
// model's state. Keys left uncertain by failed writes are left out of both
// the truth and the answers (the query asks for more to make up for them).
func recall(ctx context.Context, w *workload, n int, seed uint64) float64 {
	type cand struct {
		key  int
		dist float64
	}
	var live []int
	var vecs [][]float32
	for i, s := range w.m.state {
		if _, unsure := w.m.maybe[i]; unsure || !s.present {
			continue
		}
		live = append(live, i)
		vecs = append(vecs, w.g.vector(i, s.seq))
	}
	norms := make([]float64, len(vecs))
	for j, v := range vecs {
		norms[j] = norm(v)
	}
	const k = 10
	topK := min(100, k+len(w.m.maybe))
	rng := rand.New(rand.NewPCG(seed, 0xeca11))
	hits, total := 0, 0
	for range n {
		q := w.g.query(rng)
		qn := norm(q)
		cs := make([]cand, len(vecs))
		for j, v := range vecs {
			var dot float64
			for d := range v {
				dot += float64(v[d]) * float64(q[d])
			}
			cs[j] = cand{live[j], 1 - dot/(norms[j]*qn)}
		}
		slices.SortFunc(cs, func(a, b cand) int { return cmp.Compare(a.dist, b.dist) })
		truth := map[string]bool{}
		for _, c := range cs[:min(k, len(cs))] {
			truth[keyName(c.key)] = true
		}
		out, err := w.c.QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: w.ref, TopK: topK, QueryVector: api.Float32Vector(q)})
		if err != nil {
			return math.NaN()
		}
		got := 0
		for _, v := range out.Vectors {
			var i int
			if _, err := fmt.Sscanf(v.Key, "k%d", &i); err == nil {
				if _, unsure := w.m.maybe[i]; unsure {
					continue
				}
			}
			if got == k {
				break
			}
			got++
			if truth[v.Key] {
				hits++
			}
		}
		total += len(truth)
	}
	if total == 0 {
		return math.NaN()
	}
	return float64(hits) / float64(total)
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
