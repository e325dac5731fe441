package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// DefaultTargets are the recall targets RunTargets asks for; 1 is an exact
// query.
var DefaultTargets = []float64{0.80, 0.85, 0.90, 0.95, 0.98, 0.99, 1.0}

// ErrNoTargets is returned for a TargetsConfig without targets.
var ErrNoTargets = errors.New("no recall targets")

// TargetsConfig configures RunTargets.
type TargetsConfig struct {
	Dataset   string
	Queries   int       // test queries (default 1000)
	K         int       // recall@K (default 10)
	MaxTrain  int       // index only the first N train vectors (0: all)
	Targets   []float64 // default DefaultTargets
	NoInstall bool
	Progress  io.Writer // nil: quiet
}

// TargetPoint is what one recall target achieved over the queries.
type TargetPoint struct {
	Asked float64 // the target; 1 is an exact query
	Exact bool
	// Achieved is the mean recall@K against the data set's ground truth.
	Achieved float64
	// Estimated is the mean estimatedRecall of the queries' receipts.
	Estimated float64
	// MeanNProbe and MeanProbed are the planner's probe count and the
	// neighborhoods probed, per query.
	MeanNProbe, MeanProbed float64
	MeanMS, P99MS          float64
}

// TargetsReport is the result of RunTargets.
type TargetsReport struct {
	Dataset       string
	NTrain, NQ, K int
	Neighborhoods int
	BuildSeconds  float64
	Points        []TargetPoint
}

// RunTargets measures asked against achieved recall: it indexes the data
// set in process (an in-memory store, one full build), then runs the
// queries once to warm the caches and once per target with
// QueryRequest.TargetRecall (Exact for 1), one at a time.
func RunTargets(ctx context.Context, cfg TargetsConfig) (*TargetsReport, error) {
	if cfg.Queries <= 0 {
		cfg.Queries = 1000
	}
	if cfg.K <= 0 {
		cfg.K = 10
	}
	if cfg.Targets == nil {
		cfg.Targets = DefaultTargets
	}
	if len(cfg.Targets) == 0 {
		return nil, ErrNoTargets
	}
	logf := func(format string, a ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", a...)
		}
	}
	d, err := datasets.Load(ctx, cfg.Dataset, datasets.LoadOptions{MaxTrain: cfg.MaxTrain, MaxTest: cfg.Queries, NoInstall: cfg.NoInstall, Log: cfg.Progress})
	if err != nil {
		return nil, err
	}
	truth, err := datasets.GroundTruth(ctx, d, cfg.K)
	if err != nil {
		return nil, err
	}
	db, err := index.Open(ctx, mem.New(), index.Options{Indexer: index.IndexerOptions{Disabled: true, Seed: 1}})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.CreateBucket(ctx, benchBucket, index.BucketOptions{}); err != nil {
		return nil, err
	}
	metric := neighborhoods.Euclidean
	if d.Metric == datasets.Cosine {
		metric = neighborhoods.Cosine
	}
	if _, err := db.CreateIndex(ctx, benchBucket, benchIndex, index.IndexConfig{Dimension: d.Dim, Metric: metric}, nil); err != nil {
		return nil, err
	}
	ix, err := db.Index(ctx, benchBucket, benchIndex)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for lo := 0; lo < d.NTrain; lo += batchSize {
		hi := min(d.NTrain, lo+batchSize)
		vs := make([]index.Vector, 0, hi-lo)
		for i := lo; i < hi; i++ {
			vs = append(vs, index.Vector{Key: key(i), Data: d.TrainVec(i)})
		}
		if err := ix.Put(ctx, vs); err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
	}
	logf("%s: %d vectors ingested; building", d.Name, d.NTrain)
	if err := ix.Compact(ctx); err != nil {
		return nil, fmt.Errorf("first build: %w", err)
	}
	rep := &TargetsReport{Dataset: d.Name, NTrain: d.NTrain, NQ: d.NTest, K: cfg.K, BuildSeconds: time.Since(start).Seconds()}
	run := func(req index.QueryRequest) (TargetPoint, error) {
		var p TargetPoint
		ids := make([][]int, d.NTest)
		lat := make([]time.Duration, d.NTest)
		for q := range d.NTest {
			req.Vector = d.TestVec(q)
			t0 := time.Now()
			res, st, err := ix.Query(ctx, req)
			lat[q] = time.Since(t0)
			if err != nil {
				return p, err
			}
			ids[q] = make([]int, len(res))
			for i, r := range res {
				ids[q][i] = id(r.Key)
			}
			p.Estimated += st.EstimatedRecall
			p.MeanNProbe += float64(st.NProbe)
			p.MeanProbed += float64(st.NeighborhoodsProbed)
			rep.Neighborhoods = st.NeighborhoodsTotal
		}
		f := 1 / float64(d.NTest)
		p.Estimated *= f
		p.MeanNProbe *= f
		p.MeanProbed *= f
		p.Achieved = truth.MeanRecall(d, ids, cfg.K)
		_, _, p.P99MS, p.MeanMS = percentiles(lat)
		return p, nil
	}
	if _, err := run(index.QueryRequest{TopK: cfg.K}); err != nil { // warm the caches
		return nil, err
	}
	for _, t := range cfg.Targets {
		req := index.QueryRequest{TopK: cfg.K, TargetRecall: t, Exact: t >= 1}
		p, err := run(req)
		if err != nil {
			return nil, fmt.Errorf("target %g: %w", t, err)
		}
		p.Asked, p.Exact = t, req.Exact
		logf("target %.2f: achieved %.4f, estimated %.4f, nprobe %.1f, %.3f ms", t, p.Achieved, p.Estimated, p.MeanNProbe, p.MeanMS)
		rep.Points = append(rep.Points, p)
	}
	return rep, nil
}

