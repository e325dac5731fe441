package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vectorbucket/vectorbucket/index/filter"
	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Index is one open vector index. It is safe for concurrent use; several
// Index instances (in one or many processes) may share an index through the
// store. Obtain one with DB.Index.
type Index struct {
	db            *DB
	store         objectstore.Store
	info          IndexInfo
	id            string
	nonFilterable func(string) bool

	mu      sync.Mutex
	cur     *view // newest known generation
	epoch   uint64
	closed  bool
	started bool

	// group commit
	wmu        sync.Mutex
	pending    []*writeReq
	committing bool
	wclosed    bool           // under wmu: Close has begun, no write is accepted
	committer  sync.WaitGroup // the commit goroutine; Close waits for it

	// background indexer
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	// compactMu serializes folds (background and Compact).
	compactMu sync.Mutex
	lastGC    time.Time
	bgErr     atomic.Value // last background error (error), for tests and logs

	snaps snapshotCache // read views of snapshots (snapshot.go)
}

func newIndex(db *DB, info IndexInfo) *Index {
	return &Index{
		db: db, store: db.store, info: info, id: info.ID,
		nonFilterable: filter.KeySet(info.Config.NonFilterableKeys),
		kick:          make(chan struct{}, 1),
		stop:          make(chan struct{}),
		done:          make(chan struct{}),
	}
}

// Info describes the index.
func (ix *Index) Info() IndexInfo { return ix.info }

func (ix *Index) close() error {
	// Writes queued but not yet taken by the committer fail with ErrClosed
	// (none was acknowledged); the batch being committed finishes first,
	// while the index is still open for it.
	ix.wmu.Lock()
	ix.wclosed = true
	ix.wmu.Unlock()
	ix.committer.Wait()
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		return nil
	}
	ix.closed = true
	started := ix.started
	ix.mu.Unlock()
	close(ix.stop)
	if started {
		<-ix.done
	}
	return nil
}

func (ix *Index) isClosed() bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.closed
}

// view is one manifest generation with what reads need from it, loaded on
// first use.
type view struct {
	m        *manifest
	key      string
	fromHead bool                   // read from the head object (no manifest GET)
	verified atomic.Int64           // UnixNano when it was last known to be the newest
	next     atomic.Pointer[string] // the successor's manifest key, built once (successorKey)

	mu         sync.Mutex
	walLoaded  bool
	wal        []*segment
	walLatest  map[string]walPos // newest WAL entry per key (tombstones too)
	walLive    []walPos          // the newest entries that are not tombstones
	centLoaded bool
	centroids  []float32 // rows in the order of m.Neighborhoods
	centInv    []float32 // cosine: 1/‖centroid row‖ (0 for a zero row), computed once
	kfLoaded   bool
	keyFilters []keyFilter // rows of m.KeyFilters, nil when none is usable
}

type walPos struct{ seg, row int32 }

// now is the injected clock (Options.Now): every deadline and age in the
// index is measured on it.
func (ix *Index) now() time.Time { return ix.db.opts.Now() }

// revalidateWindow is how long a cached generation may be trusted with the
// cheap "does seq+1 exist?" probe. It must stay below the GC grace period:
// GC never deletes a manifest younger than the grace period, so within the
// window the successor of a cached generation cannot have vanished.
func (ix *Index) revalidateWindow() time.Duration { return ix.db.opts.Indexer.GCGrace / 2 }

// readView returns the generation a read uses: the cached one without a
// store request while it is within Options.ReadLease of its last
// verification, else current's.
func (ix *Index) readView(ctx context.Context) (*view, error) {
	if lease := ix.db.opts.ReadLease; lease > 0 && !ix.isClosed() {
		ix.mu.Lock()
		v := ix.cur
		ix.mu.Unlock()
		if v != nil && ix.now().Sub(time.Unix(0, v.verified.Load())) < lease {
			return v.check()
		}
	}
	return ix.current(ctx)
}

