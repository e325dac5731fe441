package clients

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestConsole runs js/console.mjs: the web console of `vectorbucket serve`
// in headless Chromium (Debian's chromium, driven by playwright-core from
// js/package-lock.json), signed in with SigV4 computed in the page, against
// the vectorbucket binary. Without Chromium or the JavaScript packages it
// fails when CI is set and skips otherwise. CONSOLE_SCREENSHOT=path keeps a
// PNG of the final page (docs/console.png is one).
func TestConsole(t *testing.T) {
	skipShort(t)
	node := nodeWithDeps(t)
	browser := os.Getenv("CHROMIUM")
	if browser == "" {
		var err error
		if browser, err = exec.LookPath("chromium"); err != nil {
			need(t, "chromium not found: the console test needs Debian's chromium package (scripts/deps.sh test installs it) or CHROMIUM=path")
		}
	}
	s := startServer(t)
	shot := os.Getenv("CONSOLE_SCREENSHOT")
	if shot != "" {
		if abs, err := filepath.Abs(shot); err == nil {
			shot = abs
		}
	}
	env := append(cleanEnv(), noAWSConfig(t)...)
	env = append(env,
		"S3VECTORS_ENDPOINT="+s.endpoint,
		"S3VECTORS_REGION="+region,
		"S3VECTORS_ACCESS_KEY_ID="+accessKey,
		"S3VECTORS_SECRET_ACCESS_KEY="+secretKey,
		"CHROMIUM="+browser,
		"CONSOLE_SCREENSHOT="+shot,
		"AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true",
		// Chromium writes its profile and crash dumps under HOME.
		"HOME="+t.TempDir(),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "console.mjs")
	cmd.Dir = jsDir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node console.mjs: %v after %v\n--- node output:\n%s\n--- server log:\n%s", err, time.Since(start).Round(time.Millisecond), &out, s.log)
	}
	t.Logf("node console.mjs (%v):\n%s", time.Since(start).Round(time.Millisecond), &out)
}
