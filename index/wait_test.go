package index

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// waitTimeout bounds a test's wait for an event (a stalled operation, an
// indexer pass): far longer than any takes, even under the race detector
// on a loaded machine, and short enough that a lost event fails the test
// instead of hanging it.
const waitTimeout = 30 * time.Second

// testClock is a clock to inject (Options.Now and mem.NewWithClock): real
// time plus an offset the test advances, so that grace periods and ages
// pass at once instead of being slept through, for the index and the
// objects' ModTime alike.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// advance moves the clock d forward.
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// indexerPasses sets opts to signal each background indexer pass on the
// returned channel (one pending signal at most; the indexer never blocks).
func indexerPasses(opts *Options) <-chan struct{} {
	passes := make(chan struct{}, 1)
	opts.afterIndexerPass = func(*Index) {
		select {
		case passes <- struct{}{}:
		default:
		}
	}
	return passes
}

// waitFolded waits, pass by pass of its background indexer (passes, from
// indexerPasses), until ix's newest generation has neighborhoods and no WAL
// left, and returns how many passes it waited for. It fails t after timeout.
func waitFolded(t testing.TB, ix *Index, passes <-chan struct{}, timeout time.Duration) int {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for n := 0; ; n++ {
		ix.mu.Lock()
		v := ix.cur
		ix.mu.Unlock()
		if v != nil && len(v.m.WAL) == 0 && len(v.m.Neighborhoods) > 0 {
			return n
		}
		select {
		case <-passes:
		case <-deadline.C:
			wal := 0
			if v != nil {
				wal = v.m.walCount()
			}
			t.Fatalf("the background indexer did not fold the WAL within %v (%d passes): %d WAL vectors left, last error %v",
				timeout, n, wal, ix.bgErr.Load())
		}
	}
}

// pollUntil spins (yielding the processor) until cond holds, for states no
// event announces (a write waiting in the commit queue); it fails t after
// waitTimeout.
func pollUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		runtime.Gosched()
	}
}
