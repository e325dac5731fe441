package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Point is one sweep point: every query answered once at one setting of an
// engine's search knob.
type Point struct {
	// Params names the setting, e.g. "nprobe=8" or "ef=40".
	Params string `json:"params"`
	// Knob is the search knob's value (nprobe, ef, efSearch; 0 for an
	// engine's default).
	Knob    int `json:"knob"`
	Queries int `json:"queries"`
	// Runs is how many passes over the queries were made; the fastest is
	// reported (ann-benchmarks' --runs).
	Runs   int     `json:"runs,omitempty"`
	Recall float64 `json:"recall"`
	QPS    float64 `json:"qps"`
	// Latency percentiles and mean, in milliseconds.
	P50ms  float64 `json:"p50_ms"`
	P95ms  float64 `json:"p95_ms"`
	P99ms  float64 `json:"p99_ms"`
	MeanMS float64 `json:"mean_ms"`
	// Per-query means of what our engine did (zero for peers).
	NeighborhoodsProbed float64 `json:"neighborhoods_probed,omitempty"`
	VectorsScored       float64 `json:"vectors_scored,omitempty"`
	// Store traffic per query: requests (every kind), objects and bytes
	// fetched (GET), objects and bytes served by the index's cache, and the
	// longest chain of store requests where each starts after the previous
	// one ended (sequential round trips).
	StoreRequests     float64 `json:"store_requests,omitempty"`
	ObjectsFetched    float64 `json:"objects_fetched,omitempty"`
	BytesFetched      float64 `json:"bytes_fetched,omitempty"`
	ObjectsFromCache  float64 `json:"objects_from_cache,omitempty"`
	BytesFromCache    float64 `json:"bytes_from_cache,omitempty"`
	SequentialTrips   float64 `json:"sequential_round_trips,omitempty"`
	MaxSequentialTrip int     `json:"max_sequential_round_trips,omitempty"`
	// LoadAvg is /proc/loadavg when the point finished.
	LoadAvg string `json:"loadavg,omitempty"`
}

// Curve is one engine's run: its build and its sweep.
type Curve struct {
	// Engine names the engine and setting, e.g. "vectorbucket-inprocess",
	// "vectorbucket-s3-cold+50ms", "hnswlib", "faiss-ivf".
	Engine string `json:"engine"`
	// Mode is inprocess, http, s3-warm, s3-cold or peer.
	Mode string `json:"mode"`
	// Note says what must be said next to the figures (build, caveats).
	Note    string `json:"note,omitempty"`
	Version string `json:"version,omitempty"`
	// Build parameters, e.g. "M=16 efConstruction=200".
	Build string `json:"build,omitempty"`
	// BuildSeconds is the time from an empty index to one that answers
	// from its final structure: for ours, ingest plus the first build
	// (IngestSeconds + IndexSeconds).
	BuildSeconds  float64 `json:"build_s"`
	IngestSeconds float64 `json:"ingest_s,omitempty"`
	IndexSeconds  float64 `json:"index_s,omitempty"`
	// IndexBytes is the size of the index: for ours the objects the newest
	// manifest references on the store; for peers the serialized index.
	IndexBytes int64 `json:"index_bytes"`
	// Resident memory of the process running the engine (ours only; the
	// bench process also holds the data set): VmRSS after building and
	// after querying, VmHWM at the end, and VmRSS before ingest.
	RSSBeforeBytes int64 `json:"rss_before_bytes,omitempty"`
	RSSBuiltBytes  int64 `json:"rss_built_bytes,omitempty"`
	RSSAfterBytes  int64 `json:"rss_after_bytes,omitempty"`
	HWMBytes       int64 `json:"hwm_bytes,omitempty"`
	// MemoryBudget is Config.MemoryBudget (0: none).
	MemoryBudget int64 `json:"memory_budget,omitempty"`
	// InjectedLatency is the delay added to every store request while
	// querying (S3 runs), e.g. "50ms".
	InjectedLatency string  `json:"injected_latency,omitempty"`
	Points          []Point `json:"points"`
}

