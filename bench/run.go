package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vectorbucket/vectorbucket/bench/peers"
	"github.com/vectorbucket/vectorbucket/datasets"
)

// The modes our engine runs in.
const (
	ModeInProcess = "inprocess" // the index in this process on the embedded local store
	ModeHTTP      = "http"      // through api/client against an in-process api/server
	ModeS3        = "s3"        // on an S3-compatible store: warm and cold runs
)

// DefaultPeerSweeps are the peers' search-knob sweeps (peers.py's defaults;
// faiss-ivf drops values above its nlist).
var DefaultPeerSweeps = map[peers.Engine][]int{
	peers.HNSWLib:   {10, 20, 40, 80, 120, 200, 400, 800},
	peers.FaissIVF:  {1, 2, 4, 8, 16, 32, 64, 128, 256},
	peers.FaissHNSW: {16, 32, 64, 128, 256, 512},
}

// DefaultNProbes is the default nprobe sweep; values above the number of
// neighborhoods are dropped.
var DefaultNProbes = []int{1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256}

// S3Options say where the S3 mode keeps its index. Each run writes under a
// fresh prefix (unless Prefix is set) and deletes it afterwards.
type S3Options struct {
	Endpoint, Region     string
	AccessKey, SecretKey string
	Bucket, Prefix       string
}

// S3FromEnv reads VECTORBUCKET_TEST_S3_ENDPOINT, _REGION, _ACCESS_KEY,
// _SECRET_KEY and _BUCKET (what scripts/versitygw.sh writes to
// .versitygw/env).
func S3FromEnv() S3Options {
	g := func(s string) string { return os.Getenv("VECTORBUCKET_TEST_S3_" + s) }
	return S3Options{Endpoint: g("ENDPOINT"), Region: g("REGION"), AccessKey: g("ACCESS_KEY"), SecretKey: g("SECRET_KEY"), Bucket: g("BUCKET")}
}

// Config configures Run. Only Dataset is required.
type Config struct {
	// Dataset is a datasets registry name (or an ann-benchmarks .hdf5 file).
	Dataset string
	// MaxTrain keeps only the first MaxTrain train vectors (0: all); say so
	// when reporting.
	MaxTrain int
	// Queries is the number of test vectors queried (the first ones);
	// default 1000.
	Queries int
	// K is the number of neighbours; default 10.
	K int
	// NProbe is our sweep; default DefaultNProbes.
	NProbe []int
	// Modes of our engine, in order; default inprocess.
	Modes []string
	// Peers run on the same data and queries; PeerSweeps overrides their
	// default sweeps (knob values).
	Peers      []peers.Engine
	PeerSweeps map[peers.Engine][]int
	// S3 is the store of the S3 mode; S3Latency, when > 0, adds a run with
	// that delay injected into every store request.
	S3          S3Options
	S3Latency   time.Duration
	ColdQueries int // queries of each cold and latency-injected run; default 100
	// Runs answers every query set this many times per sweep point, for us
	// and for the peers alike, and keeps the fastest pass (ann-benchmarks'
	// --runs); default 1. Cold and latency-injected runs are measured once.
	Runs int
	// BuildThreads for every engine's build; default runtime.NumCPU().
	BuildThreads int
	// SearchThreads is 1 (default): one query at a time on one thread, the
	// ann-benchmarks protocol. N > 1 measures throughput: our engine answers
	// the queries on N goroutines (GOMAXPROCS=N), each one query at a time,
	// and the peers use their batch search on N threads. Not with the s3 mode.
	SearchThreads int
	// MemoryBudget, when > 0, bounds our engine as `serve --memory-budget`
	// does: half of it for decoded objects, and the Go runtime's soft
	// memory limit at the budget plus what the process held before ingest
	// (the data set, which the bench keeps for ground truth and peers).
	MemoryBudget int64
	// WorkDir holds temporary stores and peer files; default os.TempDir().
	WorkDir string
	// NoInstall fails instead of installing a missing data set.
	NoInstall bool
	// Progress receives progress bars (usually stderr); nil: none.
	Progress io.Writer
	// Log receives one line per finished step; nil: none.
	Log io.Writer
	// Command is recorded in the report (how to reproduce it).
	Command string
}

