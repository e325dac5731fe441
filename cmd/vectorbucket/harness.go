package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vectorbucket/vectorbucket/datasets"
)

// benchBinary is the separate harness command that "vectorbucket bench" and
// "vectorbucket datasets" run: it links plotting, the peers' drivers and
// (optionally) HDF5, none of which the server needs.
const benchBinary = "vectorbucket-bench"

// errNoHarness reports that vectorbucket-bench is not installed.
var errNoHarness = errors.New(benchBinary + " is not installed")

// findHarness looks for vectorbucket-bench next to this executable, then on
// the PATH (as git finds git-<command>).
func findHarness() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), benchBinary)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(benchBinary); err == nil {
		return p, nil
	}
	return "", fmt.Errorf(`%w: the benchmark harness is a separate binary so the server stays small and pure Go.
Install it with
    go install github.com/vectorbucket/vectorbucket/cmd/vectorbucket-bench@latest
or, in a checkout, "make build" (both binaries into .bin/) or "go run ./cmd/vectorbucket-bench"`, errNoHarness)
}

// harnessCommand returns a command that runs "vectorbucket-bench name args…"
// with this process's standard streams.
func harnessCommand(name string) func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		bin, err := findHarness()
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, bin, append([]string{name}, args...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
		err = cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 {
			return errUsage // the harness printed the usage already
		}
		if errors.As(err, &ee) {
			return fmt.Errorf("%s %s: %w", benchBinary, name, err)
		}
		return err
	}
}

// readParquet reads a Parquet table of vectors through "vectorbucket-bench
// datasets convert" (into a temporary Arrow file), because the Parquet reader
// links about 35 MB that the server does not need.
func readParquet(ctx context.Context, path string, cols datasets.VectorColumns) (*datasets.VectorTable, error) {
	bin, err := findHarness()
	if err != nil {
		return nil, fmt.Errorf("read parquet %s: %w", path, err)
	}
	dir, err := os.MkdirTemp("", "vectorbucket-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "table.arrow")
	args := []string{"datasets", "convert", "--vector-column", cols.Vector, "--key-column", cols.Key, path, tmp}
	if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("read parquet %s: %s %v: %w", path, benchBinary, strings.TrimSpace(string(out)), err)
	}
	return datasets.ReadArrowFile(tmp, datasets.VectorColumns{})
}
