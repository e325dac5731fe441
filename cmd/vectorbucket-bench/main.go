// Command vectorbucket-bench is vectorbucket's benchmark harness: recall and
// QPS runs the ann-benchmarks way with peers (hnswlib, faiss, LanceDB) in the
// same run, and the data sets they use.
//
//	vectorbucket-bench bench --dataset NAME [flags]
//	vectorbucket-bench datasets list | install NAME...
//
// It is a separate binary so that the server stays small and pure Go: the
// harness links plotting, the peers' drivers and (with -tags hdf5, cgo and
// Debian's libhdf5-dev) the ann-benchmarks HDF5 reader. "vectorbucket bench"
// and "vectorbucket datasets" run it when it is installed next to vectorbucket
// or on the PATH.
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

	"github.com/vectorbucket/vectorbucket/cmd/internal/cli"
)

// prog is the name the help texts use: users reach the harness through
// "vectorbucket bench" and "vectorbucket datasets".
const prog = "vectorbucket"

func usage(w io.Writer) {
	fmt.Fprintf(w, `vectorbucket-bench — vectorbucket's benchmark harness.

Usage: vectorbucket-bench <command> [flags]   (or: vectorbucket <command> [flags])

Commands:
  bench     measure recall and QPS against hnswlib, faiss and LanceDB (ann-benchmarks protocol)
  datasets  list or install the data sets the bench uses
  targets   measure asked vs achieved recall for recall targets (query receipts)
  nodes     N servers on one S3 bucket: cross-node consistency and aggregate QPS

"vectorbucket-bench <command> --help" explains a command and its flags;
"vectorbucket-bench --version" prints the version.
`)
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
		fmt.Fprintln(os.Stderr, "vectorbucket-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return cli.ErrUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, "vectorbucket-bench", cli.Version())
		return nil
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "datasets":
		return runDatasets(ctx, args[1:], stdout, stderr)
	case "targets":
		return runTargets(ctx, args[1:], stdout, stderr)
	case "nodes":
		return runNodes(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "vectorbucket-bench: unknown command %q\n\n", args[0])
	usage(stderr)
	return cli.ErrUsage
}