func (c *Config) defaults() {
	if c.Queries <= 0 {
		c.Queries = 1000
	}
	if c.K <= 0 {
		c.K = 10
	}
	if len(c.NProbe) == 0 {
		c.NProbe = DefaultNProbes
	}
	if len(c.Modes) == 0 {
		c.Modes = []string{ModeInProcess}
	}
	if c.Runs <= 0 {
		c.Runs = 1
	}
	if c.ColdQueries <= 0 {
		c.ColdQueries = 100
	}
	if c.BuildThreads <= 0 {
		c.BuildThreads = runtime.NumCPU()
	}
	if c.SearchThreads <= 0 {
		c.SearchThreads = 1
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.S3.Region == "" {
		c.S3.Region = "us-east-1"
	}
}

// Run loads the data set and its exact ground truth, measures our engine in
// every mode and every peer, and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	for _, m := range cfg.Modes {
		if m != ModeInProcess && m != ModeHTTP && m != ModeS3 {
			return nil, fmt.Errorf("unknown mode %q (inprocess, http, s3)", m)
		}
		if m == ModeS3 && cfg.SearchThreads > 1 {
			return nil, fmt.Errorf("mode s3 measures round trips one query at a time: use --search-threads 1")
		}
	}
	start := time.Now()
	rep := &Report{Started: start.UTC(), Machine: machine(), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(),
		LoadAvgStart: loadAvg(), K: cfg.K, SearchThreads: cfg.SearchThreads, BuildThreads: cfg.BuildThreads, Runs: cfg.Runs, Command: cfg.Command}
	sp := newSpinner(cfg.Progress, "loading "+cfg.Dataset)
	d, err := datasets.Load(ctx, cfg.Dataset, datasets.LoadOptions{MaxTrain: cfg.MaxTrain, MaxTest: cfg.Queries, NoInstall: cfg.NoInstall, Log: cfg.Progress})
	sp.Finish()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", cfg.Dataset, err)
	}
	if d.NTest < cfg.Queries {
		cfg.Queries = d.NTest
	}
	rep.Dataset, rep.Description, rep.Synthetic = d.Name, d.Description, d.Synthetic
	rep.Metric, rep.Dim, rep.NTrain, rep.NQueries = d.Metric, d.Dim, d.NTrain, d.NTest
	if cfg.MaxTrain > 0 && cfg.MaxTrain <= d.NTrain {
		rep.Notes = append(rep.Notes, fmt.Sprintf("subset: the first %d train vectors of %s", d.NTrain, cfg.Dataset))
	}
	if d.Synthetic {
		rep.Notes = append(rep.Notes, "SYNTHETIC data (seeded Gaussian mixture): not a real-data figure")
	}
	fmt.Fprintf(cfg.Log, "%s: %d train × %d-d %s, %d queries, k=%d; load %s\n", d.Name, d.NTrain, d.Dim, d.Metric, d.NTest, cfg.K, rep.LoadAvgStart)
	tb := newBar(cfg.Progress, d.NTest, "exact ground truth")
	truth, err := datasets.GroundTruth(ctx, d, cfg.K, datasets.TruthOptions{Progress: func(done, _ int) { tb.Set(done) }})
	tb.Finish()
	if err != nil {
		return nil, fmt.Errorf("ground truth: %w", err)
	}
	for _, mode := range cfg.Modes {
		curves, err := runOurs(ctx, &cfg, d, truth, mode)
		if err != nil {
			return nil, err
		}
		rep.Curves = append(rep.Curves, curves...)
	}
	var peerCurves []Curve
	for _, e := range cfg.Peers {
		c, err := runPeer(ctx, &cfg, d, truth, e)
		if err != nil {
			return nil, err
		}
		peerCurves = append(peerCurves, c)
		rep.Curves = append(rep.Curves, c)
	}
	for _, c := range rep.Curves {
		if (c.Mode == ModeInProcess || c.Mode == ModeHTTP || c.Mode == "s3-warm") && c.InjectedLatency == "" && len(c.Points) > 1 {
			rep.Ratios = append(rep.Ratios, Ratios(c, peerCurves, RecallLevels)...)
		}
	}
	rep.LoadAvgEnd = loadAvg()
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// runOurs measures our engine in one mode: the nprobe sweep (warm), and for
// S3 also warm and cold runs at the default nprobe, with and without the
// injected latency.
func runOurs(ctx context.Context, cfg *Config, d *datasets.Dataset, truth *datasets.Truth, mode string) ([]Curve, error) {
	o, err := openOurs(ctx, cfg, d, mode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mode, err)
	}
	defer o.close()
	c := o.curve
	fmt.Fprintf(cfg.Log, "%s: ingest %.1fs, first build %.1fs, %d neighborhoods, %.1f MB on store\n",
		c.Engine, c.IngestSeconds, c.IndexSeconds, o.nbhds, float64(c.IndexBytes)/1e6)
	var probes []int
	for _, np := range cfg.NProbe {
		if np = min(np, o.nbhds); np > 0 && !slices.Contains(probes, np) {
			probes = append(probes, np)
		}
	}
	for _, np := range probes {
		var best Point
		for run := range cfg.Runs {
			m, err := o.sweepPoint(ctx, cfg, d, d.NTest, np, false, fmt.Sprintf("%s nprobe=%d run %d/%d", c.Engine, np, run+1, cfg.Runs))
			if err != nil {
				return nil, err
			}
			if p := point(m, truth, d, cfg.K, fmt.Sprintf("nprobe=%d", np), np); run == 0 || p.QPS > best.QPS {
				best = p
			}
		}
		best.Runs = cfg.Runs
		logPoint(cfg.Log, c.Engine, best)
		c.Points = append(c.Points, best)
	}
	c.RSSAfterBytes, c.HWMBytes = memory()
	switch mode {
	case ModeInProcess:
		c.Note = "embedded local store; index cache warm; GOMAXPROCS=1 while querying"
		if cfg.SearchThreads > 1 {
			c.Note = fmt.Sprintf("embedded local store; index cache warm; %d goroutines, each one query at a time, GOMAXPROCS=%d", cfg.SearchThreads, cfg.SearchThreads)
		}
	case ModeHTTP:
		c.Note = "api/client → in-process api/server over loopback HTTP (JSON); nprobe passed to the index by the bench's backend wrapper (the S3 Vectors API has no such knob)"
	case ModeS3:
		c.Note = "S3 backend, one index handle, decoded-object cache warm; every query still revalidates the manifest with one HEAD"
	}
	curves := []Curve{c}
	if mode != ModeS3 {
		return curves, nil
	}
	// Cold and latency-injected runs: at the default nprobe (the one the
	// index picks for a query without one: from its calibration), and at
	// the smallest swept nprobe that reached recall 0.95 warm.
	def, err := o.defaultNProbe(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("%s: default nprobe: %w", mode, err)
	}
	settings := []int{def}
	for _, p := range c.Points {
		if p.Recall >= 0.95 {
			if p.Knob < settings[0] {
				settings = []int{p.Knob, settings[0]}
			}
			break
		}
	}
	n := min(cfg.ColdQueries, d.NTest)
	lats := []time.Duration{0}
	if cfg.S3Latency > 0 {
		lats = append(lats, cfg.S3Latency)
	}
	for _, lat := range lats {
		suffix := ""
		if lat > 0 {
			suffix = "+" + lat.String()
		}
		kinds := []string{"warm", "cold"}
		if lat > 0 {
			kinds = append(kinds, "warm-lease")
		}
		for _, kind := range kinds {
			cold := kind == "cold"
			if kind == "warm" && lat == 0 {
				continue // the sweep above is the warm run without latency
			}
			restore := func() {}
			if kind == "warm-lease" {
				var err error
				if restore, err = o.useLeasedIndex(ctx, benchReadLease); err != nil {
					return nil, err
				}
				// The leased handle is a new DB with empty caches: warm
				// them as the warm run's were (by the sweep without
				// latency), so that the run measures the lease alone.
				if _, err := o.sweepPoint(ctx, cfg, d, n, settings[len(settings)-1], false, "vectorbucket-s3-warm-lease warm-up"); err != nil {
					restore()
					return nil, err
				}
			}
			cc := Curve{Engine: "vectorbucket-s3-" + kind + suffix, Mode: "s3-" + kind, Build: c.Build, BuildSeconds: c.BuildSeconds,
				IngestSeconds: c.IngestSeconds, IndexSeconds: c.IndexSeconds, IndexBytes: c.IndexBytes}
			for i, np := range settings {
				params := fmt.Sprintf("nprobe=%d", np)
				if i == len(settings)-1 {
					params = fmt.Sprintf("default nprobe=%d", np)
				}
				o.lat.set(lat)
				m, err := o.sweepPoint(ctx, cfg, d, n, np, cold, cc.Engine+" "+params)
				o.lat.set(0)
				if err != nil {
					restore()
					return nil, err
				}
				p := point(m, truth, d, cfg.K, params, np)
				logPoint(cfg.Log, cc.Engine, p)
				cc.Points = append(cc.Points, p)
			}
			if lat > 0 {
				cc.InjectedLatency = lat.String()
			}
			restore()
			switch kind {
			case "warm-lease":
				cc.Note = fmt.Sprintf("%d queries; warm handle with a %v read lease (index.Options.ReadLease, serve --read-lease): no store request per query while the lease holds", n, benchReadLease)
			case "cold":
				cc.Note = fmt.Sprintf("%d queries; every query opens a fresh DB and index handle with empty caches (no object cache, no decoded cache) and that is part of its latency", n)
			default:
				cc.Note = fmt.Sprintf("%d queries; warm handle: only the manifest revalidation (one HEAD per query) reaches the store", n)
			}
			if lat > 0 {
				cc.Note += fmt.Sprintf("; %s injected before every store request", lat)
			}
			curves = append(curves, cc)
		}
	}
	return curves, nil
}

