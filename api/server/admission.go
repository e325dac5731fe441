package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
)

// Admission control. Three bounds shed load at once instead of queueing it
// (queued requests hold memory and make every caller's latency worse):
//
//   - MaxInFlight: API requests served at once (503 beyond it);
//   - MaxBodyBytesInFlight: bytes of request bodies held at once, reserved
//     from Content-Length before the body is read (503 beyond it), so a
//     flood of 20 MiB PutVectors cannot exhaust memory;
//   - MaxIndexWrites / MaxIndexQueries: concurrent writes (PutVectors,
//     DeleteVectors) and queries (QueryVectors) per index (429
//     TooManyRequestsException beyond them, as S3 Vectors answers a rate
//     excess; one hot index cannot take every slot).
//
// Every refusal carries Retry-After; the AWS SDKs retry both codes with
// backoff, and our client waits at least Retry-After.

// retryAfter is the Retry-After of a refusal: long enough for an in-flight
// batch to finish, short enough not to idle a client.
const retryAfter = time.Second

// bodyBudget reserves request body bytes against a limit.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
}

// reserve takes n bytes and reports whether they fit; a reservation larger
// than the whole limit is allowed when nothing else is reserved, so that a
// limit below MaxBodyBytes never refuses every large request.
func (b *bodyBudget) reserve(n int64) bool {
	if u := b.used.Add(n); u > b.limit && u != n {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *bodyBudget) release(n int64) { b.used.Add(-n) }

// indexLoad counts the writes and queries in progress on one index.
type indexLoad struct{ writes, queries atomic.Int32 }

// admission holds the per-index counters.
type admission struct {
	maxWrites, maxQueries int32
	loads                 sync.Map // bucket + "\x00" + index -> *indexLoad
}

func (a *admission) load(bucket, index string) *indexLoad {
	k := bucket + "\x00" + index
	if l, ok := a.loads.Load(k); ok {
		return l.(*indexLoad)
	}
	l, _ := a.loads.LoadOrStore(k, new(indexLoad))
	return l.(*indexLoad)
}

// admit counts one request of the given kind on bucket/index, or refuses
// it with TooManyRequestsException when the index has max of that kind in
// progress. done must be called when an admitted request ends.
func (a *admission) admit(bucket, index string, write bool) (done func(), err error) {
	if a == nil {
		return func() {}, nil
	}
	l := a.load(bucket, index)
	ctr, max, what := &l.queries, a.maxQueries, "queries"
	if write {
		ctr, max, what = &l.writes, a.maxWrites, "writes"
	}
	if max <= 0 {
		return func() {}, nil
	}
	if ctr.Add(1) > max {
		ctr.Add(-1)
		e := api.TooManyRequests("index %q has %d %s in progress, the most this server admits at once; retry later", index, max, what)
		e.RetryAfter = retryAfter
		return nil, e
	}
	return func() { ctr.Add(-1) }, nil
}
