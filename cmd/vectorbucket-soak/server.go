package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a running "vectorbucket serve" process.
type server struct {
	cmd      *exec.Cmd
	endpoint string
	log      *os.File
	done     chan error
}

// serverArgs are the serve flags of a soak: GC and scrub often enough to
// run many times within the soak.
func serverArgs(addr string, vols []string, memoryBudget string) []string {
	return []string{"serve", "--addr", addr, "--data", strings.Join(vols, ","), "--log-format", "json",
		"--gc-interval", "5s", "--gc-grace", "10s", "--scrub-interval", "20s", "--memory-budget", memoryBudget}
}

// startServer starts bin on a free loopback port over vols, appending its
// log to logPath, and waits until it answers /health.
func startServer(ctx context.Context, bin string, vols []string, logPath, memoryBudget string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, serverArgs(addr, vols, memoryBudget)...)
	// No credentials: the server listens on loopback only.
	cmd.Env = append(os.Environ(), "VECTORBUCKET_ACCESS_KEY_ID=", "VECTORBUCKET_SECRET_ACCESS_KEY=")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, endpoint: "http://" + addr, log: logf, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			logf.Close()
			return nil, fmt.Errorf("serve exited at start (%v); see %s", err, logPath)
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, fmt.Errorf("serve did not become healthy within a minute; see %s", logPath)
		}
	}
}

// exited reports whether the process has ended, and how.
func (s *server) exited() (bool, error) {
	select {
	case err := <-s.done:
		s.done <- err
		return true, err
	default:
		return false, nil
	}
}

// stop sends SIGTERM to the server's PID and waits for its graceful exit.
func (s *server) stop() error {
	defer s.log.Close()
	if done, err := s.exited(); done {
		return fmt.Errorf("serve had exited: %v", err)
	}
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("serve exited with %v after SIGTERM", err)
		}
		return nil
	case <-time.After(60 * time.Second):
		s.kill()
		return fmt.Errorf("serve did not stop within a minute of SIGTERM")
	}
}

func (s *server) kill() {
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.done <- nil
}

// rss returns the server's resident set size and its peak, in bytes, from
// /proc.
func (s *server) rss() (cur, peak int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			cur = n << 10
		case "VmHWM":
			peak = n << 10
		}
	}
	return cur, peak
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
