package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSoakSmoke runs the soak for a few seconds against the real server
// binary: the volume is removed and restored, the audit, the restart and
// both offline scrubs run, and the outputs are written. It keeps the tool
// working; the soak itself (make soak) runs for minutes.
func TestSoakSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "vectorbucket")
	build := exec.Command("go", "build", "-o", bin, "../vectorbucket")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"--server", bin, "--duration", "9s", "--sample", "1s", "--keys", "2000", "--writers", "4",
		"--queriers", "2", "--recall-queries", "50", "--out", out, "--work", filepath.Join(dir, "work")}, &stdout, &stderr)
	t.Logf("%s%s", stdout.String(), stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Events) != 2 || !strings.Contains(sum.Events[0].What, "removed") || !strings.Contains(sum.Events[1].What, "restored") {
		t.Errorf("events %+v: want the volume removed, then restored", sum.Events)
	}
	if sum.Audit.Present+sum.Audit.Absent != 2000 || sum.AuditRestart.Lost+sum.AuditRestart.Resurrect+sum.AuditRestart.WrongBytes != 0 {
		t.Errorf("audits %+v, %+v", sum.Audit, sum.AuditRestart)
	}
	if sum.Audit.Absent == 0 || sum.Ops < 100 || len(sum.Samples) < 5 || len(sum.Scrub) != 2 {
		t.Errorf("the workload barely ran: %d operations, %d keys deleted, %d samples, %d scrubs", sum.Ops, sum.Audit.Absent, len(sum.Samples), len(sum.Scrub))
	}
	for _, f := range []string{"soak.csv", "soak-latency.svg", "soak-rss.svg"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

// TestAuditCatchesLoss: the audit's model refuses a state no acknowledged
// or failed write left.
func TestAuditCatchesLoss(t *testing.T) {
	m := &model{state: make([]keyState, 3), maybe: map[int][]keyState{}}
	m.ack(0, keyState{seq: 5, present: true})
	m.ack(1, keyState{seq: 6})
	m.ack(2, keyState{seq: 7, present: true})
	m.uncertain(2, keyState{seq: 9, present: true})
	for _, c := range []struct {
		i     int
		found bool
		seq   int64
		ok    bool
	}{
		{0, true, 5, true}, {0, true, 4, false}, {0, false, 0, false},
		{1, false, 0, true}, {1, true, 6, false},
		{2, true, 7, true}, {2, true, 9, true}, {2, true, 8, false}, {2, false, 0, false},
	} {
		if got := m.acceptable(c.i, c.found, c.seq); got != c.ok {
			t.Errorf("key %d found=%v seq %d: acceptable %v, want %v", c.i, c.found, c.seq, got, c.ok)
		}
	}
	m.ack(2, keyState{seq: 10, present: true})
	if m.acceptable(2, true, 9) {
		t.Error("a failed write stays acceptable after a later acknowledged one")
	}
}
