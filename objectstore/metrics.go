package objectstore

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// LatencyBuckets are the upper bounds of the latency histogram buckets that
// Metrics keeps per operation (a last, unbounded bucket follows). They span
// a memory hit (µs) to a slow S3 request (seconds).
var LatencyBuckets = [...]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// Metrics is a Store that counts what passes through it. Counters are plain
// atomics; Snapshot reads them all.
type Metrics struct {
	s   Store
	ops [numOpKinds]opCounters
}

var _ Store = (*Metrics)(nil)

type opCounters struct {
	calls, errors, notFound, precondition atomic.Int64
	bytesIn, bytesOut                     atomic.Int64
	nanos                                 atomic.Int64
	buckets                               [len(LatencyBuckets) + 1]atomic.Int64
}

// NewMetrics wraps s with counters.
func NewMetrics(s Store) *Metrics { return &Metrics{s: s} }

// OpStats are the counters of one kind of operation.
type OpStats struct {
	// Calls is the number of operations, failed ones included.
	Calls int64
	// Errors counts failures other than NotFound and PreconditionFailed,
	// which are answers, not failures, and are counted on their own.
	Errors             int64
	NotFound           int64
	PreconditionFailed int64
	// BytesIn is bytes read from the store (Get, GetRange); BytesOut is
	// bytes written to it (Put).
	BytesIn, BytesOut int64
	// Latency is the total time spent in the operation;
	// LatencyCounts[i] counts operations that took at most
	// LatencyBuckets[i] (not cumulative), the last entry those slower than
	// every bucket.
	Latency       time.Duration
	LatencyCounts [len(LatencyBuckets) + 1]int64
}

// MetricsSnapshot holds the counters of every operation kind, indexed by
// OpKind.
type MetricsSnapshot struct {
	Ops [numOpKinds]OpStats
}

// Total sums the counters over every operation kind.
func (m MetricsSnapshot) Total() OpStats {
	var t OpStats
	for _, o := range m.Ops {
		t.Calls += o.Calls
		t.Errors += o.Errors
		t.NotFound += o.NotFound
		t.PreconditionFailed += o.PreconditionFailed
		t.BytesIn += o.BytesIn
		t.BytesOut += o.BytesOut
		t.Latency += o.Latency
		for i, c := range o.LatencyCounts {
			t.LatencyCounts[i] += c
		}
	}
	return t
}

// Snapshot reads every counter. Each counter is read atomically; the set is
// not a single atomic cut.
func (m *Metrics) Snapshot() MetricsSnapshot {
	var snap MetricsSnapshot
	for k := range m.ops {
		c := &m.ops[k]
		o := &snap.Ops[k]
		o.Calls = c.calls.Load()
		o.Errors = c.errors.Load()
		o.NotFound = c.notFound.Load()
		o.PreconditionFailed = c.precondition.Load()
		o.BytesIn = c.bytesIn.Load()
		o.BytesOut = c.bytesOut.Load()
		o.Latency = time.Duration(c.nanos.Load())
		for i := range c.buckets {
			o.LatencyCounts[i] = c.buckets[i].Load()
		}
	}
	return snap
}

func (m *Metrics) done(kind OpKind, start time.Time, in, out int, err error) {
	c := &m.ops[kind]
	d := time.Since(start)
	c.calls.Add(1)
	c.nanos.Add(int64(d))
	i := 0
	for i < len(LatencyBuckets) && d > LatencyBuckets[i] {
		i++
	}
	c.buckets[i].Add(1)
	switch {
	case err == nil:
		if in > 0 {
			c.bytesIn.Add(int64(in))
		}
		if out > 0 {
			c.bytesOut.Add(int64(out))
		}
	case errors.Is(err, ErrNotFound):
		c.notFound.Add(1)
	case errors.Is(err, ErrPreconditionFailed):
		c.precondition.Add(1)
	default:
		c.errors.Add(1)
	}
}

// Get counts a Get.
func (m *Metrics) Get(ctx context.Context, key string) ([]byte, Attrs, error) {
	start := time.Now()
	b, a, err := m.s.Get(ctx, key)
	m.done(OpGet, start, len(b), 0, err)
	return b, a, err
}

// GetRange counts a GetRange.
func (m *Metrics) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, Attrs, error) {
	start := time.Now()
	b, a, err := m.s.GetRange(ctx, key, offset, length)
	m.done(OpGetRange, start, len(b), 0, err)
	return b, a, err
}

// Head counts a Head.
func (m *Metrics) Head(ctx context.Context, key string) (Attrs, error) {
	start := time.Now()
	a, err := m.s.Head(ctx, key)
	m.done(OpHead, start, 0, 0, err)
	return a, err
}

// Put counts a Put.
func (m *Metrics) Put(ctx context.Context, key string, data []byte, cond Condition) (Attrs, error) {
	start := time.Now()
	a, err := m.s.Put(ctx, key, data, cond)
	m.done(OpPut, start, 0, len(data), err)
	return a, err
}

// Delete counts a Delete.
func (m *Metrics) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := m.s.Delete(ctx, key)
	m.done(OpDelete, start, 0, 0, err)
	return err
}

// List counts a List.
func (m *Metrics) List(ctx context.Context, opts ListOptions) (Page, error) {
	start := time.Now()
	p, err := m.s.List(ctx, opts)
	m.done(OpList, start, 0, 0, err)
	return p, err
}