func logPoint(w io.Writer, engine string, p Point) {
	fmt.Fprintf(w, "%-28s %-22s recall %.4f  QPS %8.1f  p50 %7.3f ms  p99 %7.3f ms", engine, p.Params, p.Recall, p.QPS, p.P50ms, p.P99ms)
	if p.StoreRequests > 0 {
		fmt.Fprintf(w, "  store: %.1f req, %.1f objects, %.2f MB, %.1f sequential", p.StoreRequests, p.ObjectsFetched, p.BytesFetched/1e6, p.SequentialTrips)
	}
	fmt.Fprintf(w, "  load %s\n", p.LoadAvg)
}

// runPeer measures one peer over its sweep.
func runPeer(ctx context.Context, cfg *Config, d *datasets.Dataset, truth *datasets.Truth, e peers.Engine) (Curve, error) {
	c := Curve{Engine: string(e), Mode: "peer", Note: e.Note()}
	if cfg.SearchThreads > 1 {
		c.Note += fmt.Sprintf("; batch search on %d threads (latency = total × threads ÷ queries, not per query)", cfg.SearchThreads)
	}
	sp := newSpinner(cfg.Progress, string(e)+": build and sweep (one thread)")
	sweep := cfg.PeerSweeps[e]
	if sweep == nil && cfg.Runs > 1 {
		sweep = DefaultPeerSweeps[e]
	}
	var repeated []int
	for _, v := range sweep {
		for range cfg.Runs {
			repeated = append(repeated, v)
		}
	}
	res, err := peers.Run(ctx, e, d, truth, peers.Options{K: cfg.K, Sweep: repeated, BuildThreads: cfg.BuildThreads, SearchThreads: cfg.SearchThreads,
		WorkDir: peerDir(cfg.WorkDir, e), Log: peerLog(cfg.Progress),
		OnResult: func(r peers.Result) {
			p := peerPoint(r)
			logPoint(cfg.Log, string(e), p)
		}})
	sp.Finish()
	if err != nil {
		return c, err
	}
	// Keep the fastest pass of each setting (the sweep repeats each value
	// Runs times in a row).
	for _, r := range res {
		p := peerPoint(r)
		p.Runs = 1
		if n := len(c.Points); n > 0 && c.Points[n-1].Params == p.Params {
			q := &c.Points[n-1]
			q.Runs++
			if p.QPS > q.QPS {
				p.Runs = q.Runs
				*q = p
			}
			continue
		}
		c.Points = append(c.Points, p)
	}
	c.Version = res[0].Version
	c.BuildSeconds = res[0].BuildSeconds
	c.IndexBytes = res[0].IndexBytes
	c.Build = strings.TrimSpace(strings.TrimPrefix(peers.Result{Engine: e, Build: res[0].Build}.Label(), string(e)))
	return c, nil
}

func peerPoint(r peers.Result) Point {
	label := strings.TrimSpace(strings.TrimPrefix(peers.Result{Engine: r.Engine, Search: r.Search}.Label(), string(r.Engine)))
	knob := 0
	for _, v := range r.Search {
		knob = v
	}
	p := Point{Params: label, Knob: knob, Queries: len(r.Latencies), Recall: r.Recall, QPS: r.QPS, LoadAvg: loadAvg()}
	p.P50ms, p.P95ms, p.P99ms, p.MeanMS = percentiles(r.Latencies)
	return p
}

// peerDir is "" (a temporary directory peers removes) unless workDir is set.
func peerDir(workDir string, e peers.Engine) string {
	if workDir == "" {
		return ""
	}
	return workDir + "/peer-" + string(e)
}

func peerLog(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
