package datasets

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// runLogged runs a command in dir, echoing the command line and its output to log.
func runLogged(ctx context.Context, log io.Writer, dir, name string, args ...string) error {
	fmt.Fprintf(log, "datasets: running: %s %s\n", name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// aptInstall installs Debian packages with apt-get (through sudo when not root), running
// apt-get update and trying again if the first attempt fails.
func aptInstall(ctx context.Context, log io.Writer, pkgs ...string) error {
	apt := func(args ...string) error {
		if os.Geteuid() != 0 {
			if _, err := exec.LookPath("sudo"); err == nil {
				return runLogged(ctx, log, "", "sudo", append([]string{"-n", "apt-get"}, args...)...)
			}
		}
		return runLogged(ctx, log, "", "apt-get", args...)
	}
	install := append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)
	if err := apt(install...); err == nil {
		return nil
	}
	if err := apt("update"); err != nil {
		return fmt.Errorf("install %s: %w", strings.Join(pkgs, " "), err)
	}
	if err := apt(install...); err != nil {
		return fmt.Errorf("install %s: %w", strings.Join(pkgs, " "), err)
	}
	return nil
}

// allExist reports whether every path exists.
func allExist(paths ...string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}
