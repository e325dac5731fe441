//go:build linux

package local_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"unsafe"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

// The multi-process tests re-execute the test binary; VB_LOCAL_CHILD picks
// what the child does.
func TestMain(m *testing.M) {
	switch os.Getenv("VB_LOCAL_CHILD") {
	case "":
		os.Exit(m.Run())
	case "lin":
		childLin()
	case "race":
		childRace()
	case "crash":
		childCrash()
	default:
		fmt.Fprintln(os.Stderr, "unknown VB_LOCAL_CHILD")
		os.Exit(2)
	}
	os.Exit(0)
}

// monoClock reads CLOCK_MONOTONIC, which every process on the machine
// shares, so histories of two processes can be merged.
func monoClock() int64 {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return ts.Nano()
}

func childOpen() *local.Store {
	s, err := local.Open(os.Getenv("VB_DIR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return s
}

func envInt(name string) int {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	return n
}

// child starts the test binary as a child with the given mode and env.
func child(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append([]string{"VB_LOCAL_CHILD=" + mode}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// runClients runs n linearizability clients with ids base.. on s.
func runClients(s objectstore.Store, keys []string, base, n, ops int, seed uint64) []storetest.Op {
	var (
		mu  sync.Mutex
		all []storetest.Op
		wg  sync.WaitGroup
	)
	for c := range n {
		wg.Go(func() {
			h := storetest.RunWorkload(context.Background(), s, storetest.Workload{Client: base + c, Keys: keys, Ops: ops, Seed: seed, Clock: monoClock})
			mu.Lock()
			all = append(all, h...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

func childLin() {
	s := childOpen()
	keys := strings.Split(os.Getenv("VB_KEYS"), ",")
	fmt.Println("ready")
	h := runClients(s, keys, envInt("VB_BASE"), envInt("VB_CLIENTS"), envInt("VB_OPS"), uint64(envInt("VB_SEED")))
	if err := json.NewEncoder(os.Stdout).Encode(h); err != nil {
		os.Exit(1)
	}
}

// TestLinearizabilityTwoProcesses runs clients in this process and in a
// child process on one directory and checks the merged history.
func TestLinearizabilityTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	const clients = 3
	ops := 60
	if testing.Short() {
		ops = 30
	}
	keys := storetest.LinKeys("", 3)
	seed := rand.Uint64() >> 2
	cmd := child(t, "lin", "VB_DIR="+dir, "VB_KEYS="+strings.Join(keys, ","), "VB_BASE="+strconv.Itoa(clients),
		"VB_CLIENTS="+strconv.Itoa(clients), "VB_OPS="+strconv.Itoa(ops), "VB_SEED="+strconv.FormatUint(seed+1, 10))
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
	mine := runClients(s, keys, 0, clients, ops, seed)
	var theirs []storetest.Op
	if err := json.NewDecoder(r).Decode(&theirs); err != nil {
		t.Fatalf("decode child history: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if len(theirs) != clients*ops {
		t.Fatalf("child recorded %d operations, want %d", len(theirs), clients*ops)
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
		if op.Result == storetest.ResultError {
			t.Errorf("client %d %s %s: %s", op.Client, op.Kind, op.Key, op.Err)
		}
	}
	storetest.CheckHistory(t, all)
}

// raceRounds has every process start 8 create-only puts of key r at
// start + r·slot on the shared monotonic clock, and returns the number of
// winners per round.
func raceRounds(s objectstore.Store, start int64, rounds int) []int {
	const slot = int64(40 * time.Millisecond)
	wins := make([]int, rounds)
	for r := range rounds {
		at := start + int64(r)*slot
		for monoClock() < at {
			time.Sleep(100 * time.Microsecond)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for g := range 8 {
			wg.Go(func() {
				_, err := s.Put(context.Background(), fmt.Sprintf("race/%d", r), fmt.Appendf(nil, "%d/%d", os.Getpid(), g), objectstore.CreateOnly())
				if err == nil {
					mu.Lock()
					wins[r]++
					mu.Unlock()
				} else if !errors.Is(err, objectstore.ErrPreconditionFailed) {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
			})
		}
		wg.Wait()
	}
	return wins
}

func childRace() {
	s := childOpen()
	wins := raceRounds(s, int64(envInt("VB_START")), envInt("VB_ROUNDS"))
	_ = json.NewEncoder(os.Stdout).Encode(wins)
}

// TestCreateOnlyRaceTwoProcesses: two processes, 8 goroutines each, race a
// create-only put of one key per round; exactly one wins.
func TestCreateOnlyRaceTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	const rounds = 10
	start := monoClock() + int64(300*time.Millisecond) // time for the child to start
	cmd := child(t, "race", "VB_DIR="+dir, "VB_START="+strconv.FormatInt(start, 10), "VB_ROUNDS="+strconv.Itoa(rounds))
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	mine := raceRounds(s, start, rounds)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	var theirs []int
	if err := json.Unmarshal(out.Bytes(), &theirs); err != nil || len(theirs) != rounds {
		t.Fatalf("child output %q: %v", out.String(), err)
	}
	childWon := 0
	for r := range rounds {
		if mine[r]+theirs[r] != 1 {
			t.Errorf("round %d: this process won %d, the child %d; want exactly one winner", r, mine[r], theirs[r])
		}
		childWon += theirs[r]
	}
	t.Logf("the child won %d of %d rounds", childWon, rounds)
}
