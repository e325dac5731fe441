package clients

import (
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
	runNode(t, node, "console.mjs", s, 3*time.Minute,
		"CHROMIUM="+browser,
		"CONSOLE_SCREENSHOT="+shot,
		// Chromium writes its profile and crash dumps under HOME.
		"HOME="+t.TempDir(),
	)
}
