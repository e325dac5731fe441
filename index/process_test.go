package index

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
)

const procDim = 16

func procOptions() Options {
	return Options{Indexer: IndexerOptions{BuildThreshold: 300, FoldThreshold: 100, NeighborhoodSize: 50, Seed: 1, GCInterval: 200 * time.Millisecond, GCGrace: 2 * time.Second}}
}

// procVec is the deterministic vector of key n, so any process can check it.
func procVec(prefix string, n int) []float32 {
	r := rand.New(rand.NewPCG(uint64(n), uint64(segmentOf(prefix, 1<<30))))
	return randVec(r, procDim)
}

// TestChildProcess is the body of the child processes the crash and
// multi-process tests start; it does nothing in a normal test run.
//
// The child opens the store in VB_DIR and writes batches of 20 vectors
// "<VB_PREFIX>-<n>" (VB_BATCHES of them, or forever), printing "ACK <n>"
// after each acknowledged Put, and checks after each that an exact query
// for the last vector finds it.
func TestChildProcess(t *testing.T) {
	dir, prefix := os.Getenv("VB_DIR"), os.Getenv("VB_PREFIX")
	if dir == "" {
		t.Skip("only runs as a child process")
	}
	batches, _ := strconv.Atoi(os.Getenv("VB_BATCHES"))
	ctx := context.Background()
	store, err := local.Open(dir)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	po := procOptions()
	po.Indexer.Disabled = os.Getenv("VB_NOINDEXER") != ""
	db, _ := Open(ctx, store, po)
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	n := 0
	for b := 0; batches == 0 || b < batches; b++ {
		batch := make([]Vector, 20)
		for i := range batch {
			batch[i] = Vector{Key: fmt.Sprintf("%s-%06d", prefix, n), Data: procVec(prefix, n)}
			n++
		}
		if err := ix.Put(ctx, batch); err != nil {
			fmt.Fprintln(out, "ERR put", err)
			out.Flush()
			os.Exit(3)
		}
		fmt.Fprintln(out, "ACK", n)
		out.Flush()
		last := batch[len(batch)-1]
		res, _, err := ix.Query(ctx, QueryRequest{Vector: last.Data, TopK: 1, Exact: true})
		if err != nil || len(res) != 1 || res[0].Key != last.Key {
			fmt.Fprintln(out, "ERR query", res, err)
			out.Flush()
			os.Exit(4)
		}
	}
	db.Close()
	os.Exit(0)
}

func setupProcStore(t *testing.T) string {
	dir := t.TempDir()
	store, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, _ := Open(ctx, store, Options{Indexer: IndexerOptions{Disabled: true}})
	defer db.Close()
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: procDim, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func startChild(t *testing.T, dir, prefix string, batches int) (*exec.Cmd, *bufio.Scanner) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "VB_DIR="+dir, "VB_PREFIX="+prefix, "VB_BATCHES="+strconv.Itoa(batches))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(stdout)
}

// checkPresent verifies that keys prefix-0 … prefix-(n-1) are present with
// their vectors.
func checkPresent(t *testing.T, ctx context.Context, ix *Index, prefix string, n int) {
	t.Helper()
	for lo := 0; lo < n; lo += MaxKeysPerGet {
		var keys []string
		for i := lo; i < min(n, lo+MaxKeysPerGet); i++ {
			keys = append(keys, fmt.Sprintf("%s-%06d", prefix, i))
		}
		got, err := ix.Get(ctx, keys, GetOptions{ReturnData: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys) {
			t.Fatalf("%s: %d of keys %d..%d present, want %d", prefix, len(got), lo, lo+len(keys)-1, len(keys))
		}
		for _, v := range got {
			i, _ := strconv.Atoi(v.Key[strings.LastIndexByte(v.Key, '-')+1:])
			if fmt.Sprint(v.Data) != fmt.Sprint(procVec(prefix, i)) {
				t.Fatalf("%s has the wrong vector", v.Key)
			}
		}
	}
}

// TestCrash kills a writer (with its indexer running) with SIGKILL at a
// random moment, ≥ 20 times, and checks after each restart that every
// acknowledged vector is present and queries work.
func TestCrash(t *testing.T) {
	if os.Getenv("VB_DIR") != "" {
		t.Skip("child")
	}
	rounds := 20
	dir := setupProcStore(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 9))
	acked := 0
	for round := range rounds {
		prefix := fmt.Sprintf("r%02d", round)
		cmd, sc := startChild(t, dir, prefix, 0)
		kill := time.AfterFunc(time.Duration(150+r.IntN(350))*time.Millisecond, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		n := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "ERR") {
				t.Errorf("round %d: child: %s", round, line)
			}
			if v, ok := strings.CutPrefix(line, "ACK "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		kill.Stop()
		_ = cmd.Wait()
		acked += n

		store, err := local.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		db, _ := Open(ctx, store, Options{Indexer: IndexerOptions{Disabled: true}})
		ix, err := db.Index(ctx, "bkt", "idx")
		if err != nil {
			t.Fatal(err)
		}
		checkPresent(t, ctx, ix, prefix, n)
		if n > 0 {
			q := procVec(prefix, n-1)
			res, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 3})
			if err != nil || len(res) == 0 || res[0].Key != fmt.Sprintf("%s-%06d", prefix, n-1) {
				t.Errorf("round %d: query after restart = %v, %v", round, res, err)
			}
		}
		db.Close()
	}
	t.Logf("%d rounds, %d acknowledged vectors, all present", rounds, acked)
}

// TestTwoProcesses runs two writer processes on one directory, both with
// their indexers running, while this process checks that every write a
// child acknowledged is visible here at once.
func TestTwoProcesses(t *testing.T) {
	if os.Getenv("VB_DIR") != "" {
		t.Skip("child")
	}
	dir := setupProcStore(t)
	ctx := context.Background()
	store, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := Open(ctx, store, Options{Indexer: IndexerOptions{Disabled: true}})
	defer db.Close()
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	batches := 60
	if testing.Short() {
		batches = 25
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, prefix := range []string{"pa", "pb"} {
		cmd, sc := startChild(t, dir, prefix, batches)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "ERR") {
					t.Errorf("child %s: %s", prefix, line)
				}
				if v, ok := strings.CutPrefix(line, "ACK "); ok {
					n, _ := strconv.Atoi(v)
					key := fmt.Sprintf("%s-%06d", prefix, n-1)
					mu.Lock()
					got, err := ix.Get(ctx, []string{key}, GetOptions{})
					mu.Unlock()
					if err != nil || len(got) != 1 {
						t.Errorf("acknowledged %s not visible in another process: %v %v", key, got, err)
					}
				}
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("child %s: %v", prefix, err)
			}
		}()
	}
	wg.Wait()
	checkPresent(t, ctx, ix, "pa", 20*batches)
	checkPresent(t, ctx, ix, "pb", 20*batches)
	v, _ := ix.current(ctx)
	t.Logf("after two writers: %d neighborhoods, %d WAL vectors, generation %d", len(v.m.Neighborhoods), v.m.walCount(), v.m.Seq)
}
