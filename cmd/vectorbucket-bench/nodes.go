package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/bench"
	"github.com/vectorbucket/vectorbucket/cmd/internal/cli"
	"github.com/vectorbucket/vectorbucket/cmd/internal/proc"
	"github.com/vectorbucket/vectorbucket/datasets"
)

// nodesConfig is what "vectorbucket-bench nodes" runs.
type nodesConfig struct {
	dataset, server, out string
	nodes                []int
	clients, queries     int
	maxTrain             int
	duration             time.Duration
	s3                   bench.S3Options
	progress             io.Writer
}

// nodePoint is the measurement at one node count.
type nodePoint struct {
	Nodes          int
	Clients        int
	Queries        int64
	Errors         int64
	Seconds        float64
	QPS            float64
	P50ms, P99ms   float64
	Recall         float64
	PerNodeQueries []int64
}

// nodesReport is the outcome of a nodes run.
type nodesReport struct {
	Dataset          string
	NTrain, Dim      int
	IngestSeconds    float64
	SettleSeconds    float64
	ConsistencyPairs int
	Violations       []string
	Points           []nodePoint
	Machine, Started string
}

// runNodes is "vectorbucket-bench nodes": N stateless servers on one S3
// bucket, writes on any node, strongly consistent reads on every node.
func runNodes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags(prog, "nodes", "nodes [flags]", `Run N "vectorbucket serve" processes on one S3 bucket (the store named by
VECTORBUCKET_TEST_S3_*, which scripts/versitygw.sh start writes to
.versitygw/env), load a data set through the first node, check that a
write on any node is read at once on every other (put, get, query, delete
across every pair of nodes), then measure aggregate query QPS and latency
with --clients concurrent clients spread over the first N nodes, for each N
in --nodes. Writes results.md and results.csv into --out.

Example:
  scripts/versitygw.sh start && source .versitygw/env
  vectorbucket-bench nodes --dataset fashion-mnist-784-euclidean --nodes 1,2,4`, stdout, stderr)
	var (
		dataset  = fs.String("dataset", "fashion-mnist-784-euclidean", "data set name")
		server   = fs.String("server", ".bin/vectorbucket", "the vectorbucket binary (make build puts it in .bin/)")
		nodes    = fs.String("nodes", "1,2,4", "comma-separated node counts")
		clients  = fs.Int("clients", 8, "concurrent query clients (spread over the nodes)")
		queries  = fs.Int("queries", 1000, "test queries cycled through (recall is measured on them)")
		maxTrain = fs.Int("max-train", 0, "index only the first N train vectors (0: all)")
		duration = fs.Duration("duration", 15*time.Second, "measurement time per node count")
		out      = fs.String("out", "bench/results/nodes", "directory for results.md and results.csv")
		quiet    = fs.Bool("quiet", false, "no progress on stderr")
	)
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	cfg := nodesConfig{dataset: *dataset, server: *server, out: *out, clients: *clients, queries: *queries, maxTrain: *maxTrain,
		duration: *duration, s3: bench.S3FromEnv(), progress: stderr}
	if *quiet {
		cfg.progress = io.Discard
	}
	for _, s := range strings.Split(*nodes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 64 {
			fmt.Fprintf(stderr, "vectorbucket bench nodes: --nodes: %q is not a count in 1-64\n", s)
			return cli.ErrUsage
		}
		cfg.nodes = append(cfg.nodes, n)
	}
	if cfg.s3.Endpoint == "" || cfg.s3.Bucket == "" {
		return errors.New("nodes: no S3 store: run scripts/versitygw.sh start && source .versitygw/env (VECTORBUCKET_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY)")
	}
	rep, err := measureNodes(ctx, cfg)
	if err != nil {
		return err
	}
	if err := rep.write(cfg.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(cfg.out, "results.md"))
	if len(rep.Violations) > 0 {
		return fmt.Errorf("nodes: %d consistency violations (first: %s)", len(rep.Violations), rep.Violations[0])
	}
	return nil
}