// successorKey is the key the next generation's manifest will have: every
// strongly consistent read checks it, so it is built once per view.
func (v *view) successorKey(id string) string {
	if k := v.next.Load(); k != nil {
		return *k
	}
	k := manifestKey(id, v.m.Seq+1)
	v.next.Store(&k)
	return k
}

// current returns the newest generation. Every read and commit starts here,
// which is what makes reads strongly consistent across processes.
func (ix *Index) current(ctx context.Context) (*view, error) {
	if ix.isClosed() {
		return nil, ErrClosed
	}
	ix.mu.Lock()
	v := ix.cur
	ix.mu.Unlock()
	start := ix.now()
	if v != nil && start.Sub(time.Unix(0, v.verified.Load())) < ix.revalidateWindow() {
		_, err := ix.store.Head(ctx, v.successorKey(ix.id))
		if errors.Is(err, objectstore.ErrNotFound) {
			v.verified.Store(start.UnixNano())
			return v.check()
		}
		if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
	}
	after := ""
	var head <-chan *manifest
	if v != nil {
		after = v.key
	} else if !ix.db.opts.NoCentroidPrefetch {
		head = ix.readHead(ctx)
		defer func() {
			if head != nil {
				<-head
			}
		}()
	}
	newest, hm, err := ix.newestManifest(ctx, after, head)
	head = nil
	if err != nil {
		return nil, err
	}
	if newest == "" {
		if v == nil {
			return nil, fmt.Errorf("%s/%s: %w", ix.info.Bucket, ix.info.Name, ErrIndexNotFound)
		}
		if _, err := ix.store.Head(ctx, v.key); errors.Is(err, objectstore.ErrNotFound) {
			return nil, fmt.Errorf("%s/%s: %w", ix.info.Bucket, ix.info.Name, ErrIndexNotFound)
		} else if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		v.verified.Store(start.UnixNano())
		return v.check()
	}
	if hm != nil && manifestKey(ix.id, hm.Seq) == newest {
		// The head is the newest generation: no manifest GET.
		nv := &view{m: hm, key: newest, fromHead: true}
		nv.verified.Store(start.UnixNano())
		return ix.install(nv).check()
	}
	data, _, err := ix.store.Get(ctx, newest)
	if errors.Is(err, objectstore.ErrNotFound) {
		return ix.current(ctx) // collected between list and get: look again
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", newest, err)
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", newest, err)
	}
	nv := &view{m: m, key: newest}
	nv.verified.Store(start.UnixNano())
	return ix.install(nv).check()
}

