package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/bench/peers"
)

// TestRunSynthetic is a small end-to-end bench on synthetic data: our engine
// in process and over HTTP (and on S3 when a server is configured), hnswlib
// when it is installed, and every output file.
func TestRunSynthetic(t *testing.T) {
	ctx := context.Background()
	cfg := Config{
		Dataset: "synthetic-3000-16-euclidean", Queries: 60, K: 10, NProbe: []int{1, 3, 100},
		Modes: []string{ModeInProcess, ModeHTTP}, WorkDir: t.TempDir(), ColdQueries: 5, S3Latency: 20 * time.Millisecond, Runs: 2,
		Command: "go test ./bench -run TestRunSynthetic", Log: t.Output(),
	}
	t.Setenv("VECTORBUCKET_DATA_DIR", t.TempDir())
	if s3 := S3FromEnv(); s3.Endpoint != "" {
		cfg.Modes = append(cfg.Modes, ModeS3)
		cfg.S3 = s3
	} else if os.Getenv("CI") != "" {
		t.Fatal("CI: VECTORBUCKET_TEST_S3_* unset (scripts/versitygw.sh start && source .versitygw/env)")
	} else {
		t.Log("VECTORBUCKET_TEST_S3_* unset: S3 mode not tested")
	}
	if err := peers.Check(ctx, "", peers.HNSWLib); err == nil {
		cfg.Peers = []peers.Engine{peers.HNSWLib}
		cfg.PeerSweeps = map[peers.Engine][]int{peers.HNSWLib: {10, 40}}
	} else if os.Getenv("CI") != "" {
		t.Fatalf("CI: %v", err)
	} else {
		t.Logf("no peer: %v", err)
	}
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Synthetic || rep.NTrain != 3000 || rep.NQueries != 60 || rep.Dim != 16 {
		t.Fatalf("report describes %+v", rep)
	}
	for _, mode := range []string{ModeInProcess, ModeHTTP} {
		c := rep.Curve("vectorbucket-" + mode)
		if c == nil {
			t.Fatalf("no %s curve", mode)
		}
		if len(c.Points) != 3 || c.IndexBytes <= 0 || c.BuildSeconds <= 0 {
			t.Fatalf("%s curve: %+v", mode, c)
		}
		// nprobe=100 is capped at the neighborhood count: exact, recall 1.
		last := c.Points[2]
		if last.Recall != 1 || last.NeighborhoodsProbed != float64(last.Knob) {
			t.Errorf("%s %s: recall %v, %v neighborhoods probed", mode, last.Params, last.Recall, last.NeighborhoodsProbed)
		}
		if c.Points[0].Recall >= last.Recall || c.Points[0].Recall <= 0 {
			t.Errorf("%s: recall at nprobe=1 %v not below exact %v", mode, c.Points[0].Recall, last.Recall)
		}
		for _, p := range c.Points {
			if p.QPS <= 0 || p.P50ms <= 0 || p.P99ms < p.P50ms || p.Queries != 60 || p.Runs != 2 {
				t.Errorf("%s %s: %+v", mode, p.Params, p)
			}
		}
	}
	if cfg.S3.Endpoint != "" {
		cold := rep.Curve("vectorbucket-s3-cold+20ms")
		warm := rep.Curve("vectorbucket-s3-warm+20ms")
		if cold == nil || warm == nil {
			t.Fatalf("S3 curves missing: %v", rep.Curves)
		}
		cp, wp := cold.Points[len(cold.Points)-1], warm.Points[len(warm.Points)-1]
		// Every cold query reads the catalog, the manifest, the centroids
		// and its neighborhoods: several sequential 20 ms round trips.
		if cp.SequentialTrips < 3 || cp.P50ms < 3*20 || cp.ObjectsFetched < 2 || cp.BytesFetched <= 0 {
			t.Errorf("cold S3 point: %+v", cp)
		}
		if wp.ObjectsFetched >= cp.ObjectsFetched || wp.P50ms >= cp.P50ms || wp.P50ms < 20 {
			t.Errorf("warm S3 point %+v not cheaper than cold %+v", wp, cp)
		}
		// A cold query scans the neighborhoods it fetched exactly (their codes
		// are still being built), a warm one through their codes: the same
		// probed set, so the cold answer can only be as good or better.
		if cp.Recall < wp.Recall {
			t.Errorf("cold recall %v below warm recall %v at the same nprobe", cp.Recall, wp.Recall)
		}
	}
	if len(cfg.Peers) > 0 {
		h := rep.Curve("hnswlib")
		if h == nil || len(h.Points) != 2 || h.Points[1].Recall < 0.5 || h.Points[0].Runs != 2 || h.Points[1].Runs != 2 {
			t.Fatalf("hnswlib curve %+v", h)
		}
		sweeps := 0
		for _, c := range rep.Curves {
			if c.Mode != "peer" && c.InjectedLatency == "" && !strings.Contains(c.Engine, "cold") {
				sweeps++
			}
		}
		if len(rep.Ratios) != sweeps*len(RecallLevels) { // each of our sweeps vs hnswlib
			t.Fatalf("%d ratios: %+v", len(rep.Ratios), rep.Ratios)
		}
	}
	dir := t.TempDir()
	paths, err := rep.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || st.Size() < 100 {
			t.Fatalf("%s: %v (%d bytes)", p, err, st.Size())
		}
	}
	back, err := ReadJSON(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Curves) != len(rep.Curves) || back.Curves[0].Points[0].Recall != rep.Curves[0].Points[0].Recall {
		t.Fatal("results.json does not round-trip")
	}
	csv, _ := os.ReadFile(paths[1])
	if rows := countLines(csv); rows != 1+totalPoints(rep) {
		t.Fatalf("results.csv has %d lines, want header + %d points", rows, totalPoints(rep))
	}
	if md := rep.Markdown(); len(md) < 100 {
		t.Fatalf("markdown: %q", md)
	}
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

