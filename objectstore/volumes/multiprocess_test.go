//go:build linux

package volumes_test

import (
	"bufio"
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
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// The multi-process tests re-execute the test binary; VB_VOLUMES_CHILD
// picks what the child does.
func TestMain(m *testing.M) {
	switch os.Getenv("VB_VOLUMES_CHILD") {
	case "":
		os.Exit(m.Run())
	case "lin":
		childLin()
	case "race":
		childRace()
	default:
		fmt.Fprintln(os.Stderr, "unknown VB_VOLUMES_CHILD")
		os.Exit(2)
	}
	os.Exit(0)
}

// monoClock reads CLOCK_MONOTONIC, shared by every process on the machine,
// so that histories of two processes can be merged.
func monoClock() int64 {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return ts.Nano()
}

func childOpen() *volumes.Store {
	s, err := volumes.Open(context.Background(), strings.Split(os.Getenv("VB_DIRS"), ","), volumes.Options{})
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

func child(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append([]string{"VB_VOLUMES_CHILD=" + mode}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

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
// child process on the same three volumes, removes one volume directory in
// the middle of the run, and checks the merged history.
func TestLinearizabilityTwoProcesses(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{})
	const clients = 3
	ops := 80
	if testing.Short() {
		ops = 40
	}
	keys := storetest.LinKeys("", 3)
	seed := rand.Uint64() >> 2
	cmd := child(t, "lin", "VB_DIRS="+strings.Join(ds, ","), "VB_KEYS="+strings.Join(keys, ","), "VB_BASE="+strconv.Itoa(clients),
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
	failed := make(chan error, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		failed <- removeVolume(ds[1])
	}()
	mine := runClients(s, keys, 0, clients, ops, seed)
	var theirs []storetest.Op
	if err := json.NewDecoder(r).Decode(&theirs); err != nil {
		t.Fatalf("decode child history: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if err := <-failed; err != nil {
		t.Fatal(err)
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
			t.Errorf("client %d %s %q: %s", op.Client, op.Kind, op.Key, op.Err)
		}
	}
	storetest.CheckHistory(t, all)
}

func childRace() {
	s := childOpen()
	key := os.Getenv("VB_KEY")
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // go
	_, err := s.Put(context.Background(), key, []byte(os.Getenv("VB_ID")), objectstore.CreateOnly())
	switch {
	case err == nil:
		fmt.Println("won")
	case errors.Is(err, objectstore.ErrPreconditionFailed):
		fmt.Println("lost")
	default:
		fmt.Println("error", err)
	}
}

// TestCreateOnlyRaceProcesses: of several processes racing a create-only
// put of one key, exactly one wins, and its value is what is stored.
func TestCreateOnlyRaceProcesses(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{})
	const procs, rounds = 4, 3
	for round := range rounds {
		key := fmt.Sprintf("race/%d", round)
		type proc struct {
			cmd *exec.Cmd
			in  *os.File
			out *bufio.Reader
		}
		var ps []proc
		for i := range procs {
			cmd := child(t, "race", "VB_DIRS="+strings.Join(ds, ","), "VB_KEY="+key, "VB_ID="+strconv.Itoa(i))
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdin = pr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pr.Close()
			br := bufio.NewReader(out)
			if line, err := br.ReadString('\n'); err != nil || line != "ready\n" {
				t.Fatalf("child %d: %q, %v", i, line, err)
			}
			ps = append(ps, proc{cmd, pw, br})
		}
		for _, p := range ps {
			fmt.Fprintln(p.in, "go")
		}
		winners := []int{}
		for i, p := range ps {
			line, _ := p.out.ReadString('\n')
			if err := p.cmd.Wait(); err != nil {
				t.Fatalf("child %d: %v", i, err)
			}
			p.in.Close()
			switch strings.TrimSpace(line) {
			case "won":
				winners = append(winners, i)
			case "lost":
			default:
				t.Fatalf("child %d: %q", i, line)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: winners %v, want exactly one", round, winners)
		}
		got, _, err := s.Get(t.Context(), key)
		if err != nil || string(got) != strconv.Itoa(winners[0]) {
			t.Fatalf("round %d: stored %q, %v; winner %d", round, got, err, winners[0])
		}
	}
}
