package volumes

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

// lockStripes is the number of key lock stripes. Every process sharing the
// volumes must map a key to the same stripe: it is part of the format.
const lockStripes = 64

// lockDir is the directory of lock files in each volume.
const lockDir = "vlocks"

func stripeOf(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % lockStripes)
}

// lockKey serializes writers of key's stripe: within the process through a
// one-slot channel, across processes through flock(2) on the stripe's lock
// file in every reachable volume, taken in volume order. It needs a
// majority of the volumes: any two majorities share a volume, so two
// processes can never both hold a stripe even while a volume is missing.
func (s *Store) lockKey(ctx context.Context, key string) (unlock func(), err error) {
	sem := s.stripes[stripeOf(key)]
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	name := fmt.Sprintf("%02d", stripeOf(key))
	var held []*os.File
	release := func() {
		for _, f := range held {
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		}
		<-sem
	}
	for _, v := range s.vols {
		f, err := os.OpenFile(filepath.Join(v.dir, lockDir, name), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			continue // volume missing or unwritable: lock the others
		}
		if err := flock(ctx, f); err != nil {
			f.Close()
			if ctx.Err() != nil {
				release()
				return nil, ctx.Err()
			}
			continue
		}
		held = append(held, f)
	}
	if len(held) < s.w {
		release()
		return nil, fmt.Errorf("lock %s: %d of %d volumes reachable, need %d: %w", key, len(held), len(s.vols), s.w, ErrNoQuorum)
	}
	return release, nil
}

// flock takes an exclusive flock on f, polling so that ctx is honoured.
func flock(ctx context.Context, f *os.File) error {
	wait := 20 * time.Microsecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Millisecond)
	}
}