// newestManifest lists the manifests after after and returns the newest
// one's key. With head (a fresh handle's head read, started beside the
// first LIST page), a listing longer than one page continues from the
// head's sequence instead of paging through every manifest before it: the
// head names a committed generation, so every newer one sorts after it.
// Manifests the bulk ingest of a large index leaves inside the GC grace
// period (one per write batch) then cost at most one more page, not one
// per thousand. It also returns the head's manifest (nil: none or unusable).
func (ix *Index) newestManifest(ctx context.Context, after string, head <-chan *manifest) (string, *manifest, error) {
	var hm *manifest
	newest := ""
	for {
		page, err := ix.store.List(ctx, objectstore.ListOptions{Prefix: manifestDir(ix.id), StartAfter: after})
		if err != nil {
			if head != nil {
				<-head
			}
			return "", nil, fmt.Errorf("list manifests: %w", err)
		}
		for _, a := range page.Objects {
			if _, ok := parseManifestKey(a.Key); ok {
				newest = a.Key
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
		if head != nil {
			hm, head = <-head, nil
			if hm != nil && hm.Seq > 0 {
				after = max(after, manifestKey(ix.id, hm.Seq-1))
			}
		}
	}
	if head != nil {
		hm = <-head
	}
	return newest, hm, nil
}

// install makes v the cached generation unless a newer one is cached.
func (ix *Index) install(v *view) *view {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.cur == nil || ix.cur.m.Seq < v.m.Seq {
		ix.cur = v
	} else if ix.cur.m.Seq == v.m.Seq {
		ix.cur.verified.Store(max(ix.cur.verified.Load(), v.verified.Load()))
		return ix.cur
	}
	return v
}

func (v *view) check() (*view, error) {
	if v.m.Deleted {
		return nil, fmt.Errorf("index %s deleted: %w", v.m.IndexID, ErrIndexNotFound)
	}
	return v, nil
}

// listAfter iterates over keys under prefix that sort after after.
func listAfter(ctx context.Context, s objectstore.Store, prefix, after string) func(func(objectstore.Attrs, error) bool) {
	return func(yield func(objectstore.Attrs, error) bool) {
		for {
			page, err := s.List(ctx, objectstore.ListOptions{Prefix: prefix, StartAfter: after})
			if err != nil {
				yield(objectstore.Attrs{}, err)
				return
			}
			for _, a := range page.Objects {
				if !yield(a, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			after = page.Next
		}
	}
}

// errConflictRetry reports that a commit lost the race and must be rebuilt.
var errConflictRetry = errors.New("manifest commit lost the race")

// commitAnswerBound is the fraction of the GC grace period within which a
// manifest Put must be answered, counted from the older of the base's
// verification and the birth of the objects it newly references. Attempts
// start only within half the grace period (revalidateWindow); the last
// quarter is margin for clock skew and a request that lands after its
// client gave up.
func (ix *Index) commitAnswerBound() time.Duration { return ix.db.opts.Indexer.GCGrace * 3 / 4 }

// commit writes next (built from base) create-only. born is when the
// oldest object that next references and no committed manifest does was
// written (zero: none). It returns errConflictRetry when another writer
// committed first, or when base or those objects are too old for the
// attempt to be safe: GC deletes superseded manifests and unreferenced
// objects once they are older than the grace period, so a late manifest
// could otherwise fork the history or reference deleted objects. Callers
// re-read the base, and rewrite objects older than revalidateWindow under
// fresh names (or give up) before they try again.
func (ix *Index) commit(ctx context.Context, base *view, next *manifest, born time.Time) (*view, error) {
	ix.mu.Lock()
	if ix.epoch == 0 {
		ix.epoch = base.m.Epoch + 1
	}
	next.Epoch = max(ix.epoch, base.m.Epoch)
	ix.mu.Unlock()
	start := ix.now()
	oldest := time.Unix(0, base.verified.Load())
	if !born.IsZero() && born.Before(oldest) {
		oldest = born
	}
	if start.Sub(oldest) > ix.revalidateWindow() {
		// The base may be old enough for GC to have collected its
		// successor, or the objects old enough to be collected: re-read
		// (and rewrite) instead of risking a create-only write that
		// succeeds only because the newer generation is gone, or that
		// references deleted objects.
		return nil, errConflictRetry
	}
	key := manifestKey(ix.id, next.Seq)
	// The deadline is measured on the injected clock (Options.Now).
	pctx, cancel := context.WithTimeout(ctx, oldest.Add(ix.commitAnswerBound()).Sub(start))
	defer cancel()
	if _, err := ix.store.Put(pctx, key, next.encode(), objectstore.CreateOnly()); err != nil {
		if errors.Is(err, objectstore.ErrPreconditionFailed) {
			return nil, errConflictRetry
		}
		if pctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("commit manifest %d: not answered within %v of its base and objects, outcome unknown: %w", next.Seq, ix.commitAnswerBound(), err)
		}
		return nil, fmt.Errorf("commit manifest %d: %w", next.Seq, err)
	}
	nv := &view{m: next, key: key}
	nv.verified.Store(start.UnixNano())
	// Carry over what the base already loaded that the new generation shares.
	nv.inherit(base)
	return ix.install(nv), nil
}

// commitTombstone marks the index deleted in a final generation.
func (ix *Index) commitTombstone(ctx context.Context) error {
	for {
		v, err := ix.current(ctx)
		if err != nil {
			return err
		}
		next := v.m.next()
		next.Deleted = true
		_, err = ix.commit(ctx, v, next, time.Time{})
		if errors.Is(err, errConflictRetry) {
			continue
		}
		return err
	}
}
