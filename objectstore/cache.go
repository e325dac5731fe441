package objectstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// DefaultCacheBytes is the memory bound of a Cache whose MaxBytes is zero.
const DefaultCacheBytes = 256 << 20

// CacheOptions configures NewCache.
type CacheOptions struct {
	// MaxBytes bounds the memory tier (object bytes plus a small per-entry
	// overhead). 0 means DefaultCacheBytes. Objects larger than MaxBytes are
	// not kept in memory.
	MaxBytes int64
	// DiskDir, when set, adds a local-disk tier below the memory tier:
	// every object fetched from the store is also written there, and a
	// memory miss is served from disk before the store. Files carry a
	// CRC32C checked on every read; a damaged file is dropped and refetched.
	DiskDir string
	// DiskMaxBytes bounds the disk tier; 0 means 8 × MaxBytes.
	DiskMaxBytes int64
	// Cacheable reports whether key names an immutable object that may be
	// cached. Nil means every key. Keys it rejects pass straight through.
	Cacheable func(key string) bool
}

// CacheStats are the counters of a Cache.
type CacheStats struct {
	// Hits were served from memory, DiskHits from the disk tier, Misses
	// from the store (whole-object reads only).
	Hits, DiskHits, Misses int64
	// RangeMisses are GetRange calls passed to the store because the
	// object was in neither tier (they do not fill the cache).
	RangeMisses int64
	// Evictions from memory and from disk.
	Evictions, DiskEvictions int64
	// DiskCorrupt counts disk-tier files that failed their checksum.
	DiskCorrupt int64
	// Entries and Bytes in memory; DiskEntries and DiskBytes on disk.
	Entries, Bytes         int64
	DiskEntries, DiskBytes int64
}

// Cache is a read-through cache in front of a Store, for immutable objects:
// a memory LRU bounded in bytes and an optional local-disk tier.
//
// Get and GetRange of a cacheable key are served from the cache when
// present; a missing object is fetched once with Get (concurrent callers
// wait for that one fetch) and kept. Put and Delete go to the store and then
// drop the key from both tiers, so a single Cache keeps read-after-write;
// a cache does not see writes made through other handles, which is why only
// immutable objects should be cacheable. Head and List pass through.
//
// Zero copy: a cache hit returns the cached slice itself, shared by every
// caller. Callers must not modify the bytes returned by Get or GetRange.
type Cache struct {
	s         Store
	maxBytes  int64
	cacheable func(string) bool
	disk      *diskTier

	mu      sync.Mutex
	entries map[string]*cacheEntry
	head    cacheEntry // sentinel of the LRU ring: head.next is the newest
	bytes   int64
	flights map[string]*flight
	epoch   atomic.Uint64 // bumped by every invalidation

	hits, diskHits, misses, rangeMisses, evictions atomic.Int64
}

var _ Store = (*Cache)(nil)

type cacheEntry struct {
	key        string
	data       []byte
	attrs      Attrs
	prev, next *cacheEntry
}

// entryOverhead approximates the memory of an entry beyond its bytes.
const entryOverhead = 160

func (e *cacheEntry) cost() int64 {
	return int64(len(e.data)+len(e.key)+len(e.attrs.ETag)) + entryOverhead
}

// flight is one fetch of a key that concurrent Gets share.
type flight struct {
	done  chan struct{}
	data  []byte
	attrs Attrs
	err   error
}

// NewCache returns a cache in front of s.
func NewCache(s Store, opts CacheOptions) (*Cache, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultCacheBytes
	}
	c := &Cache{
		s:         s,
		maxBytes:  opts.MaxBytes,
		cacheable: opts.Cacheable,
		entries:   make(map[string]*cacheEntry),
		flights:   make(map[string]*flight),
	}
	c.head.next, c.head.prev = &c.head, &c.head
	if opts.DiskDir != "" {
		limit := opts.DiskMaxBytes
		if limit <= 0 {
			limit = 8 * opts.MaxBytes
		}
		d, err := openDiskTier(opts.DiskDir, limit)
		if err != nil {
			return nil, fmt.Errorf("open disk cache %s: %w", opts.DiskDir, err)
		}
		c.disk = d
	}
	return c, nil
}

// Stats reads the cache's counters.
func (c *Cache) Stats() CacheStats {
	st := CacheStats{
		Hits:        c.hits.Load(),
		DiskHits:    c.diskHits.Load(),
		Misses:      c.misses.Load(),
		RangeMisses: c.rangeMisses.Load(),
		Evictions:   c.evictions.Load(),
	}
	c.mu.Lock()
	st.Entries, st.Bytes = int64(len(c.entries)), c.bytes
	c.mu.Unlock()
	if c.disk != nil {
		st.DiskEntries, st.DiskBytes, st.DiskEvictions, st.DiskCorrupt = c.disk.stats()
	}
	return st
}

func (c *Cache) isCacheable(key string) bool {
	return c.cacheable == nil || c.cacheable(key)
}

// lookup returns the memory entry for key, marking it recently used.
func (c *Cache) lookup(key string) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok {
		c.unlink(e)
		c.pushFront(e)
	}
	return e, ok
}

func (c *Cache) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *Cache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.head, c.head.next
	c.head.next.prev = e
	c.head.next = e
}