// Report is the result of one bench run, written as JSON and CSV.
type Report struct {
	Dataset     string `json:"dataset"`
	Description string `json:"description"`
	Synthetic   bool   `json:"synthetic"`
	Metric      string `json:"metric"`
	Dim         int    `json:"dim"`
	NTrain      int    `json:"n_train"`
	NQueries    int    `json:"n_queries"`
	K           int    `json:"k"`
	// SearchThreads is 1: one query at a time on one thread (GOMAXPROCS=1
	// for our query loops, one thread in the peers); N > 1: throughput on N
	// threads (our goroutines, the peers' batch search).
	SearchThreads int `json:"search_threads"`
	// Runs: each sweep point is the fastest of this many passes.
	Runs int `json:"runs,omitempty"`
	// BuildThreads is the threads every engine may use to build.
	BuildThreads int       `json:"build_threads"`
	Started      time.Time `json:"started"`
	Seconds      float64   `json:"seconds"`
	Machine      string    `json:"machine"`
	NumCPU       int       `json:"num_cpu"`
	GoVersion    string    `json:"go_version"`
	// LoadAvg is /proc/loadavg at the start and the end of the run; the
	// machine is shared, so figures are noisy when it is above NumCPU.
	LoadAvgStart string   `json:"loadavg_start"`
	LoadAvgEnd   string   `json:"loadavg_end"`
	Command      string   `json:"command,omitempty"`
	Curves       []Curve  `json:"curves"`
	Ratios       []Ratio  `json:"ratios"`
	Notes        []string `json:"notes,omitempty"`
}

// Curve returns the curve of engine, or nil.
func (r *Report) Curve(engine string) *Curve {
	for i := range r.Curves {
		if r.Curves[i].Engine == engine {
			return &r.Curves[i]
		}
	}
	return nil
}

// WriteFiles writes results.json, results.csv, recall-qps.png and
// recall-qps.svg into dir (created if needed) and returns their paths.
func (r *Report) WriteFiles(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results directory: %w", err)
	}
	paths := []string{filepath.Join(dir, "results.json"), filepath.Join(dir, "results.csv"),
		filepath.Join(dir, "recall-qps.png"), filepath.Join(dir, "recall-qps.svg")}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(paths[0], append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write results: %w", err)
	}
	if err := r.writeCSV(paths[1]); err != nil {
		return nil, err
	}
	if err := r.Plot(paths[2], paths[3]); err != nil {
		return nil, err
	}
	return paths, nil
}

// csvHeader names the CSV columns: one row per sweep point.
var csvHeader = []string{"dataset", "engine", "mode", "params", "knob", "queries", "recall", "qps",
	"p50_ms", "p95_ms", "p99_ms", "mean_ms", "build_s", "index_bytes", "neighborhoods_probed", "vectors_scored",
	"store_requests", "objects_fetched", "bytes_fetched", "sequential_round_trips", "injected_latency", "loadavg", "note"}

