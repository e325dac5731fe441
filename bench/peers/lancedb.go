package peers

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vectorbucket/vectorbucket/datasets"
)

//go:embed lancedb_peer.mjs
var lanceScript []byte

// LanceDB is LanceDB (npm @lancedb/lancedb) on local disk with its default IVF_PQ index and
// an exact re-rank of 10×k candidates, sweeping nprobes. It runs under node; the packages
// are installed with npm on first use ([InstallLanceDB]).
const LanceDB Engine = "lancedb"

// LanceDB's npm packages, pinned. apache-arrow is held at the newest version LanceDB
// declares as a peer.
var lancePackages = []string{"@lancedb/lancedb@0.39.0", "@lancedb/lancedb-linux-x64-gnu@0.39.0", "apache-arrow@18.1.0"}

// LanceDBDir is where LanceDB's npm packages are installed by default:
// <datasets.DataDir()>/_peers/lancedb-0.39.0.
func LanceDBDir() (string, error) {
	d, err := datasets.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "_peers", "lancedb-0.39.0"), nil
}

// InstallLanceDB installs LanceDB's npm packages into dir (default [LanceDBDir]) unless
// they are there, echoing npm's output to log, and returns the node_modules path.
func InstallLanceDB(ctx context.Context, dir string, log io.Writer) (string, error) {
	if dir == "" {
		var err error
		if dir, err = LanceDBDir(); err != nil {
			return "", err
		}
	}
	mods := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "@lancedb", "lancedb-linux-x64-gnu", "package.json")); err == nil {
		return mods, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("%w: npm not found (apt-get install npm)", ErrUnavailable)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"vectorbucket-lancedb-peer","private":true}`+"\n"), 0o644); err != nil {
		return "", err
	}
	args := append([]string{"install", "--no-audit", "--no-fund", "--omit=optional", "--prefix", dir}, lancePackages...)
	fmt.Fprintf(log, "peers: running: npm %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: npm install lancedb: %v", ErrUnavailable, err)
	}
	return mods, nil
}

// lanceCommand is the node command line that runs lancedb_peer.mjs.
func lanceCommand(ctx context.Context, dir string, paths map[string]string, d *datasets.Dataset, o Options) (*exec.Cmd, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: node not found (apt-get install nodejs npm)", ErrUnavailable)
	}
	mods, err := InstallLanceDB(ctx, o.LanceDBDir, o.Log)
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "lancedb_peer.mjs")
	if err := os.WriteFile(script, lanceScript, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, script, "--train", paths["train"], "--test", paths["test"],
		"--metric", d.Metric, "--k", fmt.Sprint(o.K), "--out", paths["out"])
	if o.Build != nil {
		cmd.Args = append(cmd.Args, "--build", jsonString(o.Build))
	}
	if o.Sweep != nil {
		cmd.Args = append(cmd.Args, "--sweep", jsonString(map[string][]int{"nprobes": o.Sweep}))
	}
	cmd.Env = append(os.Environ(), "LANCEDB_MODULES="+mods, "LANCE_LOG=error", "RUST_LOG=error")
	return cmd, nil
}
