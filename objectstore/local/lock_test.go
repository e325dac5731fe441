package local

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/internal/flock"
)

// TestLockAcrossHandles: a stripe held through one handle (a separate open
// file description, as another process would have) blocks writers of that
// stripe in another handle until released, and a blocked writer honours
// its context.
func TestLockAcrossHandles(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	unlockOnce, err := a.stripes[stripeOf("k")].lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	unlock := sync.OnceFunc(unlockOnce)
	defer unlock() // before a.Close, which waits for the stripe
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	if _, err := b.Put(ctx, "k", []byte("x"), objectstore.CreateOnly()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Put while another handle holds the lock: %v, want DeadlineExceeded", err)
	}
	if err := b.Delete(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Delete while another handle holds the lock: %v, want DeadlineExceeded", err)
	}
	// A writer blocked on the other handle's lock (seen refused by flock,
	// not merely not finished yet) goes ahead once it is released.
	held := a.stripes[stripeOf("k")].file
	refused := make(chan struct{}, 1)
	defer flock.SetBusyHook(func(f *os.File) {
		if f != held {
			select {
			case refused <- struct{}{}:
			default:
			}
		}
	})()
	done := make(chan error, 1)
	go func() {
		_, err := b.Put(t.Context(), "k", []byte("x"), objectstore.CreateOnly())
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Put finished while the lock was held: %v", err)
	case <-refused:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for Put to find the lock held")
	}
	unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Put after unlock: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for Put after unlock")
	}
	if _, err := b.Head(t.Context(), "k"); err != nil {
		t.Errorf("Head: %v", err)
	}
}
