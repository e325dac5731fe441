package index

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
)

// segment is a decoded, immutable WAL or neighborhood object plus lazily
// built lookup structures. Objects never change once written, so a cached
// segment never needs invalidation.
type segment struct {
	*neighborhoods.Segment
	size int64

	// extra counts the bytes of the lookup structures built on demand
	// (key map, sorted rows, parsed metadata, sketches, RaBitQ codes);
	// owner is the cache holding the segment, charged for them too, so
	// that its budget covers everything a cached segment keeps alive.
	extra atomic.Int64
	owner atomic.Pointer[segmentCache]
	// charged is what owner counts for the segment (guarded by owner.mu).
	charged int64

	keysOnce sync.Once
	keyRow   map[string]int32

	sortOnce sync.Once
	sorted   []int32 // rows in key order

	metaOnce sync.Once
	meta     []map[string]any // parsed metadata per row (nil: none)

	// sketch holds the rows' sketches under the projection of the centroid
	// table last used with this segment (see sketch.go).
	sketch atomic.Pointer[segSketch]

	// quant holds the rows' RaBitQ codes, built on first use (quant.go).
	quant segCodes
}

// row returns the row holding key, or -1.
func (s *segment) row(key string) int {
	s.keysOnce.Do(func() {
		s.keyRow = make(map[string]int32, s.Len())
		for i := range s.Len() {
			s.keyRow[s.Key(i)] = int32(i)
		}
		s.charge(int64(s.Len()) * mapEntryBytes)
	})
	if r, ok := s.keyRow[key]; ok {
		return int(r)
	}
	return -1
}

// sortedRows returns the rows in ascending key order.
func (s *segment) sortedRows() []int32 {
	s.sortOnce.Do(func() {
		rows := make([]int32, s.Len())
		for i := range rows {
			rows[i] = int32(i)
		}
		slices.SortFunc(rows, func(a, b int32) int { return strings.Compare(s.Key(int(a)), s.Key(int(b))) })
		s.sorted = rows
		s.charge(int64(4 * len(rows)))
	})
	return s.sorted
}

// metadata returns row i's parsed metadata (nil when it has none).
func (s *segment) metadata(i int) map[string]any {
	s.metaOnce.Do(func() {
		s.meta = make([]map[string]any, s.Len())
		bytes := int64(8 * s.Len())
		for r := range s.Len() {
			if raw := s.Metadata(r); len(raw) > 0 {
				bytes += parsedMetadataFactor * int64(len(raw))
				var m map[string]any
				if json.Unmarshal(raw, &m) == nil {
					s.meta[r] = m
				}
			}
		}
		s.charge(bytes)
	})
	return s.meta[i]
}

// Estimates of what derived structures cost beyond their payload: a Go map
// entry of a string key (the key bytes are the segment's) and an int32, and
// parsed JSON metadata (maps, interface values, strings) per byte of JSON.
const (
	mapEntryBytes        = 48
	parsedMetadataFactor = 6
)

// charge records n more bytes held by s's derived structures, and charges
// the cache holding s, which may evict to stay within its budget.
func (s *segment) charge(n int64) {
	if n == 0 {
		return
	}
	s.extra.Add(n)
	if c := s.owner.Load(); c != nil {
		c.grow(s, n)
	}
}

// footprint is the bytes s keeps alive: the object and what was derived.
func (s *segment) footprint() int64 { return s.size + s.extra.Load() }

// segmentCache holds decoded segments by object key, least recently used
// first out, within a byte budget. Concurrent loads of one key share one
// fetch.
type segmentCache struct {
	mu       sync.Mutex
	budget   int64
	used     int64
	lru      *list.List // of *cacheEntry, front = most recent
	entries  map[string]*list.Element
	inflight map[string]*fetch
}

type cacheEntry struct {
	key string
	seg *segment
}

type fetch struct {
	done chan struct{}
	seg  *segment
	err  error
}

func newSegmentCache(budget int64) *segmentCache {
	return &segmentCache{budget: budget, lru: list.New(), entries: map[string]*list.Element{}, inflight: map[string]*fetch{}}
}

// ioStats counts what a read did.
type ioStats struct {
	objectsStore, objectsCache int
	bytesStore, bytesCache     int64
}

// cached fills out[i] with the cached segment of keys(i) for every i < n
// that is cached, under one lock and counting each hit in st as get does,
// and returns how many were not. Queries whose neighborhoods are all in
// RAM thus take no goroutine or channel per neighborhood.
func (c *segmentCache) cached(n int, keys func(int) string, out []*segment, st *ioStats) (missing int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range n {
		e, ok := c.entries[keys(i)]
		if !ok {
			missing++
			continue
		}
		c.lru.MoveToFront(e)
		s := e.Value.(*cacheEntry).seg
		out[i] = s
		st.objectsCache++
		st.bytesCache += s.size
	}
	return missing
}

// get returns the decoded object key, fetching it from store on a miss.
func (c *segmentCache) get(ctx context.Context, store objectstore.Store, key string, st *ioStats) (*segment, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.lru.MoveToFront(e)
		s := e.Value.(*cacheEntry).seg
		c.mu.Unlock()
		if st != nil {
			st.objectsCache++
			st.bytesCache += s.size
		}
		return s, nil
	}
	if f, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil {
			return nil, f.err
		}
		if st != nil {
			st.objectsCache++
			st.bytesCache += f.seg.size
		}
		return f.seg, nil
	}
	f := &fetch{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()

	f.seg, f.err = load(ctx, store, key)
	c.mu.Lock()
	delete(c.inflight, key)
	if f.err == nil {
		c.insertLocked(key, f.seg)
	}
	c.mu.Unlock()
	close(f.done)
	if f.err != nil {
		return nil, f.err
	}
	if st != nil {
		st.objectsStore++
		st.bytesStore += f.seg.size
	}
	return f.seg, nil
}