func (r *Report) writeCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(csvHeader)
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for _, c := range r.Curves {
		for _, p := range c.Points {
			_ = w.Write([]string{r.Dataset, c.Engine, c.Mode, p.Params, strconv.Itoa(p.Knob), strconv.Itoa(p.Queries),
				g(p.Recall), g(p.QPS), g(p.P50ms), g(p.P95ms), g(p.P99ms), g(p.MeanMS), g(c.BuildSeconds),
				strconv.FormatInt(c.IndexBytes, 10), g(p.NeighborhoodsProbed), g(p.VectorsScored),
				g(p.StoreRequests), g(p.ObjectsFetched), g(p.BytesFetched), g(p.SequentialTrips),
				c.InjectedLatency, p.LoadAvg, c.Note})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write csv: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteFiles.
func ReadJSON(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// storeKnob returns the nprobe values of the cold runs, so the warm sweep's
// matching rows can sit next to them; -1 when there are none.
func (r *Report) storeKnob(string) int {
	for _, c := range r.Curves {
		if c.Mode == "s3-cold" && len(c.Points) > 0 {
			return c.Points[0].Knob
		}
	}
	return -1
}

func formatRatio(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) + "×" }

// Markdown renders the report as tables: the run, each engine's curve, and
// the QPS ratios.
func (r *Report) Markdown() string {
	var b strings.Builder
	syn := ""
	if r.Synthetic {
		syn = " (SYNTHETIC data)"
	}
	fmt.Fprintf(&b, "%s%s: %d train × %d-d, %s, %d queries, k=%d, search threads %d, build threads %d, each sweep point the fastest of %d pass(es) over the queries.\n\n",
		r.Dataset, syn, r.NTrain, r.Dim, r.Metric, r.NQueries, r.K, r.SearchThreads, r.BuildThreads, max(r.Runs, 1))
	if r.Description != "" {
		fmt.Fprintf(&b, "Data: %s.\n\n", r.Description)
	}
	fmt.Fprintf(&b, "Machine: %s (%d CPUs), %s; load average at start %q, at end %q.\n\n",
		r.Machine, r.NumCPU, r.GoVersion, r.LoadAvgStart, r.LoadAvgEnd)
	b.WriteString("| engine | build | build s | index MB | params | recall@10 | QPS | p50 ms | p95 ms | p99 ms |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Curves {
		for i, p := range c.Points {
			eng, build, bs, mb := "", "", "", ""
			if i == 0 {
				eng, build = c.Engine, c.Build
				bs = strconv.FormatFloat(c.BuildSeconds, 'f', 1, 64)
				mb = strconv.FormatFloat(float64(c.IndexBytes)/1e6, 'f', 1, 64)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.3f | %.0f | %.2f | %.2f | %.2f |\n",
				eng, build, bs, mb, p.Params, p.Recall, p.QPS, p.P50ms, p.P95ms, p.P99ms)
		}
	}
	var store strings.Builder
	for _, c := range r.Curves {
		if !strings.HasPrefix(c.Mode, "s3") {
			continue
		}
		for _, p := range c.Points {
			if c.Mode == "s3-warm" && c.InjectedLatency == "" && p.Knob != r.storeKnob(c.Engine) {
				continue // the warm sweep: one row, at the cold runs' nprobe
			}
			fmt.Fprintf(&store, "| %s | %s | %d | %.3f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f (max %d) |\n",
				c.Engine, p.Params, p.Queries, p.Recall, p.P50ms, p.P95ms, p.P99ms, p.StoreRequests, p.ObjectsFetched, p.BytesFetched/1e6, p.SequentialTrips, p.MaxSequentialTrip)
		}
	}
	if store.Len() > 0 {
		b.WriteString("\nObject-store runs, per query: store requests, objects and MB fetched, sequential store round trips:\n\n")
		b.WriteString("| run | params | queries | recall@10 | p50 ms | p95 ms | p99 ms | requests | objects | MB | sequential trips |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
		b.WriteString(store.String())
	}
	if len(r.Ratios) > 0 {
		b.WriteString("\nOur QPS ÷ peer QPS at equal recall (log-QPS interpolated on each Pareto frontier):\n\n")
		b.WriteString("| ours | peer | recall | ours QPS | peer QPS | ratio |\n|---|---|---|---|---|---|\n")
		for _, x := range r.Ratios {
			fmt.Fprintf(&b, "| %s | %s | %.2f | %.0f | %.0f | %s |\n", x.Ours, x.Peer, x.Recall, x.OursQPS, x.PeerQPS, x)
		}
	}
	var notes []string
	for _, c := range r.Curves {
		if c.Note != "" {
			notes = append(notes, c.Engine+": "+c.Note)
		}
		if c.RSSBuiltBytes > 0 {
			mb := func(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 0, 64) }
			notes = append(notes, fmt.Sprintf("%s: build = ingest %.1f s + first build %.1f s; resident memory (VmRSS) %s MiB before ingest, %s MiB after the build, %s MiB after the queries, peak (VmHWM) %s MiB — the bench process also holds the data set",
				c.Engine, c.IngestSeconds, c.IndexSeconds, mb(c.RSSBeforeBytes), mb(c.RSSBuiltBytes), mb(c.RSSAfterBytes), mb(c.HWMBytes)))
			if c.MemoryBudget > 0 && c.HWMBytes > 0 {
				eng := c.HWMBytes - c.RSSBeforeBytes
				notes = append(notes, fmt.Sprintf("%s: memory budget %s MiB; peak RSS %s MiB, of which %s MiB above the RSS before ingest (which holds the data set, kept for recall) = %.2f× the budget",
					c.Engine, mb(c.MemoryBudget), mb(c.HWMBytes), mb(eng), float64(eng)/float64(c.MemoryBudget)))
			}
		}
	}
	notes = append(notes, r.Notes...)
	if len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}
