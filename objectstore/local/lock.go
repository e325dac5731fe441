package local

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockStripes is the number of lock files. Every process sharing a directory
// must map a key to the same stripe, so it is part of the on-disk format.
const lockStripes = 64

// stripe serialises writers of the keys that hash to it: within a process
// through a one-slot channel (so waiting honours ctx), across processes
// through flock(2) on <root>/locks/<n>.
type stripe struct {
	sem  chan struct{}
	file *os.File // opened on first use, guarded by sem
	path string
}

func newStripes(root string) []*stripe {
	s := make([]*stripe, lockStripes)
	for i := range s {
		s[i] = &stripe{sem: make(chan struct{}, 1), path: filepath.Join(root, "locks", fmt.Sprintf("%02d", i))}
	}
	return s
}

func stripeOf(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % lockStripes)
}

// lock takes the stripe in this process and then across processes. The
// returned function releases both.
func (s *stripe) lock(ctx context.Context) (func(), error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := s.flock(ctx); err != nil {
		<-s.sem
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(s.file.Fd()), syscall.LOCK_UN)
		<-s.sem
	}, nil
}

func (s *stripe) flock(ctx context.Context) error {
	if s.file == nil {
		f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("open lock file: %w", err)
		}
		s.file = f
	}
	fd := int(s.file.Fd())
	wait := 20 * time.Microsecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return fmt.Errorf("flock %s: %w", s.path, err)
		}
		// Another process holds the stripe; poll with backoff so ctx
		// cancellation is honoured.
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, 2*time.Millisecond)
	}
}

// close releases the stripe's file.
func (s *stripe) close() error {
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}
