package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
)

// BenchmarkSDKQueryLatency is the deployment shape of `vectorbucket serve`:
// a local store, the background indexer on, SigV4 required. It ingests the
// Fashion-MNIST train set through api/client with 4 concurrent writers
// (reported as ingest-v/s), waits until the indexer has folded the WAL
// (settled), and then times b.N QueryVectors calls (topK 10) one at a time
// through the official AWS SDK for Go, reporting p50/p99/p99.9/max, the
// bytes the process allocated per query (client and server: they share the
// process), the garbage collections per 1,000 queries and, for comparison,
// p99 of the same queries made in-process on the index handle:
//
//	go test -run '^$' -bench SDKQueryLatency -benchtime 5000x ./api/server
//
// With -v it logs the slowest calls with the CPU time the process used
// meanwhile; VB_CPUPROFILE and VB_TRACE name files for a CPU profile and an
// execution trace (each call a "query" region) of the timed loop.
func BenchmarkSDKQueryLatency(b *testing.B) {
	for _, c := range []int{1, benchClients} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) { sdkQueryLatency(b, c) })
	}
}

func sdkQueryLatency(b *testing.B, clients int) {
	env := sdkLatencyEnv(b)
	ctx := context.Background()
	d := env.data
	query := func(i int) {
		_, err := env.sdk.QueryVectors(ctx, &s3vectors.QueryVectorsInput{VectorBucketName: aws.String("lat"), IndexName: aws.String("fashion"),
			TopK: aws.Int32(10), QueryVector: &types.VectorDataMemberFloat32{Value: d.TestVec(i % d.NTest)}, ReturnDistance: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := range 500 { // warm the caches and the connection
		query(i)
	}
	lat := make([]time.Duration, b.N)
	at := make([]time.Duration, b.N)
	cpu := make([]time.Duration, b.N)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	if p := os.Getenv("VB_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if p := os.Getenv("VB_TRACE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		_ = trace.Start(f)
		defer trace.Stop()
	}
	conns0 := env.conns.Load()
	b.ResetTimer()
	begin := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				c0 := cpuTime()
				t0 := time.Now()
				trace.WithRegion(ctx, "query", func() { query(i) })
				lat[i] = time.Since(t0)
				cpu[i] = cpuTime() - c0
				at[i] = t0.Sub(begin)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	b.ReportMetric(float64(env.conns.Load()-conns0)*1000/float64(b.N), "new-conns/1k-queries")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "QPS")
	runtime.ReadMemStats(&m1)
	logSlowest(b, lat, at, cpu, 10)
	reportLatency(b, lat)
	b.ReportMetric(float64(m1.NumGC-m0.NumGC)*1000/float64(b.N), "GCs/1k-queries")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(b.N), "alloc-B/query")
	b.ReportMetric(env.ingest, "ingest-v/s")

	ix, err := env.db.Index(ctx, "lat", "fashion")
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		t0 := time.Now()
		if _, _, err := ix.Query(ctx, index.QueryRequest{Vector: d.TestVec(i % d.NTest), TopK: 10}); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "inproc-p99-ms")
}

// sdkEnv is the served, settled index of BenchmarkSDKQueryLatency.
type sdkEnv struct {
	db     *index.DB
	sdk    *s3vectors.Client
	data   *datasets.Dataset
	ingest float64 // vectors/s of the ingest through api/client
	conns  *atomic.Int64
}

var (
	sdkOnce sync.Once
	sdkE    *sdkEnv
)

// sdkLatencyEnv builds the environment once (the benchmark runs with b.N=1
// first); TestMain removes it.
func sdkLatencyEnv(b *testing.B) *sdkEnv {
	d := loadFashion(b)
	sdkOnce.Do(func() {
		cleanup := func(f func()) { benchCleanups = append(benchCleanups, f) }
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "vectorbucket-sdk-")
		if err != nil {
			b.Fatal(err)
		}
		cleanup(func() { _ = os.RemoveAll(dir) })
		st, err := local.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		db, err := index.Open(ctx, st, index.Options{Region: servertest.Region, Account: servertest.Account, Indexer: index.IndexerOptions{Seed: 1}})
		if err != nil {
			b.Fatal(err)
		}
		cleanup(func() { _ = db.Close() })
		v, err := server.NewVerifier(map[string]string{testAccessKey: testSecret})
		if err != nil {
			b.Fatal(err)
		}
		srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), Region: servertest.Region, AccountID: servertest.Account,
			Auth: v, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		hs := httptest.NewUnstartedServer(srv)
		var conns atomic.Int64
		hs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
		hs.Start()
		cleanup(hs.Close)
		cl, err := client.New(client.Options{Endpoint: hs.URL, AccessKeyID: testAccessKey, SecretAccessKey: testSecret})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cl.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "lat"}); err != nil {
			b.Fatal(err)
		}
		if _, err := cl.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: "lat"}, IndexName: "fashion",
			DataType: api.DataTypeFloat32, Dimension: 784, DistanceMetric: api.DistanceMetric(neighborhoods.Euclidean.String())}); err != nil {
			b.Fatal(err)
		}
		vecs := make([]api.PutInputVector, d.NTrain)
		for i := range vecs {
			vecs[i] = api.PutInputVector{Key: fmt.Sprintf("fm-%05d", i), Data: api.Float32Vector(d.TrainVec(i))}
		}
		start := time.Now()
		if err := cl.PutVectorsBulk(ctx, "lat", "fashion", vecs, benchClients); err != nil {
			b.Fatal(err)
		}
		ingest := float64(len(vecs)) / time.Since(start).Seconds()
		settle(b, db, "lat", "fashion")
		sdkE = &sdkEnv{db: db, sdk: servertest.NewSDK(hs.URL, testAccessKey, testSecret), data: d, ingest: ingest, conns: &conns}
	})
	if sdkE == nil {
		b.Fatal("setup failed")
	}
	return sdkE
}

// reportLatency reports p50, p99, p99.9 and the maximum of lat in ms.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)*999/1000]), "p99.9-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}

// logSlowest logs the n slowest calls and when they started (-v), to
// correlate the tail with GODEBUG=gctrace=1 or the indexer's activity.
func logSlowest(b *testing.B, lat, at, cpu []time.Duration, n int) {
	idx := make([]int, len(lat))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int { return int(lat[y] - lat[x]) })
	for _, i := range idx[:min(n, len(idx))] {
		b.Logf("query %d at +%v took %v, process CPU %v", i, at[i].Round(time.Millisecond), lat[i], cpu[i])
	}
}

// cpuTime is the CPU time the process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// settle waits until the background indexer has folded the whole WAL of
// bucket/name into neighborhoods and stayed so for a while.
func settle(b *testing.B, db *index.DB, bucket, name string) {
	ctx := context.Background()
	ix, err := db.Index(ctx, bucket, name)
	if err != nil {
		b.Fatal(err)
	}
	q := make([]float32, ix.Info().Config.Dimension)
	q[0] = 1
	deadline := time.Now().Add(5 * time.Minute)
	quiet := 0
	for quiet < 2 {
		if time.Now().After(deadline) {
			b.Fatal("the indexer did not settle within 5 minutes")
		}
		_, st, err := ix.Query(ctx, index.QueryRequest{Vector: q, TopK: 1})
		if err != nil {
			b.Fatal(err)
		}
		if st.WALVectors == 0 && st.NeighborhoodsTotal > 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(time.Second)
	}
}
