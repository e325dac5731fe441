package volumes

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore/internal/flock"
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
			flock.Unlock(f)
			f.Close()
		}
		<-sem
	}
	for _, v := range s.vols {
		f, err := os.OpenFile(filepath.Join(v.dir, lockDir, name), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			continue // volume missing or unwritable: lock the others
		}
		if err := flock.Lock(ctx, f, 5*time.Millisecond); err != nil {
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