func measureNodes(ctx context.Context, cfg nodesConfig) (rep *nodesReport, err error) {
	logf := func(format string, a ...any) { fmt.Fprintf(cfg.progress, format+"\n", a...) }
	d, err := datasets.Load(ctx, cfg.dataset, datasets.LoadOptions{MaxTrain: cfg.maxTrain, MaxTest: cfg.queries, Log: cfg.progress})
	if err != nil {
		return nil, err
	}
	truth, err := datasets.GroundTruth(ctx, d, 10)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "vectorbucket-nodes-")
	if err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("nodes-%d", time.Now().UnixNano())
	maxN := slices.Max(cfg.nodes)
	args := func(addr string) []string {
		return []string{"serve", "--addr", addr, "--store", "s3://" + cfg.s3.Bucket + "/" + prefix, "--s3-endpoint", cfg.s3.Endpoint,
			"--s3-path-style", "--s3-access-key", cfg.s3.AccessKey, "--log-level", "warn", "--log-format", "json"}
	}
	env := []string{"VECTORBUCKET_ACCESS_KEY_ID=", "VECTORBUCKET_SECRET_ACCESS_KEY=", "VECTORBUCKET_S3_SECRET_KEY=" + cfg.s3.SecretKey}
	var srvs []*proc.Server
	defer func() {
		for _, s := range srvs {
			_ = s.Stop()
		}
		// The server logs are kept when something went wrong.
		if err == nil && len(rep.Violations) == 0 {
			_ = os.RemoveAll(work)
		} else {
			fmt.Fprintf(cfg.progress, "nodes: server logs kept in %s\n", work)
		}
	}()
	cls := make([]*client.Client, maxN)
	for i := range maxN {
		s, err := proc.Start(ctx, cfg.server, args, env, filepath.Join(work, fmt.Sprintf("node%d.log", i)))
		if err != nil {
			return nil, err
		}
		srvs = append(srvs, s)
		if cls[i], err = client.New(client.Options{Endpoint: s.Endpoint, MaxAttempts: 3}); err != nil {
			return nil, err
		}
	}
	logf("nodes: %d servers on s3://%s/%s (logs in %s)", maxN, cfg.s3.Bucket, prefix, work)
	rep = &nodesReport{Dataset: d.Name, NTrain: d.NTrain, Dim: d.Dim, Machine: machineLine(), Started: time.Now().UTC().Format(time.RFC3339)}
	ref := api.IndexRef{VectorBucketName: "nodes", IndexName: "bench"}
	if _, err := cls[0].CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: ref.VectorBucketName}); err != nil {
		return nil, err
	}
	metric := api.Euclidean
	if d.Metric == datasets.Cosine {
		metric = api.Cosine
	}
	if _, err := cls[0].CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: ref.VectorBucketName},
		IndexName: ref.IndexName, DataType: api.DataTypeFloat32, Dimension: d.Dim, DistanceMetric: metric}); err != nil {
		return nil, err
	}
	start := time.Now()
	vecs := make([]api.PutInputVector, d.NTrain)
	for i := range vecs {
		vecs[i] = api.PutInputVector{Key: strconv.Itoa(i), Data: api.Float32Vector(d.TrainVec(i))}
	}
	if err := cls[0].PutVectorsBulkRef(ctx, ref, vecs, 4); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	rep.IngestSeconds = time.Since(start).Seconds()
	logf("nodes: %d vectors ingested through node 0 in %.1f s; waiting for the first build", d.NTrain, rep.IngestSeconds)
	start = time.Now()
	if err := settleNodes(ctx, cls[0], ref, d.TestVec(0)); err != nil {
		return nil, err
	}
	rep.SettleSeconds = time.Since(start).Seconds()
	rep.ConsistencyPairs, rep.Violations = crossNodeChecks(ctx, cls, ref, d.Dim)
	logf("nodes: %d cross-node write/read pairs, %d violations", rep.ConsistencyPairs, len(rep.Violations))
	for _, n := range cfg.nodes {
		p := queryLoad(ctx, cls[:n], ref, d, truth, cfg.clients, cfg.duration)
		logf("nodes: N=%d  %d clients  %.0f QPS  p50 %.2f ms  p99 %.2f ms  recall@10 %.4f  errors %d", n, cfg.clients, p.QPS, p.P50ms, p.P99ms, p.Recall, p.Errors)
		rep.Points = append(rep.Points, p)
	}
	return rep, nil
}

