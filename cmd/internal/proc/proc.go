// Package proc runs "vectorbucket serve" processes for the soak and the
// multi-node bench: start on a free loopback port, wait for /health, stop
// by PID with SIGTERM, read the resident set size.
package proc

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a running server process.
type Server struct {
	// Endpoint is http://host:port of the server.
	Endpoint string
	cmd      *exec.Cmd
	log      *os.File
	done     chan error
}

// FreeAddr returns a loopback host:port nothing listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Start runs bin with args(addr) on a free loopback address, appending its
// output to logPath, with env added to this process's environment, and
// waits until it answers /health (at most a minute).
func Start(ctx context.Context, bin string, args func(addr string) []string, env []string, logPath string) (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args(addr)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &Server{cmd: cmd, Endpoint: "http://" + addr, log: logf, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint + "/health")
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
			return nil, fmt.Errorf("%s exited at start (%v); see %s", bin, err, logPath)
		case <-ctx.Done():
			s.Kill()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return nil, fmt.Errorf("%s did not become healthy within a minute; see %s", bin, logPath)
		}
	}
}

// PID is the process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (s *Server) Exited() (bool, error) {
	select {
	case err := <-s.done:
		s.done <- err
		return true, err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM to the server's PID and waits for its graceful exit
// (a minute at most, then SIGKILL).
func (s *Server) Stop() error {
	defer s.log.Close()
	if done, err := s.Exited(); done {
		return fmt.Errorf("the server had exited: %v", err)
	}
	_ = syscall.Kill(s.PID(), syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("the server exited with %v after SIGTERM", err)
		}
		return nil
	case <-time.After(60 * time.Second):
		s.Kill()
		return fmt.Errorf("the server did not stop within a minute of SIGTERM")
	}
}

// Kill ends the process with SIGKILL and waits for it.
func (s *Server) Kill() {
	_ = syscall.Kill(s.PID(), syscall.SIGKILL)
	err := <-s.done
	s.done <- err
}

// RSS returns the process's resident set size and its peak, in bytes, from
// /proc (zeros when unreadable).
func (s *Server) RSS() (cur, peak int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.PID()))
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
