package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
)

// The benchmarks compare the same work in-process (index.Index) and over
// HTTP (api/client → server → index) on the embedded local store, so the
// cost of the HTTP layer is visible:
//
//	go test -run '^$' -bench 'PutVectors|QueryVectors' -benchtime 40x ./api/server
//
// PutVectors writes batches of 500 Fashion-MNIST vectors (784 dimensions)
// from 4 concurrent clients and reports vectors/s; QueryVectors runs topK-10
// queries with the Fashion-MNIST test vectors against the 60,000 train
// vectors (neighborhoods built) and reports QPS and latency percentiles.

const (
	benchBatch   = 500
	benchClients = 4
)

// benchEnv is a DB on a local store served over HTTP.
type benchEnv struct {
	db   *index.DB
	ix   *index.Index
	cl   *client.Client
	hs   *httptest.Server
	srv  *server.Server
	data *datasets.Dataset
}

func loadFashion(b *testing.B) *datasets.Dataset {
	d, err := datasets.Load(context.Background(), "fashion-mnist-784-euclidean", datasets.LoadOptions{NoInstall: os.Getenv("CI") == ""})
	if err != nil {
		if os.Getenv("CI") != "" {
			b.Fatalf("fashion-mnist: %v", err)
		}
		b.Skipf("fashion-mnist not installed (%v); run make deps or set CI=1 to install", err)
	}
	return d
}

// newBenchEnv sets up an index; cleanup receives what to undo (b.Cleanup,
// or benchCleanups for an environment shared by several benchmarks).
func newBenchEnv(b *testing.B, name string, indexer bool, cleanup func(func())) *benchEnv {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vectorbucket-bench-")
	if err != nil {
		b.Fatal(err)
	}
	cleanup(func() { _ = os.RemoveAll(dir) })
	st, err := local.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	db, err := index.Open(ctx, st, index.Options{Indexer: index.IndexerOptions{Disabled: !indexer, Seed: 1}})
	if err != nil {
		b.Fatal(err)
	}
	cleanup(func() { _ = db.Close() })
	if _, err := db.CreateBucket(ctx, "bench", index.BucketOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bench", name, index.IndexConfig{Dimension: 784, Metric: neighborhoods.Euclidean}, nil); err != nil {
		b.Fatal(err)
	}
	ix, err := db.Index(ctx, "bench", name)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	cleanup(hs.Close)
	cl, err := client.New(client.Options{Endpoint: hs.URL})
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{db: db, ix: ix, cl: cl, hs: hs, srv: srv}
}

// runConcurrent calls fn(i) for i in [0, n) from benchClients goroutines.
func runConcurrent(n int, fn func(i int) error) error {
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	for range benchClients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || first.Load() != nil {
					return
				}
				if err := fn(i); err != nil {
					first.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		return *e
	}
	return nil
}

func BenchmarkPutVectors(b *testing.B) {
	d := loadFashion(b)
	nb := d.NTrain / benchBatch
	apiBatches := make([][]api.PutInputVector, nb)
	ixBatches := make([][]index.Vector, nb)
	for j := range nb {
		for k := range benchBatch {
			row := j*benchBatch + k
			key := fmt.Sprintf("fm-%05d", row)
			apiBatches[j] = append(apiBatches[j], api.PutInputVector{Key: key, Data: api.Float32Vector(d.TrainVec(row))})
			ixBatches[j] = append(ixBatches[j], index.Vector{Key: key, Data: d.TrainVec(row)})
		}
	}
	run := func(b *testing.B, put func(env *benchEnv, i int) error) {
		env := newBenchEnv(b, "put", false, b.Cleanup)
		b.ResetTimer()
		start := time.Now()
		if err := runConcurrent(b.N, func(i int) error { return put(env, i%nb) }); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "vectors/s")
	}
	b.Run("inprocess", func(b *testing.B) {
		run(b, func(env *benchEnv, i int) error { return env.ix.Put(context.Background(), ixBatches[i]) })
	})
	b.Run("http", func(b *testing.B) {
		run(b, func(env *benchEnv, i int) error {
			return env.cl.PutVectors(context.Background(), &api.PutVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "bench", IndexName: "put"}, Vectors: apiBatches[i]})
		})
	})
	// The same requests with bodies encoded beforehand: the server's share
	// of the HTTP cost, without the client's float formatting.
	bodies := make([][]byte, nb)
	for j := range nb {
		var err error
		if bodies[j], err = api.AppendPutVectorsJSON(nil, &api.PutVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "bench", IndexName: "put"}, Vectors: apiBatches[j]}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("http-preencoded", func(b *testing.B) {
		run(b, func(env *benchEnv, i int) error {
			resp, err := http.Post(env.hs.URL+"/PutVectors", "application/json", bytes.NewReader(bodies[i]))
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("PutVectors: %s", resp.Status)
			}
			return nil
		})
	})
	// What the server spends decoding one request body.
	body, err := api.AppendPutVectorsJSON(nil, &api.PutVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "bench", IndexName: "put"}, Vectors: apiBatches[0]})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode-only", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var req api.PutVectorsRequest
			if e := api.Decode(body, &req); e != nil {
				b.Fatal(e)
			}
		}
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "vectors/s")
	})
}

