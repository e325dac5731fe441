package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vectorbucket/vectorbucket/cmd/internal/proc"
)

// server is a running "vectorbucket serve" process.
type server = proc.Server

// serverArgs are the serve flags of a soak: GC and scrub often enough to
// run many times within the soak.
func serverArgs(addr string, vols []string, memoryBudget string) []string {
	return []string{"serve", "--addr", addr, "--data", strings.Join(vols, ","), "--log-format", "json",
		"--gc-interval", "5s", "--gc-grace", "10s", "--scrub-interval", "20s", "--memory-budget", memoryBudget}
}

// startServer starts bin on a free loopback port over vols, appending its
// log to logPath, and waits until it answers /health.
func startServer(ctx context.Context, bin string, vols []string, logPath, memoryBudget string) (*server, error) {
	// No credentials: the server listens on loopback only.
	return proc.Start(ctx, bin, func(addr string) []string { return serverArgs(addr, vols, memoryBudget) },
		[]string{"VECTORBUCKET_ACCESS_KEY_ID=", "VECTORBUCKET_SECRET_ACCESS_KEY="}, logPath)
}

// dirBytes sums the sizes of the regular files under the directories.
func dirBytes(dirs []string) int64 {
	var n int64
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil // a volume mid-removal, a file GC just deleted
			}
			if e.Type().IsRegular() {
				if info, err := e.Info(); err == nil {
					n += info.Size()
				}
			}
			return nil
		})
	}
	return n
}

// scrubReport is what "vectorbucket scrub --json" prints.
type scrubReport struct {
	Objects, Copies, Missing, Stale, Corrupt, Repaired, Unrepairable, Tombstones int64
	Refilled, Detached                                                           []int
}

// offlineScrub runs "vectorbucket scrub" over the stopped server's volumes.
func offlineScrub(ctx context.Context, bin string, vols []string) (scrubReport, error) {
	var rep scrubReport
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "scrub", "--data", strings.Join(vols, ","), "--json")
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return rep, fmt.Errorf("scrub: %v; output %q %q", runErr, out.String(), errb.String())
	}
	if runErr != nil {
		return rep, fmt.Errorf("scrub: %v: %s", runErr, strings.TrimSpace(errb.String()))
	}
	return rep, nil
}
