//go:build linux

package volumes_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// The multi-process tests re-execute the test binary; VB_VOLUMES_CHILD
// picks what the child does.
func TestMain(m *testing.M) {
	storetest.ChildMain(m, "VB_VOLUMES_CHILD", map[string]func(){
		"lin":  func() { storetest.LinChild(childOpen()) },
		"race": childRace,
	})
}

func childOpen() *volumes.Store {
	s, err := volumes.Open(context.Background(), strings.Split(os.Getenv("VB_DIRS"), ","), volumes.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return s
}

func child(mode string, env ...string) *exec.Cmd {
	return storetest.ChildCommand("VB_VOLUMES_CHILD", mode, env...)
}

// TestLinearizabilityTwoProcesses runs clients in this process and in a
// child process on the same three volumes, removes one volume directory in
// the middle of the run, and checks the merged history.
func TestLinearizabilityTwoProcesses(t *testing.T) {
	ds := dirs(t, 3)
	s := open(t, ds, volumes.Options{})
	ops := 80
	if testing.Short() {
		ops = 40
	}
	// The volume goes after a third of this process's operations (the
	// child runs its own concurrently).
	const clients = 3
	fault := newMidRun(int64(clients*ops/3), func() {
		if err := removeVolume(ds[1]); err != nil {
			t.Error(err)
		}
	})
	storetest.ProcessLinearizability(t, objectstore.NewFaults(s, fault), child("lin", "VB_DIRS="+strings.Join(ds, ",")),
		storetest.ProcessLinOptions{Clients: clients, Ops: ops})
	fault.check(t)
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
			cmd := child("race", "VB_DIRS="+strings.Join(ds, ","), "VB_KEY="+key, "VB_ID="+strconv.Itoa(i))
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
