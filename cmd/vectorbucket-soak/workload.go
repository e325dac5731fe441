package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

// nCentroids is how many clusters the synthetic vectors fall into.
const nCentroids = 256

// gen makes the workload's vectors: the vector written to key i with
// sequence number seq is a fixed function of (i, seq), so that the audit
// can recompute what every key must hold.
type gen struct {
	dim       int
	centroids [][]float32
}

func newGen(dim int, seed uint64) *gen {
	rng := rand.New(rand.NewPCG(seed, 0x50a6))
	g := &gen{dim: dim, centroids: make([][]float32, nCentroids)}
	for c := range g.centroids {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		g.centroids[c] = v
	}
	return g
}

// vector returns the vector key i holds after the write with seq.
func (g *gen) vector(i int, seq int64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(i), uint64(seq)))
	c := g.centroids[rng.IntN(nCentroids)]
	v := make([]float32, g.dim)
	for j := range v {
		v[j] = c[j] + 0.4*float32(rng.NormFloat64())
	}
	return v
}

// query returns a query vector near a random centroid.
func (g *gen) query(rng *rand.Rand) []float32 {
	c := g.centroids[rng.IntN(nCentroids)]
	v := make([]float32, g.dim)
	for j := range v {
		v[j] = c[j] + 0.5*float32(rng.NormFloat64())
	}
	return v
}

func keyName(i int) string { return fmt.Sprintf("k%06d", i) }

// keyState is what a key holds: the sequence number of its latest write,
// or absent after a delete.
type keyState struct {
	seq     int64
	present bool
}

// model is the acknowledged state of every key. Writer w alone changes the
// keys i with i%writers == w, so a key's history is sequential; the audit
// reads the model once every writer has stopped.
type model struct {
	state []keyState
	// maybe lists, per key, states that a failed request may have left
	// instead (the server may have applied it before failing); cleared by
	// the next acknowledged write of the key.
	maybe map[int][]keyState
	mu    sync.Mutex // guards maybe
}

func (m *model) ack(i int, s keyState) {
	m.state[i] = s
	m.mu.Lock()
	delete(m.maybe, i)
	m.mu.Unlock()
}

func (m *model) uncertain(i int, s keyState) {
	m.mu.Lock()
	m.maybe[i] = append(m.maybe[i], s)
	m.mu.Unlock()
}

// acceptable reports whether key i may be found holding the write with seq
// (found) or absent (!found).
func (m *model) acceptable(i int, found bool, seq int64) bool {
	ok := func(s keyState) bool { return s.present == found && (!found || s.seq == seq) }
	return ok(m.state[i]) || slices.ContainsFunc(m.maybe[i], ok)
}

// recorder gathers the latencies and errors of one reporting period.
type recorder struct {
	mu         sync.Mutex
	putLat     []float64 // seconds
	queryLat   []float64
	deletes    int
	errs       map[string]int // by error code
	firstErrs  []string       // the first few error messages of the run
	totalErrs  int
	totalOps   int
	queryCount int
}

func newRecorder() *recorder { return &recorder{errs: map[string]int{}} }

func (r *recorder) record(op string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.totalOps++
	if err != nil {
		code := "transport"
		var ae *api.Error
		if errors.As(err, &ae) {
			code = ae.Code
		}
		r.errs[op+":"+code]++
		r.totalErrs++
		if len(r.firstErrs) < 10 {
			r.firstErrs = append(r.firstErrs, fmt.Sprintf("%s %s: %v", time.Now().UTC().Format(time.RFC3339), op, err))
		}
		return
	}
	switch op {
	case "put":
		r.putLat = append(r.putLat, d.Seconds())
	case "query":
		r.queryLat = append(r.queryLat, d.Seconds())
		r.queryCount++
	case "delete":
		r.deletes++
	}
}

// period takes the period's figures and starts the next one.
func (r *recorder) period() (puts, queries []float64, deletes int, errs map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	puts, queries, deletes, errs = r.putLat, r.queryLat, r.deletes, r.errs
	r.putLat, r.queryLat, r.deletes, r.errs = nil, nil, 0, map[string]int{}
	return
}

// quantile returns the q-quantile of xs (sorted in place), NaN when empty.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	return xs[min(len(xs)-1, int(q*float64(len(xs))))]
}

// workload is the mixed phase: writers and queriers on one index.
type workload struct {
	cfg config
	c   *client.Client
	ref api.IndexRef
	g   *gen
	m   *model
	rec *recorder
	seq []int64 // last sequence number per writer
}

// putBatch writes keys with the given sequence number and records the
// outcome in the model.
func (w *workload) putBatch(ctx context.Context, keys []int, seq int64) error {
	vecs := make([]api.PutInputVector, len(keys))
	for j, i := range keys {
		vecs[j] = api.PutInputVector{Key: keyName(i), Data: api.Float32Vector(w.g.vector(i, seq)),
			Metadata: api.Metadata{"seq": json.Number(strconv.FormatInt(seq, 10)), "writer": int64(i % w.cfg.writers)}}
	}
	err := w.c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: w.ref, Vectors: vecs})
	for _, i := range keys {
		s := keyState{seq: seq, present: true}
		if err == nil {
			w.m.ack(i, s)
		} else {
			w.m.uncertain(i, s)
		}
	}
	return err
}

func (w *workload) deleteBatch(ctx context.Context, keys []int, seq int64) error {
	names := make([]string, len(keys))
	for j, i := range keys {
		names[j] = keyName(i)
	}
	err := w.c.DeleteVectors(ctx, &api.DeleteVectorsRequest{IndexRef: w.ref, Keys: names})
	for _, i := range keys {
		s := keyState{seq: seq}
		if err == nil {
			w.m.ack(i, s)
		} else {
			w.m.uncertain(i, s)
		}
	}
	return err
}

// writer overwrites and deletes random keys it owns until stop ends (its
// requests run on ctx, so that the last one completes): nine batches in
// ten are puts of --batch keys, one is a delete of a fifth as many.
func (w *workload) writer(ctx, stop context.Context, id int) {
	rng := rand.New(rand.NewPCG(w.cfg.seed, uint64(100+id)))
	owned := (w.cfg.keys - id + w.cfg.writers - 1) / w.cfg.writers
	pick := func(n int) []int {
		seen := map[int]bool{}
		keys := make([]int, 0, n)
		for len(keys) < n {
			i := id + w.cfg.writers*rng.IntN(owned)
			if !seen[i] {
				seen[i] = true
				keys = append(keys, i)
			}
		}
		return keys
	}
	for stop.Err() == nil {
		w.seq[id]++
		seq := int64(id)<<40 | w.seq[id]
		start := time.Now()
		if rng.IntN(10) == 0 {
			err := w.deleteBatch(ctx, pick(max(1, w.cfg.batch/5)), seq)
			w.rec.record("delete", time.Since(start), err)
			continue
		}
		err := w.putBatch(ctx, pick(w.cfg.batch), seq)
		w.rec.record("put", time.Since(start), err)
	}
}

// querier sends top-10 queries near random centroids until stop ends.
func (w *workload) querier(ctx, stop context.Context, id int) {
	rng := rand.New(rand.NewPCG(w.cfg.seed, uint64(200+id)))
	for stop.Err() == nil {
		q := w.g.query(rng)
		start := time.Now()
		_, err := w.c.QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: w.ref, TopK: 10, QueryVector: api.Float32Vector(q)})
		w.rec.record("query", time.Since(start), err)
	}
}
