// Package deploy holds the Dockerfile and the systemd unit; its tests check them without a
// container engine: the Dockerfile's build command builds a static binary, its entry point
// refuses to serve on 0.0.0.0 without credentials, and systemd accepts the unit.
package deploy

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dockerfileLines returns the Dockerfile's instructions with continuation lines joined.
func dockerfileLines(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if cur == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		lines = append(lines, cur+l)
		cur = ""
	}
	return lines
}

// The Dockerfile's go build line, run as written from the repository root, gives a static
// executable whose entry point refuses 0.0.0.0 without credentials.
func TestDockerfileBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (not in -short)")
	}
	var build, entry, user string
	for _, l := range dockerfileLines(t) {
		if strings.HasPrefix(l, "USER ") {
			user = strings.TrimPrefix(l, "USER ")
		}
		if strings.HasPrefix(l, "RUN CGO_ENABLED=0 go build") {
			build = strings.TrimPrefix(l, "RUN ")
		}
		if strings.HasPrefix(l, "ENTRYPOINT ") {
			entry = strings.TrimPrefix(l, "ENTRYPOINT ")
		}
	}
	if build == "" || entry == "" {
		t.Fatalf("Dockerfile: build %q, entrypoint %q", build, entry)
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("Dockerfile runs as %q, want a non-root USER", user)
	}
	out := t.TempDir()
	build = strings.ReplaceAll(build, "/out/", out+"/")
	cmd := exec.Command("sh", "-c", build)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, b)
	}
	bin := filepath.Join(out, "vectorbucket")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked (has an ELF interpreter); distroless/static needs a static binary", bin)
		}
	}
	f.Close()
	// ENTRYPOINT ["/usr/local/bin/vectorbucket", "serve", ...] with /data replaced.
	var args []string
	for _, a := range strings.Split(strings.Trim(entry, "[]"), ",") {
		args = append(args, strings.Trim(strings.TrimSpace(a), `"`))
	}
	if args[0] != "/usr/local/bin/vectorbucket" || args[1] != "serve" {
		t.Fatalf("entrypoint %v", args)
	}
	for i := range args {
		if args[i] == "/data" {
			args[i] = t.TempDir()
		}
	}
	run := exec.Command(bin, args[1:]...)
	run.Env = []string{"HOME=" + t.TempDir()}
	b, err := run.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "refusing to listen on 0.0.0.0:8080 without credentials") {
		t.Fatalf("entrypoint without credentials: err %v\n%s", err, b)
	}
}

// systemd-analyze verify accepts the unit (with ExecStart pointing at a built binary).
func TestSystemdUnit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (not in -short)")
	}
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is missing: apt-get install systemd (scripts/deps.sh test installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "vectorbucket")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/vectorbucket")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	unit, err := os.ReadFile("vectorbucket.service")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "ExecStart=/usr/local/bin/vectorbucket serve ") {
		t.Fatal("unit has no ExecStart for /usr/local/bin/vectorbucket serve")
	}
	u := filepath.Join(dir, "vectorbucket.service")
	if err := os.WriteFile(u, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/vectorbucket", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(sa, "verify", u).CombinedOutput()
	if err != nil || strings.Contains(string(b), "vectorbucket.service:") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, b)
	}
}
