package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The server binary builds with CGO_ENABLED=0 (so "go install …/cmd/vectorbucket@latest"
// needs no C toolchain or system library) and runs.
func TestPureGoBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (not in -short)")
	}
	bin := filepath.Join(t.TempDir(), "vectorbucket")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "vectorbucket ") || !strings.Contains(string(out), "go1.") {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	// No arguments: the help on stderr and exit status 2.
	cmd = exec.Command(bin)
	got, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(got), "Commands:") {
		t.Fatalf("no arguments: %v\n%s", err, got)
	}
}

// The server does not link what only the benchmark harness needs: HDF5 (cgo), plotting,
// the peers, the Parquet reader (arrow/compute, Flight, gRPC).
func TestServerDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	banned := []string{
		"gonum.org/v1/hdf5",
		"gonum.org/v1/plot",
		"github.com/vectorbucket/vectorbucket/bench",
		"github.com/vectorbucket/vectorbucket/datasets/parquetfile",
		"github.com/apache/arrow-go/v18/parquet",
		"github.com/apache/arrow-go/v18/arrow/compute",
		"google.golang.org/grpc",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, b := range banned {
			if pkg == b || strings.HasPrefix(pkg, b+"/") {
				t.Errorf("cmd/vectorbucket links %s", pkg)
			}
		}
	}
}

// serve says loudly when it runs without credentials, and not when SigV4 is on.
func TestServeWarnsWithoutCredentials(t *testing.T) {
	for _, signed := range []bool{false, true} {
		p := startServe(t, t.TempDir(), signed)
		p.stop(t)
		warned := strings.Contains(p.log.String(), "AUTHENTICATION IS OFF")
		if warned == signed {
			t.Errorf("signed=%v: warned=%v\n%s", signed, warned, p.log)
		}
	}
}

// "vectorbucket bench" and "datasets" run the vectorbucket-bench built next to the binary,
// with its exit status: 0 for --help, 2 for a usage error.
func TestHarnessDispatch(t *testing.T) {
	bin := binary(t)
	for _, args := range [][]string{{"bench", "--help"}, {"datasets", "--help"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Usage: vectorbucket "+args[0]) {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command(bin, "bench").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "--dataset is required") {
		t.Errorf("bench without --dataset: %v\n%s", err, out)
	}
}
