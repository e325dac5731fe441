package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
	"github.com/vectorbucket/vectorbucket/objectstore/s3"
)

const (
	benchBucket = "bench"
	benchIndex  = "vectors"
	batchSize   = 500
	writers     = 4
)

// key names train vector i; id parses it back.
func key(i int) string { return fmt.Sprintf("v%07d", i) }

func id(k string) int {
	if len(k) < 2 {
		return -1
	}
	n, err := strconv.Atoi(k[1:])
	if err != nil {
		return -1
	}
	return n
}

// ours is one of our engines, built and ready to query.
type ours struct {
	mode   string
	db     *index.DB
	ix     *index.Index
	tr     *tracer
	lat    *switchedLatency
	store  objectstore.Store // what a fresh DB opens (cold queries)
	close  func()
	query  func(ctx context.Context, v []float32, k, nprobe int) ([]int, index.QueryStats, error)
	curve  Curve
	nbhds  int
	dbOpts index.Options
}

// openOurs creates the store stack for mode, ingests d's train vectors and
// builds the neighborhoods.
func openOurs(ctx context.Context, cfg *Config, d *datasets.Dataset, mode string) (*ours, error) {
	o := &ours{mode: mode, lat: &switchedLatency{}}
	o.dbOpts = index.Options{Indexer: index.IndexerOptions{Disabled: true, Seed: 1}}
	if cfg.MemoryBudget > 0 {
		o.dbOpts.CacheBytes = cfg.MemoryBudget / 2
	}
	var base objectstore.Store
	var closers []func()
	switch mode {
	case ModeInProcess, ModeHTTP:
		dir, err := os.MkdirTemp(cfg.WorkDir, "vectorbucket-bench-store-")
		if err != nil {
			return nil, fmt.Errorf("bench store: %w", err)
		}
		st, err := local.Open(dir)
		if err != nil {
			return nil, fmt.Errorf("bench store: %w", err)
		}
		base = st
		closers = append(closers, func() { st.Close(); os.RemoveAll(dir) })
	case ModeS3:
		sc := cfg.S3
		if sc.Endpoint == "" || sc.Bucket == "" {
			return nil, fmt.Errorf("%w: S3 mode needs an endpoint and bucket (env VECTORBUCKET_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY; scripts/versitygw.sh start && source .versitygw/env)", ErrNoS3)
		}
		prefix := sc.Prefix
		if prefix == "" {
			prefix = fmt.Sprintf("bench-%s-%d/", time.Now().UTC().Format("20060102-150405"), os.Getpid())
		}
		st, err := s3.New(ctx, s3.Config{Endpoint: sc.Endpoint, Region: sc.Region, PathStyle: true,
			AccessKey: sc.AccessKey, SecretKey: sc.SecretKey, Bucket: sc.Bucket, Prefix: prefix})
		if err != nil {
			return nil, fmt.Errorf("bench S3 store: %w", err)
		}
		if err := st.EnsureBucket(ctx); err != nil {
			return nil, fmt.Errorf("bench S3 bucket %s: %w", sc.Bucket, err)
		}
		base = st
		closers = append(closers, func() { cleanupPrefix(context.WithoutCancel(ctx), st) })
	default:
		return nil, fmt.Errorf("unknown mode %q (inprocess, http, s3)", mode)
	}
	o.tr = newTracer(objectstore.NewFaults(base, o.lat))
	o.store = o.tr
	db, err := index.Open(ctx, o.store, o.dbOpts)
	if err != nil {
		return nil, err
	}
	o.db = db
	o.close = func() {
		db.Close()
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	if _, err := db.CreateBucket(ctx, benchBucket, index.BucketOptions{}); err != nil {
		o.close()
		return nil, err
	}
	metric := neighborhoods.Euclidean
	if d.Metric == datasets.Cosine {
		metric = neighborhoods.Cosine
	}
	if _, err := db.CreateIndex(ctx, benchBucket, benchIndex, index.IndexConfig{Dimension: d.Dim, Metric: metric}, nil); err != nil {
		o.close()
		return nil, err
	}
	if o.ix, err = db.Index(ctx, benchBucket, benchIndex); err != nil {
		o.close()
		return nil, err
	}
	put := func(ctx context.Context, lo, hi int) error {
		vs := make([]index.Vector, 0, hi-lo)
		for i := lo; i < hi; i++ {
			vs = append(vs, index.Vector{Key: key(i), Data: d.TrainVec(i)})
		}
		return o.ix.Put(ctx, vs)
	}
	o.query = o.directQuery
	if mode == ModeHTTP {
		put, err = o.serveHTTP(ctx, d)
		if err != nil {
			o.close()
			return nil, err
		}
	}
	o.curve = Curve{Engine: "vectorbucket-" + mode, Mode: mode}
	if mode == ModeS3 {
		o.curve.Engine, o.curve.Mode = "vectorbucket-s3-warm", "s3-warm"
	}
	o.curve.RSSBeforeBytes, _ = memory()
	if cfg.MemoryBudget > 0 {
		o.curve.MemoryBudget = cfg.MemoryBudget
		debug.SetMemoryLimit(cfg.MemoryBudget + o.curve.RSSBeforeBytes)
	}
	if err := o.ingest(ctx, cfg, d, put); err != nil {
		o.close()
		return nil, err
	}
	return o, nil
}

// ErrNoS3 is returned when the S3 mode has no server to talk to.
var ErrNoS3 = errors.New("no S3 server configured")

// ingest puts every train vector in batches of 500 from 4 writers, then
// compacts: the first build of the neighborhoods.
func (o *ours) ingest(ctx context.Context, cfg *Config, d *datasets.Dataset, put func(ctx context.Context, lo, hi int) error) error {
	bar := newBar(cfg.Progress, d.NTrain, o.curve.Engine+": ingest")
	start := time.Now()
	next := make(chan int)
	errc := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				hi := min(d.NTrain, lo+batchSize)
				if err := put(ctx, lo, hi); err != nil {
					errc <- fmt.Errorf("ingest vectors %d-%d: %w", lo, hi, err)
					return
				}
				bar.Add(hi - lo)
			}
		}()
	}
	var err error
