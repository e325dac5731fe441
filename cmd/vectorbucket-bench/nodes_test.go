package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/bench"
)

// TestNodes runs two vectorbucket serve processes on the S3 server of
// make test (versitygw): every write through one node is read at once
// through the other, and both answer queries at the recall of one.
func TestNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers on S3 (not in -short)")
	}
	s3 := bench.S3FromEnv()
	if s3.Endpoint == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("VECTORBUCKET_TEST_S3_* is not set: make test starts versitygw and sets it")
		}
		t.Skip("VECTORBUCKET_TEST_S3_* is not set (scripts/versitygw.sh start && source .versitygw/env)")
	}
	bin := filepath.Join(t.TempDir(), "vectorbucket")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/vectorbucket/vectorbucket/cmd/vectorbucket").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	rep, err := measureNodes(ctx, nodesConfig{dataset: "fashion-mnist-784-euclidean", server: bin, nodes: []int{1, 2}, clients: 4,
		queries: 50, maxTrain: 3000, duration: time.Second, s3: s3, progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ConsistencyPairs != 2 || len(rep.Violations) != 0 {
		t.Fatalf("cross-node checks: %d pairs, violations %q", rep.ConsistencyPairs, rep.Violations)
	}
	for _, p := range rep.Points {
		if p.Queries == 0 || p.Errors != 0 || p.Recall < 0.9 {
			t.Errorf("N=%d: %d queries, %d errors, recall %.3f", p.Nodes, p.Queries, p.Errors, p.Recall)
		}
		for i, n := range p.PerNodeQueries {
			if n == 0 {
				t.Errorf("N=%d: node %d answered no query", p.Nodes, i)
			}
		}
	}
	if err := rep.write(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
