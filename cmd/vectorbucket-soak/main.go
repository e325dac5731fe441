// Command vectorbucket-soak runs a bounded soak test of a real vectorbucket
// server: it starts "vectorbucket serve" on a three-volume embedded store
// with short GC and scrub intervals, loads an index, then runs writers
// (puts and deletes) and queriers against it over HTTP while the server's
// indexer, GC and scrub work in the background. A third of the way through
// one volume directory is removed, as a failed disk is; two thirds through
// it comes back empty and scrub must refill it. Afterwards it audits every
// key (each acknowledged write present with its latest value, each
// acknowledged delete absent), measures recall against brute force,
// restarts the server and audits again, and runs an offline scrub that must
// find full redundancy.
//
// Every sample period it prints, and writes to soak.csv, the operations and
// errors of the period, put and query latency percentiles, the server's RSS
// and the bytes on the volumes; soak-latency.svg and soak-rss.svg plot them
// and summary.json holds the verdict. It exits 1 when the audit, recall or
// scrub fails or an operation errors.
//
//	make soak                                  # 10 minutes
//	vectorbucket-soak --server .bin/vectorbucket --duration 10m --out bench/results/soak
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vectorbucket/vectorbucket/cmd/internal/cli"
)

const help = `Runs writers, queriers, the indexer, GC and scrub against a real
vectorbucket server on a three-volume store for --duration, removes a volume
and restores it mid-run, then audits every acknowledged write, measures
recall, restarts the server and audits again. Reports errors, latency
percentiles, RSS and bytes on the volumes over time (soak.csv, two plots,
summary.json in --out). Exits 1 when anything was lost or failed.`

// config is one soak run.
type config struct {
	server    string        // vectorbucket binary
	budgetMiB int           // the server's --memory-budget, MiB
	duration  time.Duration // length of the mixed workload
	sample    time.Duration // reporting period
	writers   int
	queriers  int
	keys      int // key space, loaded before the workload starts
	dim       int
	batch     int // vectors per PutVectors
	recallQ   int // queries for each recall measurement
	out, work string
	seed      uint64
	keepWork  bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, cli.ErrUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "vectorbucket-soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := cli.NewFlags("vectorbucket-soak", "soak", "[flags]", help, stdout, stderr)
	fs.StringVar(&cfg.server, "server", ".bin/vectorbucket", "the vectorbucket binary to soak (make build puts it in .bin/)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Minute, "length of the mixed workload (the load before and the audit after come on top)")
	fs.DurationVar(&cfg.sample, "sample", 10*time.Second, "reporting period")
	fs.IntVar(&cfg.writers, "writers", 8, "concurrent writers (PutVectors, and DeleteVectors one batch in ten)")
	fs.IntVar(&cfg.queriers, "queriers", 4, "concurrent queriers (QueryVectors, top 10)")
	fs.IntVar(&cfg.keys, "keys", 40000, "keys in the index (all loaded first; writers overwrite and delete among them)")
	fs.IntVar(&cfg.dim, "dimension", 64, "vector dimension (cosine)")
	fs.IntVar(&cfg.batch, "batch", 25, "vectors per PutVectors request")
	fs.IntVar(&cfg.recallQ, "recall-queries", 200, "queries per recall measurement (against brute force)")
	fs.IntVar(&cfg.budgetMiB, "memory-budget-mib", 512, "the server's --memory-budget in MiB (peak RSS is reported against it)")
	fs.StringVar(&cfg.out, "out", "bench/results/soak", "directory for soak.csv, the plots and summary.json")
	fs.StringVar(&cfg.work, "work", "", "directory for the volumes and the server log (default: a new temporary directory)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the workload")
	fs.BoolVar(&cfg.keepWork, "keep", false, "keep the work directory (volumes, server log) afterwards")
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vectorbucket-soak: unexpected arguments %q\n", fs.Args())
		return cli.ErrUsage
	}
	if cfg.writers < 1 || cfg.queriers < 0 || cfg.keys < cfg.writers*cfg.batch || cfg.dim < 2 || cfg.batch < 1 || cfg.duration <= 0 || cfg.sample <= 0 {
		fmt.Fprintln(stderr, "vectorbucket-soak: need --writers ≥ 1, --queriers ≥ 0, --keys ≥ writers×batch, --dimension ≥ 2, positive --batch, --duration and --sample")
		return cli.ErrUsage
	}
	if _, err := os.Stat(cfg.server); err != nil {
		return fmt.Errorf("--server: %w (run make build first)", err)
	}
	if cfg.work == "" {
		dir, err := os.MkdirTemp("", "vectorbucket-soak-")
		if err != nil {
			return err
		}
		cfg.work = dir
	}
	if !cfg.keepWork {
		defer os.RemoveAll(cfg.work)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	sum, err := soak(ctx, cfg, stdout)
	if werr := sum.write(cfg.out); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	if len(sum.Failures) > 0 {
		return fmt.Errorf("soak failed: %d problems, first: %s", len(sum.Failures), sum.Failures[0])
	}
	fmt.Fprintf(stdout, "soak passed: %s\n", sum.line())
	return nil
}

// memoryBudget is the server's --memory-budget flag value.
func (c config) memoryBudget() string { return fmt.Sprintf("%dMiB", c.budgetMiB) }
