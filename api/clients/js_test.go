package clients

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jsDir holds the JavaScript suite, its package.json and package-lock.json.
const jsDir = "js"

// lockStamp is written into node_modules by scripts/jsdeps.sh after npm ci:
// the SHA-256 of the package-lock.json it installed.
const lockStamp = ".vectorbucket-lock.sha256"

// TestJSSDK runs js/e2e.mjs — every S3 Vectors operation of the official
// AWS SDK for JavaScript v3 (@aws-sdk/client-s3vectors, pinned in
// js/package-lock.json), pagination, filters and the typed errors — with
// Node.js against the vectorbucket binary. Without Node.js 20+ or with
// js/node_modules missing or stale (scripts/jsdeps.sh installs it, and
// `make test` runs that) it fails when CI is set and skips otherwise.
func TestJSSDK(t *testing.T) {
	skipShort(t)
	node := nodeWithDeps(t)
	s := startServer(t)
	runNode(t, node, "e2e.mjs", s, 2*time.Minute, "S3VECTORS_ACCOUNT_ID="+account)
}

// runNode runs a script of js/ with Node.js against the server s, with the
// endpoint and credentials in S3VECTORS_* variables (and extra ones), and
// fails the test with its output and the server's log when it fails.
func runNode(t *testing.T, node, script string, s *server, timeout time.Duration, extra ...string) {
	t.Helper()
	env := append(cleanEnv(), noAWSConfig(t)...)
	env = append(env,
		"S3VECTORS_ENDPOINT="+s.endpoint,
		"S3VECTORS_REGION="+region,
		"S3VECTORS_ACCESS_KEY_ID="+accessKey,
		"S3VECTORS_SECRET_ACCESS_KEY="+secretKey,
		// The pinned SDK supports Node 20; later releases will need 22,
		// which it says on every run.
		"AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true",
	)
	env = append(env, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = jsDir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v after %v\n--- node output:\n%s\n--- server log:\n%s", script, err, time.Since(start).Round(time.Millisecond), &out, s.log)
	}
	t.Logf("node %s (%v):\n%s", script, time.Since(start).Round(time.Millisecond), &out)
}

// nodeWithDeps returns the node binary, once it is Node.js 20 or later and
// js/node_modules holds what js/package-lock.json pins.
func nodeWithDeps(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		need(t, "node not found: the JavaScript SDK test needs Node.js 20+ and npm, then scripts/jsdeps.sh")
	}
	v, err := exec.Command(node, "--version").Output()
	if err != nil {
		need(t, "node --version: %v", err)
	}
	ver := strings.TrimSpace(string(v))
	major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(ver, "v"), ".", 2)[0])
	if major < 20 {
		need(t, "node %s: @aws-sdk/client-s3vectors needs Node.js 20+", ver)
	}
	lock, err := os.ReadFile(filepath.Join(jsDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	stamp, err := os.ReadFile(filepath.Join(jsDir, "node_modules", lockStamp))
	switch {
	case err != nil:
		need(t, "api/clients/js/node_modules is not installed: run scripts/jsdeps.sh")
	case strings.TrimSpace(string(stamp)) != hex.EncodeToString(sum[:]):
		need(t, "api/clients/js/node_modules is stale (package-lock.json changed since npm ci): run scripts/jsdeps.sh")
	}
	return node
}
