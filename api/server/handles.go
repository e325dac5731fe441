package server

import (
	"context"
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/index"
)

// Index handles.
//
// index.DB.Index reads and decodes the index's catalog record from the
// store on every call (one object GET: a file read on the local store, a
// round trip on S3). The data-plane operations therefore keep the opened
// handle per bucket and name, with what each request derives from the
// record (the metric's wire name, the backlog gauge) decoded once.
//
// The rule that keeps a cached handle honest, across processes too: a
// handle is only ever used through operations that start by finding the
// index's newest manifest generation (index.Index.current — every read and
// every write does it, so strong consistency already requires it), and
// DeleteIndex commits a tombstone generation before it removes the catalog
// record. So once an index is deleted, by this process or any other, the
// next request through a cached handle fails with index.ErrIndexNotFound
// (or index.ErrClosed when this process deleted it); the backend then drops
// the entry and resolves the name once more through the catalog, which
// answers NotFound — or opens the index recreated under the same name,
// which serves that very request. Errors that a handle raises from its
// cached configuration before reaching the store (a vector of the deleted
// index's dimension) are checked against the catalog the same way (see
// withIndex). A stale handle can therefore never serve a deleted index, not
// even once; the cache only saves the catalog read of successful requests.
// DeleteIndex and DeleteVectorBucket on this process also drop entries at
// once.

// indexKey names an index in the handle cache.
type indexKey struct{ bucket, name string }

// handle is an opened index and what requests derive from its record.
type handle struct {
	ix      *index.Index
	metric  api.DistanceMetric
	backlog prometheus.Gauge
}

// handles is the cache of opened index handles.
type handles struct {
	mu sync.RWMutex
	m  map[indexKey]*handle
}

// errStaleHandle reports whether err means that the handle's index is gone
// (deleted, or this process closed it), so that the name must be resolved
// again through the catalog.
func errStaleHandle(err error) bool {
	return errors.Is(err, index.ErrIndexNotFound) || errors.Is(err, index.ErrClosed)
}

// open returns the handle of bucket/name, from the cache or the catalog,
// and whether it came from the cache.
func (b *indexBackend) open(ctx context.Context, bucket, name string) (*handle, bool, error) {
	k := indexKey{bucket, name}
	b.hs.mu.RLock()
	h := b.hs.m[k]
	b.hs.mu.RUnlock()
	if h != nil {
		return h, true, nil
	}
	ix, err := b.db.Index(ctx, bucket, name)
	if err != nil {
		return nil, false, err
	}
	h = &handle{ix: ix, metric: api.DistanceMetric(ix.Info().Config.Metric.String()), backlog: b.m.backlogOf(bucket, name)}
	b.hs.mu.Lock()
	if b.hs.m == nil {
		b.hs.m = map[indexKey]*handle{}
	}
	if cur := b.hs.m[k]; cur != nil && cur.ix == ix {
		h = cur
	} else {
		b.hs.m[k] = h
	}
	b.hs.mu.Unlock()
	return h, false, nil
}

// drop removes h from the cache if it is still the entry of bucket/name.
func (b *indexBackend) drop(bucket, name string, h *handle) {
	k := indexKey{bucket, name}
	b.hs.mu.Lock()
	if b.hs.m[k] == h {
		delete(b.hs.m, k)
	}
	b.hs.mu.Unlock()
}

// dropAll removes every entry of bucket/name ("" name: of the bucket).
func (b *indexBackend) dropAll(bucket, name string) {
	b.hs.mu.Lock()
	for k := range b.hs.m {
		if k.bucket == bucket && (name == "" || k.name == name) {
			delete(b.hs.m, k)
		}
	}
	b.hs.mu.Unlock()
}

// withIndex runs fn on the handle of bucket/name. When fn fails on a
// cached handle, the handle may belong to an index deleted meanwhile:
// either fn says so (errStaleHandle), or it failed a check made against
// the cached configuration before looking at the store (a vector of the
// old dimension is a ValidationException, not NotFound). So on any error
// from a cached handle the catalog is read once: if it names another index
// (or none), the entry is dropped and fn runs again on what the catalog
// resolves now. Every operation fn runs fails before it changes anything
// when the index is gone, so the retry never repeats a write. Errors are
// off the hot path; successes never read the catalog.
func (b *indexBackend) withIndex(ctx context.Context, bucket, name string, fn func(h *handle) error) error {
	h, cached, err := b.open(ctx, bucket, name)
	if err != nil {
		return err
	}
	err = fn(h)
	if err == nil {
		return nil
	}
	if !cached {
		if errStaleHandle(err) {
			b.drop(bucket, name, h)
		}
		return err
	}
	if !errStaleHandle(err) {
		info, ierr := b.db.GetIndex(ctx, bucket, name)
		if ierr == nil && info.ID == h.ix.Info().ID {
			return err // the handle is current: the error stands
		}
	}
	b.drop(bucket, name, h)
	if h, _, err = b.open(ctx, bucket, name); err != nil {
		return err
	}
	if err = fn(h); err != nil && errStaleHandle(err) {
		b.drop(bucket, name, h)
	}
	return err
}
