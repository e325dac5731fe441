package clients

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// What the server under test is configured with.
const (
	accessKey = "AKIDCLIENTSE2E"
	secretKey = "clients/e2e+secret"
	region    = "us-east-1"
	account   = "123456789012"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds cmd/vectorbucket once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vectorbucket-clients-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "vectorbucket")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/vectorbucket/vectorbucket/cmd/vectorbucket")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build cmd/vectorbucket: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// server is a running `vectorbucket serve`.
type server struct {
	cmd      *exec.Cmd
	endpoint string
	log      *syncBuffer
	done     chan error
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer builds and starts vectorbucket on a free loopback port over
// an embedded store in a temporary directory, requiring SigV4 with
// accessKey/secretKey, and stops it by PID (SIGTERM) at cleanup.
func startServer(t *testing.T) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary(t), "serve", "--addr", addr, "--data", t.TempDir(),
		"--region", region, "--account-id", account, "--log-level", "warn")
	cmd.Env = append(cleanEnv(), "VECTORBUCKET_ACCESS_KEY_ID="+accessKey, "VECTORBUCKET_SECRET_ACCESS_KEY="+secretKey)
	s := &server{cmd: cmd, endpoint: "http://" + addr, log: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("vectorbucket serve exited early: %v\n%s", err, s.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("vectorbucket serve not healthy within 30s: %v\n%s", err, s.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM to the server's PID and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("vectorbucket serve exited with %v\n%s", err, s.log)
		}
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		t.Errorf("vectorbucket serve did not stop within 30s of SIGTERM\n%s", s.log)
	}
}

// cleanEnv is this process's environment without anything that configures
// an AWS client (AWS_*) or the server (VECTORBUCKET_*), so that neither a
// developer's settings nor CI's reach the clients under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "VECTORBUCKET_") && !strings.HasPrefix(kv, "S3VECTORS_") {
			env = append(env, kv)
		}
	}
	return env
}

// noAWSConfig returns environment entries pointing the AWS config and
// shared-credentials files at empty files, so that no ~/.aws profile,
// region, endpoint or retry setting applies.
func noAWSConfig(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	for _, f := range []string{cfg, creds} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + creds}
}

// skipShort skips an end-to-end test in -short mode.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and starts the vectorbucket binary (not in -short)")
	}
}

// need fails the test when CI is set and skips it otherwise: for a
// prerequisite that `make test` installs.
func need(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (set CI to make this a failure)")
}
