package flock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLockExcludes: two open files of one path exclude each other (flock
// locks belong to the open file), a waiter gives up with ctx, and gets the
// lock once it is released.
func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	a, b := open(), open()
	if err := Lock(t.Context(), a, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := Lock(ctx, b, time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock held elsewhere: %v, want deadline exceeded", err)
	}
	// The waiter must be refused (blocked on a's lock) before a releases.
	refused := make(chan struct{}, 1)
	defer SetBusyHook(func(f *os.File) {
		if f == b {
			select {
			case refused <- struct{}{}:
			default:
			}
		}
	})()
	done := make(chan error, 1)
	go func() { done <- Lock(t.Context(), b, time.Millisecond) }()
	select {
	case <-refused:
	case err := <-done:
		t.Fatalf("lock taken while held elsewhere: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for the waiter to find the lock held")
	}
	Unlock(a)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lock after release: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for the lock after its release")
	}
	Unlock(b)
}