loop:
	for lo := 0; lo < d.NTrain; lo += batchSize {
		select {
		case next <- lo:
		case err = <-errc:
			break loop
		}
	}
	close(next)
	wg.Wait()
	bar.Finish()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	if err != nil {
		return err
	}
	o.curve.IngestSeconds = time.Since(start).Seconds()
	sp := newSpinner(cfg.Progress, o.curve.Engine+": first build (balanced k-means)")
	t := time.Now()
	err = o.ix.Compact(ctx)
	sp.Finish()
	if err != nil {
		return fmt.Errorf("first build: %w", err)
	}
	o.curve.IndexSeconds = time.Since(t).Seconds()
	o.curve.BuildSeconds = o.curve.IngestSeconds + o.curve.IndexSeconds
	gc, err := o.ix.GC(ctx)
	if err != nil {
		return fmt.Errorf("index size: %w", err)
	}
	o.curve.IndexBytes = gc.LiveBytes
	_, st, err := o.ix.Query(ctx, index.QueryRequest{Vector: d.TestVec(0), TopK: 1, Exact: true})
	if err != nil {
		return fmt.Errorf("warm-up query: %w", err)
	}
	o.nbhds = st.NeighborhoodsTotal
	o.curve.RSSBuiltBytes, _ = memory()
	o.curve.Build = fmt.Sprintf("%d neighborhoods (target %d vectors)", o.nbhds, neighborhoods.DefaultTargetSize)
	return nil
}

func (o *ours) directQuery(ctx context.Context, v []float32, k, nprobe int) ([]int, index.QueryStats, error) {
	res, st, err := o.ix.Query(ctx, index.QueryRequest{Vector: v, TopK: k, NProbe: nprobe})
	if err != nil {
		return nil, st, err
	}
	ids := make([]int, len(res))
	for i, r := range res {
		ids[i] = id(r.Key)
	}
	return ids, st, nil
}

// benchReadLease is the read lease of the s3-warm-lease runs.
const benchReadLease = 10 * time.Second

// useLeasedIndex points the direct queries at a second handle on the index,
// from a DB with the given read lease, warmed by one query; restore points
// them back and closes it.
func (o *ours) useLeasedIndex(ctx context.Context, lease time.Duration) (restore func(), err error) {
	opts := o.dbOpts
	opts.ReadLease = lease
	db, err := index.Open(ctx, o.store, opts)
	if err != nil {
		return nil, err
	}
	ix, err := db.Index(ctx, benchBucket, benchIndex)
	if err != nil {
		db.Close()
		return nil, err
	}
	dim := ix.Info().Config.Dimension
	if _, _, err := ix.Query(ctx, index.QueryRequest{Vector: make([]float32, dim), TopK: 1}); err != nil {
		db.Close()
		return nil, err
	}
	prev := o.ix
	o.ix = ix
	return func() { o.ix = prev; db.Close() }, nil
}

