package bench

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// switchedLatency is an objectstore injector whose per-request delay can be
// turned on and off (ingest runs without it, queries with it).
type switchedLatency struct{ d atomic.Int64 }

func (s *switchedLatency) set(d time.Duration)                { s.d.Store(int64(d)) }
func (s *switchedLatency) MaybeError(objectstore.Op) error    { return nil }
func (s *switchedLatency) Delay(objectstore.Op) time.Duration { return time.Duration(s.d.Load()) }

// span is one store request: when it started and ended, relative to the
// tracer's epoch, and the bytes it read.
type span struct {
	start, end time.Duration
	bytes      int64
	get        bool
}

// tracer is a Store that records the time span of every request while
// enabled, so a query's sequential round trips can be counted.
type tracer struct {
	objectstore.Store
	epoch time.Time
	on    atomic.Bool
	mu    sync.Mutex
	spans []span
}

func newTracer(s objectstore.Store) *tracer { return &tracer{Store: s, epoch: time.Now()} }

// begin clears the recorded spans and starts recording.
func (t *tracer) begin() {
	t.mu.Lock()
	t.spans = t.spans[:0]
	t.mu.Unlock()
	t.on.Store(true)
}

// end stops recording and summarizes the spans since begin.
func (t *tracer) end() traffic {
	t.on.Store(false)
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := traffic{requests: len(t.spans), sequential: sequentialTrips(t.spans)}
	for _, s := range t.spans {
		if s.get {
			tr.objects++
			tr.bytes += s.bytes
		}
	}
	return tr
}

func (t *tracer) record(start time.Time, bytes int64, get bool) {
	if !t.on.Load() {
		return
	}
	s := span{start: start.Sub(t.epoch), end: time.Since(t.epoch), bytes: bytes, get: get}
	t.mu.Lock()
	t.spans = append(t.spans, s)
	t.mu.Unlock()
}

// traffic is what a query asked of the store.
type traffic struct {
	requests, objects, sequential int
	bytes                         int64
}

// sequentialTrips is the length of the longest chain of requests in which
// each starts after the previous one ended: the number of store round trips
// a query waits for one after another. Requests that overlap (parallel
// fetches) count once.
func sequentialTrips(spans []span) int {
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	depth := make([]int, len(s))
	best := 0
	for i := range s {
		depth[i] = 1
		// A predecessor ended before s[i] started, so it also started
		// before: it is among s[:i].
		for j := range i {
			if s[j].end <= s[i].start {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		best = max(best, depth[i])
	}
	return best
}

func (t *tracer) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	start := time.Now()
	b, a, err := t.Store.Get(ctx, key)
	t.record(start, int64(len(b)), true)
	return b, a, err
}

func (t *tracer) GetRange(ctx context.Context, key string, off, n int64) ([]byte, objectstore.Attrs, error) {
	start := time.Now()
	b, a, err := t.Store.GetRange(ctx, key, off, n)
	t.record(start, int64(len(b)), true)
	return b, a, err
}

func (t *tracer) Head(ctx context.Context, key string) (objectstore.Attrs, error) {
	start := time.Now()
	a, err := t.Store.Head(ctx, key)
	t.record(start, 0, false)
	return a, err
}

func (t *tracer) List(ctx context.Context, o objectstore.ListOptions) (objectstore.Page, error) {
	start := time.Now()
	p, err := t.Store.List(ctx, o)
	t.record(start, 0, false)
	return p, err
}

func (t *tracer) Put(ctx context.Context, key string, data []byte, c objectstore.Condition) (objectstore.Attrs, error) {
	start := time.Now()
	a, err := t.Store.Put(ctx, key, data, c)
	t.record(start, 0, false)
	return a, err
}

func (t *tracer) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := t.Store.Delete(ctx, key)
	t.record(start, 0, false)
	return err
}
