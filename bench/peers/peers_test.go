package peers

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/datasets"
)

func TestParseEngines(t *testing.T) {
	got, err := ParseEngines("hnswlib, faiss,lancedb")
	if err != nil || len(got) != 4 || got[0] != HNSWLib || got[1] != FaissIVF || got[2] != FaissHNSW || got[3] != LanceDB {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ParseEngines("hnswlib,annoy"); err == nil {
		t.Error("unknown engine accepted")
	}
}

func TestPercentileAndLabel(t *testing.T) {
	r := Result{Engine: HNSWLib, Build: map[string]int{"M": 16, "efConstruction": 200}, Search: map[string]int{"ef": 40}}
	for i := 100; i >= 1; i-- {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	if p := r.Percentile(50); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := r.Percentile(99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if l := r.Label(); l != "hnswlib M=16 efConstruction=200 ef=40" {
		t.Errorf("label %q", l)
	}
}

func TestRunPeers(t *testing.T) {
	ctx := context.Background()
	python := []Engine{HNSWLib, FaissIVF, FaissHNSW}
	for _, e := range python {
		if err := Check(ctx, "", e); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
	}
	for _, metric := range []string{datasets.Euclidean, datasets.Cosine} {
		d, err := datasets.Load(ctx, "synthetic-3000-16-"+metric, datasets.LoadOptions{MaxTest: 50})
		if err != nil {
			t.Fatal(err)
		}
		truth, err := datasets.GroundTruth(ctx, d, 10, datasets.TruthOptions{NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		sweeps := map[Engine][]int{HNSWLib: {10, 200}, FaissIVF: {1, 54}, FaissHNSW: {16, 256}}
		dir := t.TempDir()
		for _, e := range python {
			var seen int
			res, err := Run(ctx, e, d, truth, Options{Sweep: sweeps[e], WorkDir: dir, OnResult: func(Result) { seen++ }})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 2 || seen != 2 {
				t.Fatalf("%s %s: %d results, %d callbacks", e, metric, len(res), seen)
			}
			for _, r := range res {
				if len(r.IDs) != 50 || len(r.Latencies) != 50 || r.QPS <= 0 || r.BuildSeconds <= 0 || r.IndexBytes <= 0 || r.Version == "" {
					t.Fatalf("%s: bad result %+v", r.Label(), r)
				}
				t.Logf("%s %s: recall %.3f, %.0f QPS, p50 %v", metric, r.Label(), r.Recall, r.QPS, r.Percentile(50))
			}
			// The widest search is (nearly) exact on 3,000 clustered vectors.
			if best := res[1].Recall; best < 0.95 {
				t.Errorf("%s %s: recall %.3f at the widest setting", e, metric, best)
			}
			if res[1].Recall < res[0].Recall {
				t.Errorf("%s %s: recall fell from %.3f to %.3f with a wider search", e, metric, res[0].Recall, res[1].Recall)
			}
		}
	}
}

func TestRunMissingPython(t *testing.T) {
	d, _ := datasets.Load(context.Background(), "synthetic-100-4-euclidean")
	_, err := Run(context.Background(), HNSWLib, d, nil, Options{Python: "/nonexistent/python3"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestRunAllDefaults(t *testing.T) {
	ctx := context.Background()
	if err := Check(ctx, "", HNSWLib); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	d, _ := datasets.Load(ctx, "synthetic-1000-8-euclidean", datasets.LoadOptions{MaxTest: 20})
	res, err := RunAll(ctx, []Engine{HNSWLib}, d, nil, Options{K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 8 { // the default ef sweep
		t.Fatalf("%d results, want the 8 default ef values", len(res))
	}
	for _, r := range res {
		if r.Recall != -1 || len(r.IDs[0]) != 5 {
			t.Fatalf("%s: recall %v without truth, %d ids", r.Label(), r.Recall, len(r.IDs[0]))
		}
	}
}

// TestRunLanceDB installs LanceDB's npm packages (under CI, or when already installed) and
// runs it on a small clustered set.
func TestRunLanceDB(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx := context.Background()
	dir, err := LanceDBDir()
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "@lancedb", "lancedb-linux-x64-gnu"))
	if _, nodeErr := exec.LookPath("node"); nodeErr != nil || (statErr != nil && os.Getenv("CI") == "") {
		if os.Getenv("CI") != "" {
			t.Fatal(nodeErr)
		}
		t.Skipf("LanceDB not installed in %s (CI=1 installs it)", dir)
	}
	d, err := datasets.Load(ctx, "synthetic-3000-32-euclidean", datasets.LoadOptions{MaxTest: 30})
	if err != nil {
		t.Fatal(err)
	}
	truth, err := datasets.GroundTruth(ctx, d, 10, datasets.TruthOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, LanceDB, d, truth, Options{Sweep: []int{1, 55}, Build: map[string]int{"numSubVectors": 8}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || len(res[1].IDs) != 30 || res[1].Version != "0.39.0" || res[1].IndexBytes <= 0 {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res {
		t.Logf("%s: recall %.3f, %.0f QPS", r.Label(), r.Recall, r.QPS)
	}
	if res[1].Recall < 0.9 || res[1].Recall < res[0].Recall {
		t.Errorf("recall %.3f at nprobes=1, %.3f probing everything", res[0].Recall, res[1].Recall)
	}
}

// Batch search on two threads answers exactly what one query at a time does.
func TestRunPeersThreads(t *testing.T) {
	ctx := context.Background()
	python := []Engine{HNSWLib, FaissIVF, FaissHNSW}
	for _, e := range python {
		if err := Check(ctx, "", e); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
	}
	d, err := datasets.Load(ctx, "synthetic-3000-16-euclidean", datasets.LoadOptions{MaxTest: 40})
	if err != nil {
		t.Fatal(err)
	}
	sweeps := map[Engine][]int{HNSWLib: {40}, FaissIVF: {4}, FaissHNSW: {32}}
	dir := t.TempDir()
	for _, e := range python {
		one, err := Run(ctx, e, d, nil, Options{Sweep: sweeps[e], WorkDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		two, err := Run(ctx, e, d, nil, Options{Sweep: sweeps[e], WorkDir: dir, SearchThreads: 2})
		if err != nil {
			t.Fatal(err)
		}
		if one[0].SearchThreads != 1 || two[0].SearchThreads != 2 || len(two[0].Latencies) != 40 || two[0].QPS <= 0 {
			t.Fatalf("%s: threads %d/%d, %d latencies, %.0f QPS", e, one[0].SearchThreads, two[0].SearchThreads, len(two[0].Latencies), two[0].QPS)
		}
		for q := range one[0].IDs {
			if !slices.Equal(one[0].IDs[q], two[0].IDs[q]) {
				t.Fatalf("%s query %d: one thread %v, batch on two %v", e, q, one[0].IDs[q], two[0].IDs[q])
			}
		}
	}
	if _, err := Run(ctx, LanceDB, d, nil, Options{SearchThreads: 2, WorkDir: dir}); !errors.Is(err, ErrNoThreads) {
		t.Errorf("lancedb with 2 threads: %v, want ErrNoThreads", err)
	}
}
