package volumes_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// waitTimeout bounds every wait for an event of a workload: far longer
// than any of them takes, even under the race detector on a loaded machine,
// and short enough that a lost event fails the test instead of hanging it.
const waitTimeout = 30 * time.Second

// midRun is an objectstore.Injector that fails nothing: the n-th operation
// through it (counting from 1) first runs fault, so a fault lands in the
// middle of a workload at a point fixed by its operation count, not by a
// timer. Operations that start once fault has returned are counted.
type midRun struct {
	n     int64
	fault func()
	seen  atomic.Int64
	done  chan struct{} // closed once fault has returned
	after atomic.Int64
}

func newMidRun(n int64, fault func()) *midRun {
	return &midRun{n: n, fault: fault, done: make(chan struct{})}
}

func (m *midRun) MaybeError(objectstore.Op) error {
	switch i := m.seen.Add(1); {
	case i == m.n:
		m.fault()
		close(m.done)
	case i > m.n:
		select {
		case <-m.done:
			m.after.Add(1)
		default:
		}
	}
	return nil
}

// check fails t unless the fault ran and at least one operation started
// after it.
func (m *midRun) check(t *testing.T) {
	t.Helper()
	select {
	case <-m.done:
	default:
		t.Fatalf("the fault never ran: %d operations, want it at operation %d", m.seen.Load(), m.n)
	}
	t.Logf("fault at operation %d of %d; %d operations started after it", m.n, m.seen.Load(), m.after.Load())
	if m.after.Load() == 0 {
		t.Errorf("no operation started after the fault")
	}
}

// progress counts the operations of a workload, so that a test can wait
// until it has done some more (one waiter at a time).
type progress struct {
	mu      sync.Mutex
	n       int64
	target  int64
	reached chan struct{} // closed once n reaches target; nil: no waiter
}

func (p *progress) add() {
	p.mu.Lock()
	p.n++
	if p.reached != nil && p.n >= p.target {
		close(p.reached)
		p.reached = nil
	}
	p.mu.Unlock()
}

func (p *progress) count() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// more returns a channel closed once k more operations than so far have
// been counted.
func (p *progress) more(k int64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := make(chan struct{})
	if k <= 0 {
		close(ch)
		return ch
	}
	p.target, p.reached = p.n+k, ch
	return ch
}

// await waits for every channel in chs to be closed, failing t after
// waitTimeout with what it was waiting for, or at once if failed (which may
// be nil) is closed: a worker gave up, so the workload will not get there.
func await(t *testing.T, what string, failed <-chan struct{}, chs ...<-chan struct{}) {
	t.Helper()
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for _, ch := range chs {
		select {
		case <-ch:
		case <-failed:
			t.Fatalf("a worker failed while waiting for %s", what)
		case <-timeout.C:
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
	}
}
