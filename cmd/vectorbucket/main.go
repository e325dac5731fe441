// Command vectorbucket is the vectorbucket server and its command-line
// client.
//
//	vectorbucket serve [flags]            run the S3 Vectors API server
//	vectorbucket buckets create|list|delete
//	vectorbucket indexes create|list|delete
//	vectorbucket snapshots create|list|delete|restore
//	vectorbucket put | import | get | list | query
//
// Every command explains itself with --help.
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

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the S3 Vectors API server", runServe},
		{"buckets", "create, list or delete vector buckets", runBuckets},
		{"indexes", "create, list or delete vector indexes", runIndexes},
		{"snapshots", "create, list, delete or restore snapshots of an index", runSnapshots},
		{"put", "put one vector", runPut},
		{"import", "bulk-load vectors from fvecs, JSONL, Parquet or Arrow files", runImport},
		{"get", "get vectors by key", runGet},
		{"list", "list the vectors of an index", runList},
		{"query", "find the nearest vectors to a query vector", runQuery},
		{"delete", "delete vectors by key, or all of an index's vectors with --all", runDelete},
		{"bench", "measure recall and QPS against hnswlib and faiss (runs vectorbucket-bench)", harnessCommand("bench")},
		{"datasets", "list or install the data sets the bench uses (runs vectorbucket-bench)", harnessCommand("datasets")},
		{"scrub", "verify and repair every copy on a multi-volume embedded store", runScrub},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `vectorbucket — a self-hosted vector search service with the Amazon S3 Vectors API.

Usage: vectorbucket <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
"vectorbucket <command> --help" explains a command and its flags;
"vectorbucket --version" prints the version and commit.
Start a server with "vectorbucket serve" (127.0.0.1:8080, data in ./data);
the client commands talk to it at --endpoint (default http://127.0.0.1:8080).
`)
}

// errUsage reports a command line that could not be parsed; the message
// has been printed already.
var errUsage = cli.ErrUsage

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "vectorbucket:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, "vectorbucket", cli.Version())
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "vectorbucket: unknown command %q\n\n", args[0])
	usage(stderr)
	return errUsage
}

// newFlags returns a flag set whose --help prints the description and the
// flags to stdout.
func newFlags(name, synopsis, description string, stdout, stderr io.Writer) *flag.FlagSet {
	return cli.NewFlags("vectorbucket", name, synopsis, description, stdout, stderr)
}

// parse parses args; --help prints the usage to stdout and returns
// flag.ErrHelp, other errors become errUsage.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	return cli.Parse(fs, args, stdout)
}
