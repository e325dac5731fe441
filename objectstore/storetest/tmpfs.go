package storetest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// MountTmpfs mounts a tmpfs of size bytes on a fresh directory and returns
// it; the test's cleanup unmounts it. A small tmpfs is a real file system
// that fills up (ENOSPC), for the disk-full tests. Mounting needs root (or CAP_SYS_ADMIN):
// without it the test is skipped, except under CI (env CI set), where it
// fails.
func MountTmpfs(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): %v: %s", err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}