// settleNodes waits until queries on c find no WAL tail (the first build
// has folded every vector into neighborhoods).
func settleNodes(ctx context.Context, c *client.Client, ref api.IndexRef, q []float32) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		in := &api.QueryVectorsRequest{IndexRef: ref, TopK: 1, QueryVector: api.Float32Vector(q)}
		client.QueryOptions{Receipt: true}.Apply(in)
		out, err := c.QueryVectors(ctx, in)
		if err != nil {
			return fmt.Errorf("settle: %w", err)
		}
		if r := client.ReceiptOf(out); r != nil && r.WALVectors == 0 && r.NeighborhoodsTotal > 1 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("settle: the index still has a WAL tail after 10 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// crossNodeChecks writes on every node and reads on every other at once:
// the vector put on i is returned by GetVectors and found by an exact
// QueryVectors on j; deleted on j, it is gone on i. It returns the pairs
// checked and a line per violation.
func crossNodeChecks(ctx context.Context, cls []*client.Client, ref api.IndexRef, dim int) (int, []string) {
	rng := rand.New(rand.NewPCG(7, 7))
	var bad []string
	pairs := 0
	for i := range cls {
		for j := range cls {
			if i == j && len(cls) > 1 {
				continue
			}
			pairs++
			key := fmt.Sprintf("probe-%d-%d", i, j)
			v := make([]float32, dim)
			for k := range v {
				v[k] = float32(rng.NormFloat64()) * 1000 // far from the data set
			}
			if err := cls[i].PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: []api.PutInputVector{{Key: key, Data: api.Float32Vector(v)}}}); err != nil {
				bad = append(bad, fmt.Sprintf("put %s on node %d: %v", key, i, err))
				continue
			}
			got, err := cls[j].GetVectors(ctx, &api.GetVectorsRequest{IndexRef: ref, Keys: []string{key}, ReturnData: true})
			if err != nil || len(got.Vectors) != 1 || !slices.Equal(got.Vectors[0].Data.Float32, v) {
				bad = append(bad, fmt.Sprintf("get %s on node %d right after the put on node %d: %v %v", key, j, i, err, got))
			}
			in := &api.QueryVectorsRequest{IndexRef: ref, TopK: 1, QueryVector: api.Float32Vector(v)}
			client.QueryOptions{Exact: true}.Apply(in)
			q, err := cls[j].QueryVectors(ctx, in)
			if err != nil || len(q.Vectors) != 1 || q.Vectors[0].Key != key {
				bad = append(bad, fmt.Sprintf("query on node %d right after the put of %s on node %d: %v %+v", j, key, i, err, q))
			}
			if err := cls[j].DeleteVectors(ctx, &api.DeleteVectorsRequest{IndexRef: ref, Keys: []string{key}}); err != nil {
				bad = append(bad, fmt.Sprintf("delete %s on node %d: %v", key, j, err))
				continue
			}
			got, err = cls[i].GetVectors(ctx, &api.GetVectorsRequest{IndexRef: ref, Keys: []string{key}})
			if err != nil || len(got.Vectors) != 0 {
				bad = append(bad, fmt.Sprintf("get %s on node %d right after the delete on node %d: %v %v", key, i, j, err, got))
			}
		}
	}
	return pairs, bad
}

