package protocol

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A model run: the file, the -D defines passed to spin, and whether spin
// must find a violation.
type model struct {
	name    string
	file    string
	defines []string
	broken  bool
}

var models = []model{
	// The protocol as designed, with a grace period of one clock tick
	// (5.6 million states: about 10 s and 0.8 GB).
	{name: "commit", file: "commit.pml", defines: []string{"-DGRACE=1"}},
	// Each broken variant must be caught.
	{name: "broken_no_grace", file: "commit_broken_no_grace.pml", defines: []string{"-DGRACE=1"}, broken: true},
	{name: "broken_no_pin", file: "commit_broken_no_pin.pml", defines: []string{"-DGRACE=1"}, broken: true},
	{name: "broken_no_deadline", file: "commit_broken_no_deadline.pml", defines: []string{"-DGRACE=1"}, broken: true},
	// Two writers suffice to lose a write without CAS; leaving the others
	// out lets spin find it at once instead of after 1.5 million states.
	{name: "broken_no_cas", file: "commit_broken_no_cas.pml", defines: []string{"-DGRACE=1", "-DFOLDS=0", "-DGCPASSES=0", "-DREADS=0"}, broken: true},
}

// shortDefines shrink the correct model under -short: one indexer commit
// instead of two (about 3 million states instead of 5.6 million).
var shortDefines = []string{"-DFOLDS=1"}

// deepModel is the larger configuration (a grace period of two ticks: about
// 20 million states, one to two minutes and 2.5 GB); run it with
// VECTORBUCKET_SPIN_DEEP=1.
var deepModel = model{name: "commit_grace2", file: "commit.pml", defines: []string{"-DGRACE=2"}}

// needTools returns the paths of spin and gcc, skipping the test when one is
// missing (failing when CI is set).
func needTools(t *testing.T) (spin, cc string) {
	t.Helper()
	var missing []string
	spin, err := exec.LookPath("spin")
	if err != nil {
		missing = append(missing, "spin (Debian package spin)")
	}
	cc, err = exec.LookPath("gcc")
	if err != nil {
		if cc, err = exec.LookPath("cc"); err != nil {
			missing = append(missing, "gcc")
		}
	}
	if len(missing) > 0 {
		msg := "model checking needs " + strings.Join(missing, " and ") + "; scripts/deps.sh installs them"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return spin, cc
}

// result is what pan reported.
type result struct {
	errors    int
	states    int64
	violation string // the first "pan:1: ..." line, if any
	out       string
}

var (
	reErrors = regexp.MustCompile(`errors: (\d+)`)
	reStates = regexp.MustCompile(`(\d+) states, stored`)
	reViol   = regexp.MustCompile(`(?m)^pan:1: (.*)$`)
)

// check generates, compiles and runs the verifier for m in a scratch
// directory holding a copy of every model file.
func check(t *testing.T, spin, cc string, m model) result {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("*.pml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no .pml files next to the test: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run := func(name string, args ...string) string {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	run(spin, append(append([]string{"-a"}, m.defines...), m.file)...)
	// SAFETY: assertions only; MEMLIM: fail instead of swapping.
	run(cc, "-O2", "-w", "-DSAFETY", "-DNOFAIR", "-DMEMLIM=4096", "-o", "pan", "pan.c")
	start := time.Now()
	out := run("./pan", "-m100000")
	t.Logf("%s %s: pan ran %v", m.file, strings.Join(m.defines, " "), time.Since(start).Round(time.Millisecond))

	var r result
	r.out = out
	mm := reErrors.FindStringSubmatch(out)
	if mm == nil {
		t.Fatalf("pan output has no error count:\n%s", out)
	}
	r.errors, _ = strconv.Atoi(mm[1])
	if mm := reStates.FindStringSubmatch(out); mm != nil {
		r.states, _ = strconv.ParseInt(mm[1], 10, 64)
	}
	if mm := reViol.FindStringSubmatch(out); mm != nil {
		r.violation = mm[1]
	}
	return r
}

// incomplete reports why an error-free run did not cover the whole state
// space, or "".
func incomplete(out string) string {
	for _, bad := range []string{"reached -DMEMLIM bound", "max search depth too small", "out of memory", "hash-compact", "bitstate"} {
		if strings.Contains(out, bad) {
			return bad
		}
	}
	return ""
}

func runModel(t *testing.T, spin, cc string, m model) {
	r := check(t, spin, cc, m)
	t.Logf("%s: %d states stored, %d errors", m.name, r.states, r.errors)
	if m.broken {
		if r.errors == 0 || r.violation == "" {
			t.Fatalf("spin found no violation in the deliberately broken model %s: the check cannot fail\n%s", m.file, r.out)
		}
		t.Logf("caught as expected: %s", r.violation)
		return
	}
	if r.errors != 0 {
		t.Fatalf("spin found a violation of the commit protocol: %s\n"+
			"replay it: spin -t -p %s %s\n%s", r.violation, strings.Join(m.defines, " "), m.file, r.out)
	}
	if why := incomplete(r.out); why != "" {
		t.Fatalf("the search did not cover the whole state space (%s)\n%s", why, r.out)
	}
	if r.states < 1000 {
		t.Fatalf("only %d states: the model did not run as intended\n%s", r.states, r.out)
	}
}

// TestCommitProtocol checks the commit protocol model and requires every
// broken variant to be caught.
func TestCommitProtocol(t *testing.T) {
	spin, cc := needTools(t)
	for _, m := range models {
		if testing.Short() && !m.broken {
			m.defines = append(m.defines[:len(m.defines):len(m.defines)], shortDefines...)
		}
		t.Run(m.name, func(t *testing.T) { runModel(t, spin, cc, m) })
	}
}

// TestCommitProtocolDeep checks the larger configuration when asked to.
func TestCommitProtocolDeep(t *testing.T) {
	if os.Getenv("VECTORBUCKET_SPIN_DEEP") == "" {
		t.Skip("set VECTORBUCKET_SPIN_DEEP=1 to check the grace-period-2 configuration (1–2 minutes, 2.5 GB)")
	}
	spin, cc := needTools(t)
	runModel(t, spin, cc, deepModel)
}