// add puts a segment the caller just wrote into the cache.
func (c *segmentCache) add(key string, s *segment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	c.insertLocked(key, s)
}

// insertLocked caches s under key and evicts to the budget; c.mu is held.
// A segment lives in at most one cache.
func (c *segmentCache) insertLocked(key string, s *segment) {
	c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, seg: s})
	s.owner.Store(c)
	s.charged = s.footprint()
	c.used += s.charged
	c.evictLocked()
}

// evictLocked drops least recently used segments until the cache is within
// its budget (the most recent one always stays); c.mu is held.
func (c *segmentCache) evictLocked() {
	for c.used > c.budget && c.lru.Len() > 1 {
		e := c.lru.Back()
		ce := e.Value.(*cacheEntry)
		c.lru.Remove(e)
		delete(c.entries, ce.key)
		ce.seg.owner.Store(nil)
		c.used -= ce.seg.charged
	}
}

// grow charges n bytes derived from s, when s is still cached here. (A
// charge racing the insertion may be counted twice; it is uncounted exactly
// when s is evicted, so the count never drifts.)
func (c *segmentCache) grow(s *segment, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.owner.Load() != c {
		return
	}
	s.charged += n
	c.used += n
	c.evictLocked()
}

// usage returns the bytes the cache counts and its budget.
func (c *segmentCache) usage() (used, budget int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, c.budget
}
func load(ctx context.Context, store objectstore.Store, key string) (*segment, error) {
	data, _, err := store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return decode(key, data)
}

func decode(key string, data []byte) (*segment, error) {
	seg, err := neighborhoods.DecodeSegment(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	return &segment{Segment: seg, size: int64(len(data))}, nil
}

// centroidCache keeps decoded centroid tables by object key (a handful of
// generations per open index; tables are small).
type centroidCache struct {
	mu      sync.Mutex
	entries map[string][]float32
	projs   map[string]*projEntry // sketch projections, derived lazily per table
	trees   map[string]*treeEntry // centroid trees, derived lazily per large table
	order   []string
}

const centroidCacheEntries = 64

func newCentroidCache() *centroidCache {
	return &centroidCache{entries: map[string][]float32{}, projs: map[string]*projEntry{}, trees: map[string]*treeEntry{}}
}

func (c *centroidCache) get(ctx context.Context, store objectstore.Store, key string, st *ioStats) ([]float32, error) {
	c.mu.Lock()
	if v, ok := c.entries[key]; ok {
		c.mu.Unlock()
		st.objectsCache++
		st.bytesCache += int64(4 * len(v))
		return v, nil
	}
	c.mu.Unlock()
	data, _, err := store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read centroids %s: %w", key, err)
	}
	st.objectsStore++
	st.bytesStore += int64(len(data))
	t, err := neighborhoods.DecodeCentroids(data)
	if err != nil {
		return nil, fmt.Errorf("decode centroids %s: %w", key, err)
	}
	c.add(key, t.Vectors())
	return t.Vectors(), nil
}

func (c *centroidCache) add(key string, vecs []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	c.entries[key] = vecs
	c.order = append(c.order, key)
	if len(c.order) > centroidCacheEntries {
		delete(c.entries, c.order[0])
		delete(c.projs, c.order[0])
		delete(c.trees, c.order[0])
		c.order = c.order[1:]
	}
}

// treeEntry is one centroid table's tree, built once in the background.
type treeEntry struct {
	done chan struct{}
	t    *neighborhoods.CentroidTree // nil when the build failed
}

// tree returns the centroid tree of the table stored as key (cents, dim-wide
// rows, metric), or nil while it is being built or when the table has fewer
// than centroidTreeMin rows. Like the projection it is a pure function of the
// immutable table, so it is derived once per key; the first caller starts the
// build on its own goroutine and queries choose centroids exhaustively until
// it is done, so no query waits for it.
func (c *centroidCache) tree(key string, cents []float32, dim int, metric neighborhoods.Metric) *neighborhoods.CentroidTree {
	if dim <= 0 || len(cents)/dim < centroidTreeMin {
		return nil
	}
	c.mu.Lock()
	e, ok := c.trees[key]
	if !ok {
		if _, cached := c.entries[key]; !cached {
			c.mu.Unlock()
			return nil
		}
		e = &treeEntry{done: make(chan struct{})}
		c.trees[key] = e
		go func() {
			defer close(e.done)
			t, err := neighborhoods.NewCentroidTree(context.Background(), cents, dim, metric, neighborhoods.TreeOptions{Seed: centroidTreeSeed})
			if err == nil {
				e.t = t
			}
		}()
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.t
	default:
		return nil
	}
}

// CacheUsage returns the bytes the decoded-object cache holds — decoded
// neighborhood and WAL objects plus what queries derived from them (key
// maps, parsed metadata, sketches, RaBitQ codes) — and its budget
// (Options.CacheBytes).
func (db *DB) CacheUsage() (used, budget int64) { return db.cache.usage() }
