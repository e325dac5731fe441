package local

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore/internal/flock"
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
		flock.Unlock(s.file)
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
	if err := flock.Lock(ctx, s.file, 2*time.Millisecond); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("flock %s: %w", s.path, err)
	}
	return nil
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