// insert adds an entry unless an invalidation happened since epoch. The
// caller holds c.mu.
func (c *Cache) insertLocked(key string, data []byte, attrs Attrs, epoch uint64) {
	if c.epoch.Load() != epoch {
		return
	}
	e := &cacheEntry{key: key, data: data, attrs: attrs}
	if e.cost() > c.maxBytes {
		return
	}
	if old, ok := c.entries[key]; ok {
		c.unlink(old)
		c.bytes -= old.cost()
	}
	c.entries[key] = e
	c.pushFront(e)
	c.bytes += e.cost()
	for c.bytes > c.maxBytes {
		victim := c.head.prev
		c.unlink(victim)
		delete(c.entries, victim.key)
		c.bytes -= victim.cost()
		c.evictions.Add(1)
	}
}

// invalidate drops key from both tiers and detaches in-flight fetches.
func (c *Cache) invalidate(key string) {
	c.mu.Lock()
	c.epoch.Add(1)
	if e, ok := c.entries[key]; ok {
		c.unlink(e)
		delete(c.entries, key)
		c.bytes -= e.cost()
	}
	delete(c.flights, key)
	// Still under c.mu, so that no new fetch can find the old file.
	if c.disk != nil {
		c.disk.remove(key)
	}
	c.mu.Unlock()
}

// fetch returns the whole object from memory, a shared in-flight fetch, the
// disk tier or the store, in that order, filling the cache.
func (c *Cache) fetch(ctx context.Context, key string) ([]byte, Attrs, error) {
	for {
		c.mu.Lock()
		if e, ok := c.entries[key]; ok {
			c.unlink(e)
			c.pushFront(e)
			c.mu.Unlock()
			c.hits.Add(1)
			return e.data, e.attrs, nil
		}
		if f, ok := c.flights[key]; ok {
			c.mu.Unlock()
			select {
			case <-ctx.Done():
				return nil, Attrs{}, fmt.Errorf("get %s: %w", key, ctx.Err())
			case <-f.done:
			}
			if f.err != nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
				continue // the leader gave up; try again on our own context
			}
			return f.data, f.attrs, f.err
		}
		f := &flight{done: make(chan struct{})}
		c.flights[key] = f
		epoch := c.epoch.Load()
		c.mu.Unlock()

		f.data, f.attrs, f.err = c.fill(ctx, key, epoch)
		c.mu.Lock()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
		if f.err == nil {
			c.insertLocked(key, f.data, f.attrs, epoch)
		}
		c.mu.Unlock()
		close(f.done)
		return f.data, f.attrs, f.err
	}
}

// fill reads key from the disk tier or else the store (writing it to disk).
func (c *Cache) fill(ctx context.Context, key string, epoch uint64) ([]byte, Attrs, error) {
	if c.disk != nil {
		if data, attrs, ok := c.disk.get(key); ok {
			c.diskHits.Add(1)
			return data, attrs, nil
		}
	}
	c.misses.Add(1)
	data, attrs, err := c.s.Get(ctx, key)
	if err != nil {
		return nil, Attrs{}, err
	}
	if c.disk != nil {
		c.disk.put(key, data, attrs, func() bool { return c.epoch.Load() == epoch })
	}
	return data, attrs, nil
}

// Get returns the object, from the cache when it is there. The returned
// bytes are shared: do not modify them.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, Attrs, error) {
	if !c.isCacheable(key) {
		return c.s.Get(ctx, key)
	}
	if err := ValidateKey(key); err != nil {
		return nil, Attrs{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	return c.fetch(ctx, key)
}

// GetRange serves the range from a cached whole object (memory, then disk)
// and otherwise passes it to the store without filling the cache. The
// returned bytes may be shared: do not modify them.
func (c *Cache) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, Attrs, error) {
	if !c.isCacheable(key) {
		return c.s.GetRange(ctx, key, offset, length)
	}
	if err := ValidateKey(key); err != nil {
		return nil, Attrs{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	data, attrs, ok := c.cached(key)
	if !ok {
		c.rangeMisses.Add(1)
		return c.s.GetRange(ctx, key, offset, length)
	}
	start, end, err := ResolveRange(int64(len(data)), offset, length)
	if err != nil {
		return nil, Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	return data[start:end:end], attrs, nil
}

// cached returns key from memory or disk (promoting it to memory), without
// going to the store.
func (c *Cache) cached(key string) ([]byte, Attrs, bool) {
	if e, ok := c.lookup(key); ok {
		c.hits.Add(1)
		return e.data, e.attrs, true
	}
	if c.disk == nil {
		return nil, Attrs{}, false
	}
	epoch := c.epoch.Load()
	data, attrs, ok := c.disk.get(key)
	if !ok {
		return nil, Attrs{}, false
	}
	c.diskHits.Add(1)
	c.mu.Lock()
	c.insertLocked(key, data, attrs, epoch)
	c.mu.Unlock()
	return data, attrs, true
}

// Head passes through to the store.
func (c *Cache) Head(ctx context.Context, key string) (Attrs, error) { return c.s.Head(ctx, key) }

// List passes through to the store.
func (c *Cache) List(ctx context.Context, opts ListOptions) (Page, error) { return c.s.List(ctx, opts) }

// Put writes through to the store and then drops key from the cache.
func (c *Cache) Put(ctx context.Context, key string, data []byte, cond Condition) (Attrs, error) {
	a, err := c.s.Put(ctx, key, data, cond)
	if c.isCacheable(key) && ValidateKey(key) == nil {
		// Even a failed put may have written (an ambiguous failure).
		c.invalidate(key)
	}
	return a, err
}

// Delete deletes from the store and then drops key from the cache.
func (c *Cache) Delete(ctx context.Context, key string) error {
	err := c.s.Delete(ctx, key)
	if c.isCacheable(key) && ValidateKey(key) == nil {
		c.invalidate(key)
	}
	return err
}
