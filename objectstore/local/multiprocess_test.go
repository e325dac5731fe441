//go:build linux

package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

// The multi-process tests re-execute the test binary; VB_LOCAL_CHILD picks
// what the child does.
func TestMain(m *testing.M) {
	storetest.ChildMain(m, "VB_LOCAL_CHILD", map[string]func(){
		"lin":   func() { storetest.LinChild(childOpen()) },
		"race":  childRace,
		"crash": childCrash,
	})
}

func childOpen() *local.Store {
	s, err := local.Open(os.Getenv("VB_DIR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return s
}

// child starts the test binary as a child with the given mode and env.
func child(mode string, env ...string) *exec.Cmd {
	return storetest.ChildCommand("VB_LOCAL_CHILD", mode, env...)
}

// TestLinearizabilityTwoProcesses runs clients in this process and in a
// child process on one directory and checks the merged history.
func TestLinearizabilityTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ops := 60
	if testing.Short() {
		ops = 30
	}
	storetest.ProcessLinearizability(t, s, child("lin", "VB_DIR="+dir), storetest.ProcessLinOptions{Clients: 3, Ops: ops})
}

// raceRounds has every process start 8 create-only puts of key r at
// start + r·slot on the shared monotonic clock, and returns the number of
// winners per round.
func raceRounds(s objectstore.Store, start int64, rounds int) []int {
	const slot = int64(40 * time.Millisecond)
	wins := make([]int, rounds)
	for r := range rounds {
		at := start + int64(r)*slot
		for storetest.SharedClock() < at {
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
	wins := raceRounds(s, int64(storetest.EnvInt("VB_START")), storetest.EnvInt("VB_ROUNDS"))
	_ = json.NewEncoder(os.Stdout).Encode(wins)
}

// TestCreateOnlyRaceTwoProcesses: two processes, 8 goroutines each, race a
// create-only put of one key per round; exactly one wins.
func TestCreateOnlyRaceTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	const rounds = 10
	start := storetest.SharedClock() + int64(300*time.Millisecond) // time for the child to start
	cmd := child("race", "VB_DIR="+dir, "VB_START="+strconv.FormatInt(start, 10), "VB_ROUNDS="+strconv.Itoa(rounds))
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