// probeBackend passes the bench's nprobe to the index: the S3 Vectors API
// has no such knob, so without it every HTTP query runs at the default.
type probeBackend struct {
	server.Backend
	o      *ours
	nprobe atomic.Int64
	mu     sync.Mutex
	stats  index.QueryStats // of the last query (one query at a time)
}

func (b *probeBackend) last() index.QueryStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

func (b *probeBackend) QueryVectors(ctx context.Context, bucket, name string, q server.Query) ([]api.QueryOutputVector, api.DistanceMetric, error) {
	ix, err := b.o.db.Index(ctx, bucket, name)
	if err != nil {
		return nil, "", err
	}
	res, st, err := ix.Query(ctx, index.QueryRequest{Vector: q.Vector, TopK: q.TopK, Filter: q.Filter, NProbe: int(b.nprobe.Load())})
	if err != nil {
		return nil, "", err
	}
	b.mu.Lock()
	b.stats = st
	b.mu.Unlock()
	out := make([]api.QueryOutputVector, len(res))
	for i, r := range res {
		out[i].Key = r.Key
		if q.ReturnDistance {
			dist := r.Distance
			out[i].Distance = &dist
		}
	}
	return out, api.DistanceMetric(ix.Info().Config.Metric.String()), nil
}

// serveHTTP starts an in-process API server on the DB and switches ingest
// and queries to api/client.
func (o *ours) serveHTTP(ctx context.Context, d *datasets.Dataset) (func(ctx context.Context, lo, hi int) error, error) {
	pb := &probeBackend{Backend: server.NewIndexBackend(o.db), o: o}
	srv, err := server.New(server.Config{Backend: pb, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	ts := httptest.NewServer(srv)
	prev := o.close
	o.close = func() { ts.Close(); prev() }
	c, err := client.New(client.Options{Endpoint: ts.URL, MaxAttempts: 1})
	if err != nil {
		return nil, err
	}
	ref := api.IndexRef{VectorBucketName: benchBucket, IndexName: benchIndex}
	o.query = func(ctx context.Context, v []float32, k, nprobe int) ([]int, index.QueryStats, error) {
		pb.nprobe.Store(int64(nprobe))
		out, err := c.QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: ref, TopK: k, QueryVector: api.Float32Vector(v)})
		if err != nil {
			return nil, index.QueryStats{}, err
		}
		ids := make([]int, len(out.Vectors))
		for i, r := range out.Vectors {
			ids[i] = id(r.Key)
		}
		return ids, pb.last(), nil
	}
	return func(ctx context.Context, lo, hi int) error {
		vs := make([]api.PutInputVector, 0, hi-lo)
		for i := lo; i < hi; i++ {
			vs = append(vs, api.PutInputVector{Key: key(i), Data: api.Float32Vector(d.TrainVec(i))})
		}
		return c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: vs})
	}, nil
}

// measured is the raw outcome of one query loop.
type measured struct {
	ids     [][]int
	lat     []time.Duration
	total   time.Duration
	stats   []index.QueryStats
	traffic []traffic
}

// sweepPoint answers the first n test queries one at a time on one thread
// (or, with cfg.SearchThreads > 1 and not cold, on that many goroutines, each
// one query at a time). With cold, every query opens a fresh DB and index
// handle (empty caches) on the store first, and that is part of its latency.
func (o *ours) sweepPoint(ctx context.Context, cfg *Config, d *datasets.Dataset, n, nprobe int, cold bool, label string) (measured, error) {
	m := measured{ids: make([][]int, n), lat: make([]time.Duration, n), stats: make([]index.QueryStats, n), traffic: make([]traffic, n)}
	bar := newBar(cfg.Progress, n, label)
	defer bar.Finish()
	threads := cfg.SearchThreads
	if cold || threads < 1 {
		threads = 1
	}
	prev := runtime.GOMAXPROCS(threads)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()
	if threads > 1 {
		return o.sweepParallel(ctx, m, d, cfg.K, nprobe, threads, bar, label)
	}
	start := time.Now()
	for q := range n {
		v := d.TestVec(q)
		o.tr.begin()
		t := time.Now()
		var err error
		if cold {
			m.ids[q], m.stats[q], err = o.coldQuery(ctx, v, cfg.K, nprobe)
		} else {
			m.ids[q], m.stats[q], err = o.query(ctx, v, cfg.K, nprobe)
		}
		m.lat[q] = time.Since(t)
		m.traffic[q] = o.tr.end()
		if err != nil {
			return m, fmt.Errorf("%s query %d: %w", label, q, err)
		}
		bar.Add(1)
	}
	m.total = time.Since(start)
	return m, nil
}

