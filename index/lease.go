package index

import (
	"context"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// A fold lease keeps GC away from the objects of a long fold. GC deletes
// unreferenced objects older than the grace period, so a fold may commit
// only while the objects it wrote are young (revalidateWindow); a build of
// millions of vectors writes for longer than that. Every object a fold
// writes is named with the fold's id (nbhd/<fold>-<random>.arrow, likewise
// under centroids/ and keys/). Once a fold has been writing for a quarter
// of the grace period, it writes data/<id>/leases/<fold>, and rewrites it
// every quarter period while it runs; GC skips the objects of every fold
// whose lease is younger than the grace period. The commit's age bound then
// counts from the newest lease write that succeeded (issued at that time,
// so its ModTime is no older), not from the first object: the fold stays
// safe to commit as long as its lease is renewed. A crashed fold's lease
// stops being renewed; GC deletes it after the grace period, and the
// fold's objects after that.

func leaseDir(id string) string { return dataDir(id) + "leases/" }

// foldOf returns the fold id in the name of an object a fold wrote ("" for
// objects named before fold ids).
func foldOf(key string) string {
	f, _, ok := strings.Cut(path.Base(key), "-")
	if !ok {
		return ""
	}
	return f
}

// foldLease renews one fold's lease in the background.
type foldLease struct {
	ix   *Index
	id   string // the fold id
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	renewed time.Time // issue time of the newest successful lease write
	written bool
}

// startLease starts renewing a lease for fold id: first after a quarter
// of the grace period, then every quarter period, until end.
func (ix *Index) startLease(id string) *foldLease {
	l := &foldLease{ix: ix, id: id, stop: make(chan struct{}), done: make(chan struct{})}
	every := ix.db.opts.Indexer.GCGrace / 4
	go func() {
		defer close(l.done)
		t := time.NewTimer(every)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-ix.stop:
				return
			case <-t.C:
			}
			issued := ix.now()
			ctx, cancel := context.WithTimeout(context.Background(), every)
			_, err := ix.store.Put(ctx, leaseDir(ix.id)+id, []byte(issued.UTC().Format(time.RFC3339Nano)), objectstore.Condition{})
			cancel()
			l.mu.Lock()
			l.written = true // even a failed write may have landed
			if err == nil {
				l.renewed = issued
			}
			l.mu.Unlock()
			t.Reset(every)
		}
	}()
	return l
}

// since returns when the protection of the fold's objects that were
// written from born on started: born, or the newest lease renewal if later.
func (l *foldLease) since(born time.Time) time.Time {
	if l == nil {
		return born
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if born.IsZero() || l.renewed.After(born) {
		return l.renewed
	}
	return born
}

// end stops the renewals and deletes the lease (a failed delete leaves it
// to GC).
func (l *foldLease) end(ctx context.Context) {
	if l == nil {
		return
	}
	close(l.stop)
	<-l.done
	if l.written {
		_ = l.ix.store.Delete(ctx, leaseDir(l.ix.id)+l.id)
	}
}

// liveLeases lists the fold leases younger than grace at now, and deletes
// the older ones (their folds stopped renewing them).
func (ix *Index) liveLeases(ctx context.Context, now time.Time, grace time.Duration) (map[string]bool, error) {
	live := map[string]bool{}
	for a, err := range listAfter(ctx, ix.store, leaseDir(ix.id), "") {
		if err != nil {
			return nil, err
		}
		if now.Sub(a.ModTime) < grace {
			live[path.Base(a.Key)] = true
			continue
		}
		if err := ix.store.Delete(ctx, a.Key); err != nil {
			return nil, err
		}
	}
	return live, nil
}
