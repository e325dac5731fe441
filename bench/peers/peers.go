// Package peers runs other ANN engines — hnswlib, faiss and LanceDB — on the same data and queries as
// vectorbucket, ann-benchmarks style (one thread, one query per call), so that every speed
// claim can be a ratio measured in the same run.
//
// The engines run in a small Python script of ours (peers.py, embedded here) under the
// Debian interpreter /usr/bin/python3 with the Debian packages python3-hnswlib,
// python3-faiss, python3-numpy and libopenblas0-pthread. Debian's faiss 1.7.3 is a generic
// build without AVX2 kernels: say so next to its numbers ([Engine.Note]). LanceDB runs in a
// node script of ours (lancedb_peer.mjs) with npm packages installed on first use.
//
// Each script reads train and test vectors as fvecs, builds its index once, answers every
// test query one call at a time on one thread for each value of its search knob, and prints
// one JSON line per sweep point (build and search parameters, build seconds, index bytes,
// per-query latencies, QPS, and the path of an ivecs file of returned ids). Recall is
// computed here, in Go, from those ids against the project's exact ground truth.
package peers

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vectorbucket/vectorbucket/datasets"
)

//go:embed peers.py
var script []byte

// DefaultPython is the interpreter the Debian packages install their modules for.
const DefaultPython = "/usr/bin/python3"

// Engine names one peer configuration.
type Engine string

// The engines peers.py runs.
const (
	HNSWLib   Engine = "hnswlib"    // hnswlib HNSW (M=16, efConstruction=200), sweep ef
	FaissIVF  Engine = "faiss-ivf"  // faiss IndexIVFFlat (nlist ≈ √n), sweep nprobe
	FaissHNSW Engine = "faiss-hnsw" // faiss IndexHNSWFlat (M=16, efConstruction=200), sweep efSearch
)

// Engines lists every engine.
func Engines() []Engine { return []Engine{HNSWLib, FaissIVF, FaissHNSW, LanceDB} }

// ErrUnavailable is returned when the Python interpreter or an engine's module is missing.
var ErrUnavailable = errors.New("peer engine unavailable")

// ErrNoThreads reports a peer that has no multi-threaded search here (LanceDB, queried one
// at a time from Node.js).
var ErrNoThreads = errors.New("no multi-threaded search for this peer")

// ParseEngines parses a comma-separated list such as "hnswlib,faiss"; "faiss" means both
// faiss engines.
func ParseEngines(s string) ([]Engine, error) {
	var out []Engine
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "":
		case f == "faiss":
			out = append(out, FaissIVF, FaissHNSW)
		case slices.Contains(Engines(), Engine(f)):
			out = append(out, Engine(f))
		default:
			return nil, fmt.Errorf("unknown peer %q (known: hnswlib, faiss, faiss-ivf, faiss-hnsw, lancedb)", f)
		}
	}
	return slices.Compact(out), nil
}

// Note is what must be said next to the engine's figures.
func (e Engine) Note() string {
	if strings.HasPrefix(string(e), "faiss") {
		return "Debian faiss 1.7.3: generic build without AVX2 kernels"
	}
	if e == LanceDB {
		return "LanceDB 0.39.0 (npm, node) on local disk, IVF_PQ + refine 10×k; runs its own thread pool"
	}
	return "Debian python3-hnswlib"
}

func (e Engine) module() string {
	if e == HNSWLib {
		return "hnswlib"
	}
	return "faiss"
}

func (e Engine) debianPackage() string { return "python3-" + e.module() }

// Options tune [Run].
type Options struct {
	Python       string         // default DefaultPython
	WorkDir      string         // where data and results are written; default a temporary directory, removed after
	K            int            // neighbours per query; default 10
	Build        map[string]int // build parameters, e.g. {"M": 32} or {"nlist": 1024}; engine defaults otherwise
	Sweep        []int          // values of the engine's search knob (ef, nprobe or efSearch); engine default otherwise
	BuildThreads int            // threads for building; default 1
	// SearchThreads is 1 (default): one query at a time on one thread; N > 1: the engine's
	// batch search over all queries on N threads (hnswlib knn_query num_threads, faiss
	// OpenMP), where per-query latency is not measured (each is total × N ÷ queries).
	SearchThreads int
	Log           io.Writer    // the script's stderr; default os.Stderr
	LanceDBDir    string       // where LanceDB's npm packages live; default LanceDBDir()
	OnResult      func(Result) // called as each sweep point finishes
}