// queryLoad runs clients concurrent query loops for d, client c on node
// c mod len(cls), cycling through the test vectors.
func queryLoad(ctx context.Context, cls []*client.Client, ref api.IndexRef, d *datasets.Dataset, truth *datasets.Truth, clients int, dur time.Duration) nodePoint {
	p := nodePoint{Nodes: len(cls), Clients: clients, PerNodeQueries: make([]int64, len(cls))}
	var (
		next    atomic.Int64
		errs    atomic.Int64
		mu      sync.Mutex
		lat     []float64
		recalls []float64
		wg      sync.WaitGroup
	)
	perNode := make([]atomic.Int64, len(cls))
	stop := time.Now().Add(dur)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := c % len(cls)
			var myLat, myRecall []float64
			ids := make([]int, 0, 10)
			for time.Now().Before(stop) && ctx.Err() == nil {
				qi := int(next.Add(1)-1) % d.NTest
				t0 := time.Now()
				out, err := cls[node].QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: ref, TopK: 10, QueryVector: api.Float32Vector(d.TestVec(qi))})
				if err != nil {
					errs.Add(1)
					continue
				}
				myLat = append(myLat, float64(time.Since(t0).Microseconds())/1000)
				perNode[node].Add(1)
				ids = ids[:0]
				for _, v := range out.Vectors {
					if id, err := strconv.Atoi(v.Key); err == nil {
						ids = append(ids, id)
					}
				}
				myRecall = append(myRecall, truth.Recall(d, qi, ids, 10))
			}
			mu.Lock()
			lat = append(lat, myLat...)
			recalls = append(recalls, myRecall...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	p.Seconds = time.Since(start).Seconds()
	p.Queries = int64(len(lat))
	p.Errors = errs.Load()
	p.QPS = float64(p.Queries) / p.Seconds
	slices.Sort(lat)
	if len(lat) > 0 {
		p.P50ms = lat[len(lat)/2]
		p.P99ms = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	var sum float64
	for _, r := range recalls {
		sum += r
	}
	if len(recalls) > 0 {
		p.Recall = sum / float64(len(recalls))
	}
	for i := range perNode {
		p.PerNodeQueries[i] = perNode[i].Load()
	}
	return p
}

// write saves results.md and results.csv into dir.
func (r *nodesReport) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md, csv strings.Builder
	fmt.Fprintf(&md, "%s: %d train × %d-d through the S3 Vectors API, N `vectorbucket serve` nodes on one S3 bucket (versitygw), default query settings, top 10.\n\n", r.Dataset, r.NTrain, r.Dim)
	fmt.Fprintf(&md, "Machine: %s; started %s. Ingest through node 0: %.1f s; first build settled after %.1f s more.\n\n", r.Machine, r.Started, r.IngestSeconds, r.SettleSeconds)
	fmt.Fprintf(&md, "Cross-node consistency: %d (writer, reader) node pairs — put on one, GetVectors and an exact QueryVectors on the other at once, delete there, GetVectors on the first: **%d violations**.\n\n", r.ConsistencyPairs, len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(&md, "- violation: %s\n", v)
	}
	md.WriteString("| nodes | clients | queries | errors | QPS | QPS ÷ 1 node | p50 ms | p99 ms | recall@10 | queries per node |\n|---|---|---|---|---|---|---|---|---|---|\n")
	csv.WriteString("nodes,clients,queries,errors,seconds,qps,p50_ms,p99_ms,recall\n")
	for _, p := range r.Points {
		per := make([]string, len(p.PerNodeQueries))
		for i, n := range p.PerNodeQueries {
			per[i] = strconv.FormatInt(n, 10)
		}
		fmt.Fprintf(&md, "| %d | %d | %d | %d | %.0f | %.2f | %.2f | %.2f | %.4f | %s |\n", p.Nodes, p.Clients, p.Queries, p.Errors, p.QPS,
			p.QPS/r.Points[0].QPS, p.P50ms, p.P99ms, p.Recall, strings.Join(per, " / "))
		fmt.Fprintf(&csv, "%d,%d,%d,%d,%.3f,%.1f,%.3f,%.3f,%.4f\n", p.Nodes, p.Clients, p.Queries, p.Errors, p.Seconds, p.QPS, p.P50ms, p.P99ms, p.Recall)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.csv"), []byte(csv.String()), 0o644)
}

// machineLine describes the machine: CPUs, Go and the load average.
func machineLine() string {
	load, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(load))
	if len(f) > 3 {
		f = f[:3]
	}
	return fmt.Sprintf("%s; load average %s", bench.MachineName(), strings.Join(f, " "))
}
