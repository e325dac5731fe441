package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vectorbucket/vectorbucket/bench"
	"github.com/vectorbucket/vectorbucket/cmd/internal/cli"
)

// runTargets is "vectorbucket-bench targets": asked vs achieved recall.
func runTargets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags(prog, "targets", "targets --dataset NAME [flags]", `Measure asked vs achieved recall: index the data set in process (one full
build), then run the test queries one at a time with each recall target
(vectorbucket.targetRecall; 1 is an exact query) and report the achieved
recall@k against the data set's ground truth, the mean estimatedRecall of the
query receipts and the mean latency. Writes results.csv, results.md and
recall-targets.svg into --out.

Example:
  vectorbucket bench targets --dataset fashion-mnist-784-euclidean`, stdout, stderr)
	var (
		dataset   = fs.String("dataset", "", "data set name (required), e.g. fashion-mnist-784-euclidean, glove-100-angular")
		queries   = fs.Int("queries", 1000, "number of test queries (the first ones)")
		k         = fs.Int("k", 10, "neighbours per query (recall@k)")
		maxTrain  = fs.Int("max-train", 0, "index only the first N train vectors (0: all)")
		targets   = fs.String("targets", "0.80,0.85,0.90,0.95,0.98,0.99,1.0", "comma-separated recall targets, 0.8-1 (1: exact)")
		out       = fs.String("out", "", "directory for the result files (default bench/results/recall-targets/<dataset>)")
		noInstall = fs.Bool("no-install", false, "fail instead of installing a missing data set")
		quiet     = fs.Bool("quiet", false, "no progress on stderr")
	)
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if *dataset == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "vectorbucket bench targets: --dataset is required and there are no positional arguments")
		fs.Usage()
		return cli.ErrUsage
	}
	var ts []float64
	for _, s := range strings.Split(*targets, ",") {
		t, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || t < 0.8 || t > 1 {
			fmt.Fprintf(stderr, "vectorbucket bench targets: --targets: %q is not a number in 0.8-1\n", s)
			return cli.ErrUsage
		}
		ts = append(ts, t)
	}
	cfg := bench.TargetsConfig{Dataset: *dataset, Queries: *queries, K: *k, MaxTrain: *maxTrain, Targets: ts, NoInstall: *noInstall, Progress: stderr}
	if *quiet {
		cfg.Progress = nil
	}
	rep, err := bench.RunTargets(ctx, cfg)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("bench", "results", "recall-targets", *dataset)
	}
	if err := rep.Write(dir); err != nil {
		return err
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\nwrote %s\n", md, dir)
	return nil
}