// Result is one sweep point: an index built once, every test query answered at one setting
// of the search knob.
type Result struct {
	Engine       Engine
	Version      string
	Build        map[string]int // build parameters used
	Search       map[string]int // the search knob and its value
	BuildSeconds float64
	IndexBytes   int64
	TotalSeconds float64         // wall time of the query loop
	QPS          float64         // queries / TotalSeconds
	Latencies    []time.Duration // per query, in query order
	IDs          [][]int         // returned train ids per query (nearest first)
	Recall       float64         // mean recall@K against the truth given to Run; -1 without one
	// SearchThreads is the number of search threads (1: one query at a time; more: one
	// batch call, and Latencies are total × threads ÷ queries, not measured per query).
	SearchThreads int
}

// Label names the configuration, e.g. "hnswlib M=16 efConstruction=200 ef=40".
func (r Result) Label() string {
	var b strings.Builder
	b.WriteString(string(r.Engine))
	for _, m := range []map[string]int{r.Build, r.Search} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%d", k, m[k])
		}
	}
	return b.String()
}

// Percentile returns the p-th percentile (0–100) of the latencies (nearest rank).
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Check reports whether the engine's Python module imports under python.
func Check(ctx context.Context, python string, e Engine) error {
	if python == "" {
		python = DefaultPython
	}
	out, err := exec.CommandContext(ctx, python, "-c", "import numpy, "+e.module()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s cannot import %s (apt-get install %s python3-numpy libopenblas0-pthread): %v: %s",
			ErrUnavailable, python, e.module(), e.debianPackage(), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Run builds the engine's index on d's train vectors and answers d's test vectors at each
// point of its sweep, returning one Result per point. With truth, each Result's Recall is
// the ann-benchmarks recall@K computed here from the returned ids.
func Run(ctx context.Context, e Engine, d *datasets.Dataset, truth *datasets.Truth, o Options) ([]Result, error) {
	if o.Python == "" {
		o.Python = DefaultPython
	}
	if o.K <= 0 {
		o.K = 10
	}
	if o.BuildThreads <= 0 {
		o.BuildThreads = 1
	}
	if o.SearchThreads <= 0 {
		o.SearchThreads = 1
	}
	if e == LanceDB && o.SearchThreads > 1 {
		return nil, fmt.Errorf("peer %s: %w", e, ErrNoThreads)
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if truth != nil && (truth.K < o.K || truth.NTest < d.NTest || truth.NTrain != d.NTrain) {
		return nil, fmt.Errorf("peer %s: truth (k=%d, %d queries, %d train) does not cover k=%d, %d queries, %d train",
			e, truth.K, truth.NTest, truth.NTrain, o.K, d.NTest, d.NTrain)
	}
	if e != LanceDB {
		if err := Check(ctx, o.Python, e); err != nil {
			return nil, err
		}
	}
	dir := o.WorkDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "vectorbucket-peers-")
		if err != nil {
			return nil, fmt.Errorf("peer %s: %w", e, err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("peer %s: %w", e, err)
	}
	paths := map[string]string{"script": filepath.Join(dir, "peers.py"), "train": filepath.Join(dir, "train.fvecs"),
		"test": filepath.Join(dir, "test.fvecs"), "out": filepath.Join(dir, "results-"+string(e))}
	if err := os.WriteFile(paths["script"], script, 0o644); err != nil {
		return nil, fmt.Errorf("peer %s: %w", e, err)
	}
	if err := writeData(paths["train"], d.Train, d.Dim); err != nil {
		return nil, fmt.Errorf("peer %s: %w", e, err)
	}
	if err := writeData(paths["test"], d.Test, d.Dim); err != nil {
		return nil, fmt.Errorf("peer %s: %w", e, err)
	}
	var cmd *exec.Cmd
	if e == LanceDB {
		var err error
		if cmd, err = lanceCommand(ctx, dir, paths, d, o); err != nil {
			return nil, fmt.Errorf("peer %s: %w", e, err)
		}
	} else {
		cmd = pythonCommand(ctx, paths, e, d, o)
	}
	cmd.Stderr = o.Log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("peer %s: %w", e, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("peer %s: %w", e, err)
	}
	results, perr := parseResults(stdout, e, d, truth, o)
	werr := cmd.Wait()
	if perr != nil {
		return nil, fmt.Errorf("peer %s: %w", e, perr)
	}
	if werr != nil {
		return nil, fmt.Errorf("peer %s: %s: %w", e, cmd.Path, werr)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("peer %s: no results", e)
	}
	return results, nil
}

// RunAll runs each engine in turn on the same data, written once to o.WorkDir (a temporary
// directory when empty), and returns every engine's results in order.
func RunAll(ctx context.Context, engines []Engine, d *datasets.Dataset, truth *datasets.Truth, o Options) ([]Result, error) {
	if o.WorkDir == "" {
		tmp, err := os.MkdirTemp("", "vectorbucket-peers-")
		if err != nil {
			return nil, fmt.Errorf("peers: %w", err)
		}
		defer os.RemoveAll(tmp)
		o.WorkDir = tmp
	}
	var all []Result
	for _, e := range engines {
		res, err := Run(ctx, e, d, truth, o)
		if err != nil {
			return all, err
		}
		all = append(all, res...)
	}
	return all, nil
}

// writeData writes vecs as fvecs unless path already holds exactly these values (checked by
// a CRC-32C kept beside it), so several engines share one copy.
func writeData(path string, vecs []float32, dim int) error {
	b := make([]byte, 4*len(vecs))
	for i, x := range vecs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	sum := fmt.Sprintf("%d %d %08x\n", len(vecs), dim, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	if old, err := os.ReadFile(path + ".sum"); err == nil && string(old) == sum {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
	}
	if err := datasets.WriteFvecsFile(path, vecs, dim); err != nil {
		return err
	}
	return os.WriteFile(path+".sum", []byte(sum), 0o644)
}

// pythonCommand is the command line that runs peers.py for a Python engine.
func pythonCommand(ctx context.Context, paths map[string]string, e Engine, d *datasets.Dataset, o Options) *exec.Cmd {
	args := []string{paths["script"], "--engine", string(e), "--train", paths["train"], "--test", paths["test"],
		"--metric", d.Metric, "--k", fmt.Sprint(o.K), "--out", paths["out"], "--build-threads", fmt.Sprint(o.BuildThreads),
		"--search-threads", fmt.Sprint(o.SearchThreads)}
	if o.Build != nil {
		args = append(args, "--build", jsonString(o.Build))
	}
	if o.Sweep != nil {
		args = append(args, "--sweep", jsonString(map[string][]int{knob(e): o.Sweep}))
	}
	cmd := exec.CommandContext(ctx, o.Python, args...)
	// One thread for BLAS/OpenMP inside the engines; the script sets faiss's own count.
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+fmt.Sprint(max(o.BuildThreads, o.SearchThreads)), "OPENBLAS_NUM_THREADS=1")
	return cmd
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func knob(e Engine) string {
	switch e {
	case FaissIVF:
		return "nprobe"
	case FaissHNSW:
		return "efSearch"
	case LanceDB:
		return "nprobes"
	}
	return "ef"
}

// line is one JSON line of peers.py.
type line struct {
	Engine      Engine         `json:"engine"`
	Version     string         `json:"version"`
	Build       map[string]int `json:"build"`
	Search      map[string]int `json:"search"`
	BuildS      float64        `json:"build_s"`
	IndexBytes  int64          `json:"index_bytes"`
	IDsPath     string         `json:"ids_path"`
	LatenciesUS []float64      `json:"latencies_us"`
	TotalS      float64        `json:"total_s"`
	QPS         float64        `json:"qps"`
	Threads     int            `json:"search_threads"`
}

func parseResults(r io.Reader, e Engine, d *datasets.Dataset, truth *datasets.Truth, o Options) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("bad result line %.200q: %w", sc.Text(), err)
		}
		res, err := toResult(l, d, truth, o.K)
		if err != nil {
			return nil, err
		}
		if o.OnResult != nil {
			o.OnResult(res)
		}
		out = append(out, res)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func toResult(l line, d *datasets.Dataset, truth *datasets.Truth, k int) (Result, error) {
	ids, n, dim, err := datasets.ReadIvecsFile(l.IDsPath, 0)
	if err != nil {
		return Result{}, err
	}
	if n != d.NTest || dim != k || len(l.LatenciesUS) != n {
		return Result{}, fmt.Errorf("%s: %d results of %d ids and %d latencies for %d queries, k=%d", l.IDsPath, n, dim, len(l.LatenciesUS), d.NTest, k)
	}
	res := Result{Engine: l.Engine, Version: l.Version, Build: l.Build, Search: l.Search, BuildSeconds: l.BuildS,
		IndexBytes: l.IndexBytes, TotalSeconds: l.TotalS, QPS: l.QPS, Recall: -1, SearchThreads: max(1, l.Threads),
		IDs: make([][]int, n), Latencies: make([]time.Duration, n)}
	for q := range n {
		row := make([]int, 0, k)
		for _, id := range ids[q*k : (q+1)*k] {
			if id >= 0 {
				row = append(row, int(id))
			}
		}
		res.IDs[q] = row
		res.Latencies[q] = time.Duration(l.LatenciesUS[q] * float64(time.Microsecond))
	}
	if truth != nil {
		res.Recall = truth.MeanRecall(d, res.IDs, k)
	}
	return res, nil
}
