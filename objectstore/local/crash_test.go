//go:build linux

package local_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

const crashKeys = 40

// crashContent is the content of version v of key: a line naming both, then
// bytes derived from v, so a reader can tell a complete version from a torn
// or mixed one.
func crashContent(key string, v int) []byte {
	rng := rand.New(rand.NewPCG(uint64(v), 7))
	n := 1 + rng.IntN(48<<10)
	if v%10 == 0 {
		n = 300 << 10 // some larger objects widen the window for torn writes
	}
	b := fmt.Appendf(nil, "%s %d\n", key, v)
	for range n {
		b = append(b, byte(rng.Uint32()))
	}
	return b
}

// parseCrashContent checks data is a complete version of key and returns v.
func parseCrashContent(key string, data []byte) (int, error) {
	line, _, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return 0, errors.New("no header line")
	}
	k, vs, _ := strings.Cut(string(line), " ")
	v, err := strconv.Atoi(vs)
	if err != nil || k != key {
		return 0, fmt.Errorf("bad header line %q", line)
	}
	if !bytes.Equal(data, crashContent(key, v)) {
		return 0, fmt.Errorf("version %d is not the bytes that were written", v)
	}
	return v, nil
}

// childCrash puts versions of random keys forever, printing "ack key v"
// after each Put returns.
func childCrash() {
	s := childOpen()
	base := storetest.EnvInt("VB_BASE")
	rng := rand.New(rand.NewPCG(uint64(base), 1))
	w := bufio.NewWriter(os.Stdout)
	for v := base; ; v++ {
		key := fmt.Sprintf("crash/k%02d", rng.IntN(crashKeys))
		if _, err := s.Put(context.Background(), key, crashContent(key, v), objectstore.Condition{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintf(w, "ack %s %d\n", key, v)
		w.Flush()
	}
}

// TestCrashSafety kills a child with SIGKILL in the middle of many puts,
// several times on one directory, and checks that every key is absent or a
// complete version, and that every acknowledged put (or a later one) is
// readable.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	acked := map[string]int{}
	for round, kills := range []int{5, 60, 150, 300, 20, 100} {
		if testing.Short() && round > 1 {
			break
		}
		cmd := child("crash", "VB_DIR="+dir, "VB_BASE="+strconv.Itoa(1+round*1_000_000))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		for sc.Scan() {
			var key string
			var v int
			if _, err := fmt.Sscanf(sc.Text(), "ack %s %d", &key, &v); err != nil {
				t.Fatalf("child said %q", sc.Text())
			}
			acked[key] = v // versions grow within and across rounds
			n++
			if n == kills {
				// Kill at a random moment of a later put, not right
				// after an acknowledgement.
				delay := time.Duration(rand.IntN(4000)) * time.Microsecond
				time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, not by SIGKILL", round, err)
		}
		temps, _ := os.ReadDir(filepath.Join(dir, "tmp"))
		t.Logf("round %d: %d acknowledged puts before the kill took effect, %d temp files left", round, n, len(temps))
		checkCrashState(t, dir, acked)
	}
}

func checkCrashState(t *testing.T, dir string, acked map[string]int) {
	t.Helper()
	ctx := t.Context()
	s, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range crashKeys {
		key := fmt.Sprintf("crash/k%02d", i)
		data, _, err := s.Get(ctx, key)
		want, wasAcked := acked[key]
		if errors.Is(err, objectstore.ErrNotFound) && !wasAcked {
			continue
		}
		if err != nil {
			t.Fatalf("%s (acked version %d): %v", key, want, err)
		}
		v, err := parseCrashContent(key, data)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if v < want {
			t.Fatalf("%s holds version %d, but version %d was acknowledged", key, v, want)
		}
	}
	n := 0
	for a, err := range objectstore.All(ctx, s, "") {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(a.Key, "crash/k") || len(a.Key) != len("crash/k00") {
			t.Errorf("List returned %q", a.Key)
		}
		n++
	}
	if n < len(acked) {
		t.Errorf("List returned %d keys, %d were acknowledged", n, len(acked))
	}
}