// sweepParallel answers the queries of m on threads goroutines that take the
// next query index from a shared counter. Store traffic is not traced (the
// tracer follows one query at a time) and, over HTTP, the per-query index
// stats are those of whichever query finished last.
func (o *ours) sweepParallel(ctx context.Context, m measured, d *datasets.Dataset, k, nprobe, threads int, pb bar, label string) (measured, error) {
	var next atomic.Int64
	errs := make([]error, threads)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				q := int(next.Add(1) - 1)
				if q >= len(m.ids) {
					return
				}
				t := time.Now()
				ids, st, err := o.query(ctx, d.TestVec(q), k, nprobe)
				m.lat[q] = time.Since(t)
				if err != nil {
					errs[w] = fmt.Errorf("%s query %d: %w", label, q, err)
					next.Store(int64(len(m.ids)))
					return
				}
				m.ids[q], m.stats[q] = ids, st
				pb.Add(1)
			}
		}()
	}
	wg.Wait()
	m.total = time.Since(start)
	return m, errors.Join(errs...)
}

func (o *ours) coldQuery(ctx context.Context, v []float32, k, nprobe int) ([]int, index.QueryStats, error) {
	db, err := index.Open(ctx, o.store, o.dbOpts)
	if err != nil {
		return nil, index.QueryStats{}, err
	}
	defer db.Close()
	ix, err := db.Index(ctx, benchBucket, benchIndex)
	if err != nil {
		return nil, index.QueryStats{}, err
	}
	res, st, err := ix.Query(ctx, index.QueryRequest{Vector: v, TopK: k, NProbe: nprobe})
	if err != nil {
		return nil, st, err
	}
	ids := make([]int, len(res))
	for i, r := range res {
		ids[i] = id(r.Key)
	}
	return ids, st, nil
}

// defaultNProbe is the probe count the index chooses for a query that
// names none (index.QueryStats.NProbe of one such query).
func (o *ours) defaultNProbe(ctx context.Context, d *datasets.Dataset) (int, error) {
	_, st, err := o.ix.Query(ctx, index.QueryRequest{Vector: d.TestVec(0), TopK: 10})
	if err != nil {
		return 0, err
	}
	return st.NProbe, nil
}

// point summarizes a query loop.
func point(m measured, truth *datasets.Truth, d *datasets.Dataset, k int, params string, knob int) Point {
	n := len(m.ids)
	p := Point{Params: params, Knob: knob, Queries: n, QPS: float64(n) / m.total.Seconds(), Recall: -1}
	if truth != nil {
		p.Recall = truth.MeanRecall(d, m.ids, k)
	}
	p.P50ms, p.P95ms, p.P99ms, p.MeanMS = percentiles(m.lat)
	for i := range n {
		st, tr := m.stats[i], m.traffic[i]
		p.NeighborhoodsProbed += float64(st.NeighborhoodsProbed)
		p.VectorsScored += float64(st.VectorsScored)
		p.ObjectsFromCache += float64(st.ObjectsFromCache)
		p.BytesFromCache += float64(st.BytesFromCache)
		p.StoreRequests += float64(tr.requests)
		p.ObjectsFetched += float64(tr.objects)
		p.BytesFetched += float64(tr.bytes)
		p.SequentialTrips += float64(tr.sequential)
		p.MaxSequentialTrip = max(p.MaxSequentialTrip, tr.sequential)
	}
	if n > 0 {
		f := 1 / float64(n)
		p.NeighborhoodsProbed *= f
		p.VectorsScored *= f
		p.ObjectsFromCache *= f
		p.BytesFromCache *= f
		p.StoreRequests *= f
		p.ObjectsFetched *= f
		p.BytesFetched *= f
		p.SequentialTrips *= f
	}
	p.LoadAvg = loadAvg()
	return p
}

// percentiles returns p50, p95, p99 (nearest rank) and the mean in ms.
func percentiles(lat []time.Duration) (p50, p95, p99, mean float64) {
	if len(lat) == 0 {
		return
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	at := func(p float64) float64 {
		i := int(p/100*float64(len(s))+0.5) - 1
		return ms(s[min(max(i, 0), len(s)-1)])
	}
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return at(50), at(95), at(99), ms(sum) / float64(len(s))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cleanupPrefix deletes what a bench run left on the S3 store.
func cleanupPrefix(ctx context.Context, s objectstore.Store) {
	for a, err := range objectstore.All(ctx, s, "") {
		if err != nil {
			return
		}
		_ = s.Delete(ctx, a.Key)
	}
}