func totalPoints(r *Report) int {
	n := 0
	for _, c := range r.Curves {
		n += len(c.Points)
	}
	return n
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Run(ctx, Config{Dataset: "synthetic-100-4-euclidean", Modes: []string{"gpu"}}); err == nil {
		t.Error("an unknown mode was accepted")
	}
	_, err := Run(ctx, Config{Dataset: "synthetic-600-4-euclidean", Queries: 5, Modes: []string{ModeS3}, WorkDir: t.TempDir()})
	if !errors.Is(err, ErrNoS3) {
		t.Errorf("S3 mode without a server: %v, want ErrNoS3", err)
	}
}

func TestKeyID(t *testing.T) {
	for _, i := range []int{0, 7, 59999, 1234567} {
		if got := id(key(i)); got != i {
			t.Errorf("id(key(%d)) = %d", i, got)
		}
	}
	if id("x") != -1 || id("vabc") != -1 {
		t.Error("a foreign key parsed as an id")
	}
}

// With two search threads every query is answered (exact search still finds every true
// neighbour), and the report says how many threads searched. (Recall below exact is not
// compared with a one-thread run: the index is rebuilt per run and its first build races
// the ingest, so two builds can differ.)
func TestRunSearchThreads(t *testing.T) {
	ctx := context.Background()
	t.Setenv("VECTORBUCKET_DATA_DIR", t.TempDir())
	cfg := Config{Dataset: "synthetic-3000-16-euclidean", Queries: 60, K: 10, NProbe: []int{2, 100},
		Modes: []string{ModeInProcess, ModeHTTP}, WorkDir: t.TempDir(), SearchThreads: 2}
	if err := peers.Check(ctx, "", peers.HNSWLib); err == nil {
		cfg.Peers = []peers.Engine{peers.HNSWLib}
		cfg.PeerSweeps = map[peers.Engine][]int{peers.HNSWLib: {400}}
	} else if os.Getenv("CI") != "" {
		t.Fatalf("CI: %v", err)
	}
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SearchThreads != 2 {
		t.Fatalf("search threads %d in the report", rep.SearchThreads)
	}
	for _, c := range rep.Curves {
		for _, p := range c.Points {
			if p.QPS <= 0 || p.Queries != 60 || p.Recall <= 0 {
				t.Errorf("%s %s: %+v", c.Engine, p.Params, p)
			}
		}
		if last := c.Points[len(c.Points)-1]; last.Recall < 0.99 {
			t.Errorf("%s %s: recall %v at the widest setting", c.Engine, last.Params, last.Recall)
		}
	}
	if _, err := Run(ctx, Config{Dataset: "synthetic-600-4-euclidean", Modes: []string{ModeS3}, SearchThreads: 2}); err == nil {
		t.Error("the s3 mode accepted 2 search threads")
	}
}
