// Package flock takes and releases exclusive flock(2) locks on open files
// while honouring a context, for the file-based object stores (local and
// volumes) that serialise writers across processes.
package flock

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// busyHook, when set, is called with f each time Lock finds f locked
// elsewhere, just before it waits. It lets tests see that a locker is
// blocked instead of sleeping and hoping; unset, it costs one atomic load
// per refused try and nothing on the uncontended path.
var busyHook atomic.Pointer[func(f *os.File)]

// SetBusyHook installs fn as the hook Lock calls each time it finds a file
// locked elsewhere, for tests of the stores in this module (the package is
// internal); it returns a function that removes it. Not for concurrent
// tests: the hook is process-wide.
func SetBusyHook(fn func(f *os.File)) (remove func()) {
	busyHook.Store(&fn)
	return func() { busyHook.Store(nil) }
}

// Lock takes an exclusive flock on f. While another process holds it, Lock
// polls with exponential backoff from 20µs up to maxWait between tries, so
// that ctx cancellation is honoured; it then returns ctx.Err(). Other flock
// errors are returned unwrapped.
func Lock(ctx context.Context, f *os.File, maxWait time.Duration) error {
	fd := int(f.Fd())
	wait := 20 * time.Microsecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		}
		if h := busyHook.Load(); h != nil {
			(*h)(f)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, maxWait)
	}
}

// Unlock releases the flock on f; errors are ignored, as closing f
// releases it too.
func Unlock(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