// benchCleanups undo shared benchmark environments, last first.
var benchCleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(benchCleanups) - 1; i >= 0; i-- {
		benchCleanups[i]()
	}
	os.Exit(code)
}

var (
	queryOnce sync.Once
	queryEnv  *benchEnv
	queryErr  error
)

// fashionIndex loads the Fashion-MNIST train set once and builds its
// neighborhoods.
func fashionIndex(b *testing.B) *benchEnv {
	d := loadFashion(b)
	queryOnce.Do(func() {
		// The environment outlives this benchmark; TestMain removes it.
		env := newBenchEnv(b, "fashion", false, func(f func()) { benchCleanups = append(benchCleanups, f) })
		env.data = d
		ctx := context.Background()
		for j := 0; j < d.NTrain; j += benchBatch {
			vs := make([]index.Vector, 0, benchBatch)
			for row := j; row < min(j+benchBatch, d.NTrain); row++ {
				vs = append(vs, index.Vector{Key: fmt.Sprintf("fm-%05d", row), Data: d.TrainVec(row)})
			}
			if queryErr = env.ix.Put(ctx, vs); queryErr != nil {
				return
			}
		}
		if queryErr = env.ix.Compact(ctx); queryErr != nil {
			return
		}
		// Warm the caches so that the first benchmark is not charged.
		for i := range min(d.NTest, 500) {
			if _, _, queryErr = env.ix.Query(ctx, index.QueryRequest{Vector: d.TestVec(i), TopK: 10}); queryErr != nil {
				return
			}
		}
		queryEnv = env
	})
	if queryErr != nil {
		b.Fatal(queryErr)
	}
	return queryEnv
}

func BenchmarkQueryVectors(b *testing.B) {
	run := func(b *testing.B, clients int, query func(env *benchEnv, q []float32) error) {
		env := fashionIndex(b)
		d := env.data
		lat := make([]time.Duration, b.N)
		runtime.GC()
		b.ResetTimer()
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		var fail atomic.Pointer[error]
		for range clients {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= b.N {
						return
					}
					t0 := time.Now()
					if err := query(env, d.TestVec(i%d.NTest)); err != nil {
						fail.CompareAndSwap(nil, &err)
						return
					}
					lat[i] = time.Since(t0)
				}
			})
		}
		wg.Wait()
		if e := fail.Load(); e != nil {
			b.Fatal(*e)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "QPS")
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	inproc := func(env *benchEnv, q []float32) error {
		_, _, err := env.ix.Query(context.Background(), index.QueryRequest{Vector: q, TopK: 10})
		return err
	}
	overHTTP := func(env *benchEnv, q []float32) error {
		_, err := env.cl.QueryVectors(context.Background(), &api.QueryVectorsRequest{
			IndexRef: api.IndexRef{VectorBucketName: "bench", IndexName: "fashion"}, TopK: 10, QueryVector: api.Float32Vector(q), ReturnDistance: true})
		return err
	}
	for _, c := range []int{1, benchClients} {
		b.Run(fmt.Sprintf("inprocess/clients=%d", c), func(b *testing.B) { run(b, c, inproc) })
		b.Run(fmt.Sprintf("http/clients=%d", c), func(b *testing.B) { run(b, c, overHTTP) })
	}
}

// BenchmarkServeQueryVectors is the server's share of a QueryVectors call:
// ServeHTTP on a pre-encoded request with a reused response writer, no
// network and no client. allocs/op is the server's query path (index
// included).
func BenchmarkServeQueryVectors(b *testing.B) {
	env := fashionIndex(b)
	d := env.data
	bodies := make([][]byte, 256)
	for i := range bodies {
		req := api.QueryVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "bench", IndexName: "fashion"}, TopK: 10,
			QueryVector: api.Float32Vector(d.TestVec(i)), ReturnDistance: true}
		var err error
		if bodies[i], err = json.Marshal(&req); err != nil {
			b.Fatal(err)
		}
	}
	w := &discardWriter{h: http.Header{}}
	body := &rewindReader{}
	r, err := http.NewRequest(http.MethodPost, "http://bench/QueryVectors", body)
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	for i := 0; b.Loop(); i++ {
		body.b, body.p = bodies[i%len(bodies)], 0
		r.ContentLength = int64(len(body.b))
		clear(w.h)
		w.status = 0
		env.srv.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// discardWriter is a reusable http.ResponseWriter that drops the body.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// rewindReader is a reusable request body.
type rewindReader struct {
	b []byte
	p int
}

func (r *rewindReader) Read(p []byte) (int, error) {
	if r.p >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.p:])
	r.p += n
	return n, nil
}
func (r *rewindReader) Close() error { return nil }
