package datasets

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAptInstallRetriesAfterUpdate runs aptInstall against a fake apt-get (and sudo) that
// fails "install" until "update" has run.
func TestAptInstallRetriesAfterUpdate(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "calls")
	fake := `#!/bin/sh
echo "$*" >> ` + logf + `
case "$1" in
update) [ -n "$FAIL_UPDATE" ] && exit 1; touch ` + filepath.Join(dir, "updated") + `; exit 0 ;;
install) [ -f ` + filepath.Join(dir, "updated") + ` ] && exit 0; echo "E: Unable to locate package" >&2; exit 100 ;;
esac
exit 2
`
	sudo := "#!/bin/sh\n[ \"$1\" = -n ] && shift\nexec \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "apt-get"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sudo"), []byte(sudo), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	var log bytes.Buffer
	if err := aptInstall(context.Background(), &log, "dataset-x"); err != nil {
		t.Fatalf("aptInstall: %v\n%s", err, log.String())
	}
	calls, _ := os.ReadFile(logf)
	want := "install -y --no-install-recommends dataset-x\nupdate\ninstall -y --no-install-recommends dataset-x\n"
	if string(calls) != want {
		t.Fatalf("calls:\n%s\nwant:\n%s", calls, want)
	}
	if !strings.Contains(log.String(), "running:") || !strings.Contains(log.String(), "Unable to locate") {
		t.Errorf("log does not show what ran:\n%s", log.String())
	}

	os.Remove(filepath.Join(dir, "updated"))
	t.Setenv("FAIL_UPDATE", "1")
	if err := aptInstall(context.Background(), &log, "dataset-x"); err == nil {
		t.Fatal("no error when apt-get update fails")
	}
}