// Write saves results.csv, results.md and recall-targets.svg into dir.
func (r *TargetsReport) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var csv, md strings.Builder
	csv.WriteString("dataset,asked,exact,achieved_recall,mean_estimated_recall,mean_nprobe,mean_probed,mean_ms,p99_ms\n")
	fmt.Fprintf(&md, "# Asked vs achieved recall: %s\n\n", r.Dataset)
	fmt.Fprintf(&md, "%d train vectors in %d neighborhoods (one full build, %.0f s in process), %d test queries one at a time, recall@%d against the data set's ground truth. "+
		"`estimated` is the mean `estimatedRecall` of the receipts; latency is warm (in-memory store, caches filled by a first pass).\n"+
		"Reproduce: `vectorbucket-bench targets --dataset %s`.\n\n", r.NTrain, r.Neighborhoods, r.BuildSeconds, r.NQ, r.K, r.Dataset)
	md.WriteString("| asked | achieved | estimated | nprobe | mean ms | p99 ms | met |\n|---|---|---|---|---|---|---|\n")
	for _, p := range r.Points {
		asked := fmt.Sprintf("%.2f", p.Asked)
		if p.Exact {
			asked = "1.00 (exact)"
		}
		met := "yes"
		switch {
		case p.Achieved < p.Asked-0.02:
			met = "**no**"
		case p.Achieved < p.Asked:
			met = "within 0.02"
		}
		fmt.Fprintf(&csv, "%s,%.2f,%v,%.4f,%.4f,%.1f,%.1f,%.3f,%.3f\n", r.Dataset, p.Asked, p.Exact, p.Achieved, p.Estimated, p.MeanNProbe, p.MeanProbed, p.MeanMS, p.P99MS)
		fmt.Fprintf(&md, "| %s | %.4f | %.4f | %.1f | %.3f | %.3f | %s |\n", asked, p.Achieved, p.Estimated, p.MeanNProbe, p.MeanMS, p.P99MS, met)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.csv"), []byte(csv.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	return r.Plot(filepath.Join(dir, "recall-targets.svg"))
}

// Plot draws achieved and estimated recall against the target, with the
// y = x line, and saves it to each path.
func (r *TargetsReport) Plot(paths ...string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: asked vs achieved recall@%d (%d queries)", r.Dataset, r.K, r.NQ)
	p.X.Label.Text = "asked (targetRecall; 1 = exact)"
	p.Y.Label.Text = fmt.Sprintf("recall@%d", r.K)
	p.Add(plotter.NewGrid())
	lo := 1.0
	var ach, est plotter.XYs
	for _, pt := range r.Points {
		ach = append(ach, plotter.XY{X: pt.Asked, Y: pt.Achieved})
		est = append(est, plotter.XY{X: pt.Asked, Y: pt.Estimated})
		lo = min(lo, pt.Asked, pt.Achieved, pt.Estimated)
	}
	if len(ach) == 0 {
		return ErrNoTargets
	}
	lo = max(0, lo-0.02)
	ideal, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	ideal.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(ideal)
	p.Legend.Add("y = x", ideal)
	p.Legend.Top, p.Legend.Left = false, false
	for i, s := range []struct {
		name string
		xy   plotter.XYs
	}{{"achieved", ach}, {"estimated (receipts)", est}} {
		l, sc, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return err
		}
		l.Color, sc.Color, sc.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	p.X.Min, p.Y.Min, p.X.Max, p.Y.Max = lo, lo, 1.005, 1.005
	for _, path := range paths {
		if err := p.Save(7*vg.Inch, 6*vg.Inch, path); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	return nil
}
