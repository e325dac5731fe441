//go:build linux

package storetest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Multi-process tests re-execute the test binary as a child. The test's
// TestMain calls ChildMain, which runs the tests normally unless the
// package's child variable is set, and the test starts children with
// ChildCommand. ProcessLinearizability checks a history recorded by clients
// in this process and in a child (running LinChild) on one store.

// SharedClock reads CLOCK_MONOTONIC, which every process on the machine
// shares, so that histories recorded in two processes can be merged.
func SharedClock() int64 {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return ts.Nano()
}

// ChildMain is the body of a TestMain for multi-process tests: when the
// environment variable envVar is empty it runs the tests; otherwise the
// process is a child and runs modes[value], then exits 0. An unknown mode
// exits 2.
func ChildMain(m *testing.M, envVar string, modes map[string]func()) {
	mode := os.Getenv(envVar)
	if mode == "" {
		os.Exit(m.Run())
	}
	f, ok := modes[mode]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown "+envVar)
		os.Exit(2)
	}
	f()
	os.Exit(0)
}

// ChildCommand returns a command that re-executes the test binary as a
// child with envVar=mode and env added to this process's environment; the
// child's stderr is this process's.
func ChildCommand(envVar, mode string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append([]string{envVar + "=" + mode}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// EnvInt is the integer in environment variable name, for children; a
// missing or malformed value exits the process with status 2.
func EnvInt(name string) int {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	return n
}

// RunClients runs n concurrent linearizability clients with ids base to
// base+n-1, ops operations each, on keys of s, and returns their merged
// history stamped with SharedClock.
func RunClients(s objectstore.Store, keys []string, base, n, ops int, seed uint64) []Op {
	var (
		mu  sync.Mutex
		all []Op
		wg  sync.WaitGroup
	)
	for c := range n {
		wg.Go(func() {
			h := RunWorkload(context.Background(), s, Workload{Client: base + c, Keys: keys, Ops: ops, Seed: seed, Clock: SharedClock})
			mu.Lock()
			all = append(all, h...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

// LinChild is the child side of ProcessLinearizability: it prints "ready",
// runs the clients the environment describes on s, and writes their
// history to stdout as JSON.
func LinChild(s objectstore.Store) {
	keys := strings.Split(os.Getenv("VB_KEYS"), ",")
	fmt.Println("ready")
	h := RunClients(s, keys, EnvInt("VB_BASE"), EnvInt("VB_CLIENTS"), EnvInt("VB_OPS"), uint64(EnvInt("VB_SEED")))
	if err := json.NewEncoder(os.Stdout).Encode(h); err != nil {
		os.Exit(1)
	}
}

// ProcessLinOptions configures ProcessLinearizability.
type ProcessLinOptions struct {
	// Clients is the number of clients in each process.
	Clients int
	// Ops is the number of operations per client.
	Ops int
	// Started, if not nil, is called once the child is ready, just
	// before this process's clients start.
	Started func()
}

// ProcessLinearizability runs opts.Clients clients on s in this process and
// as many in the child cmd (a ChildCommand whose mode calls LinChild on a
// handle on the same data) on three shared keys, and checks that the two
// processes overlapped, that no operation failed unexpectedly, and that
// the merged history is linearizable.
func ProcessLinearizability(t *testing.T, s objectstore.Store, cmd *exec.Cmd, opts ProcessLinOptions) {
	t.Helper()
	keys := LinKeys("", 3)
	seed := rand.Uint64() >> 2
	cmd.Env = append(cmd.Env, "VB_KEYS="+strings.Join(keys, ","), "VB_BASE="+strconv.Itoa(opts.Clients),
		"VB_CLIENTS="+strconv.Itoa(opts.Clients), "VB_OPS="+strconv.Itoa(opts.Ops), "VB_SEED="+strconv.FormatUint(seed+1, 10))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	if line, err := r.ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("child: %q, %v", line, err)
	}
	if opts.Started != nil {
		opts.Started()
	}
	mine := RunClients(s, keys, 0, opts.Clients, opts.Ops, seed)
	var theirs []Op
	if err := json.NewDecoder(r).Decode(&theirs); err != nil {
		t.Fatalf("decode child history: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if len(theirs) != opts.Clients*opts.Ops {
		t.Fatalf("child recorded %d operations, want %d", len(theirs), opts.Clients*opts.Ops)
	}
	overlaps := 0
	for _, a := range mine {
		for _, b := range theirs {
			if a.Key == b.Key && a.Call < b.Return && b.Call < a.Return {
				overlaps++
			}
		}
	}
	t.Logf("%d concurrent pairs of operations on one key across the two processes", overlaps)
	if overlaps == 0 {
		t.Errorf("the two processes never ran concurrently")
	}
	all := append(mine, theirs...)
	for _, op := range all {
		if op.Result == ResultError {
			t.Errorf("client %d %s %q: %s", op.Client, op.Kind, op.Key, op.Err)
		}
	}
	CheckHistory(t, all)
}
