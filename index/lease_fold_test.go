package index

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// slowNbhdPuts delays every neighborhood write.
type slowNbhdPuts struct {
	objectstore.Store
	delay time.Duration
}

func (s *slowNbhdPuts) Put(ctx context.Context, key string, data []byte, c objectstore.Condition) (objectstore.Attrs, error) {
	if strings.Contains(key, "/nbhd/") {
		time.Sleep(s.delay)
	}
	return s.Store.Put(ctx, key, data, c)
}

// TestFoldLease: a build that writes for longer than the GC grace period
// commits (its lease renews the protection of its objects) while GC runs
// beside it the whole time, every object it references survives, and no
// lease is left behind. Without the lease the fold would be abandoned as
// expired and GC would delete its first objects.
func TestFoldLease(t *testing.T) {
	ctx := context.Background()
	const grace = time.Second
	store := &slowNbhdPuts{Store: mem.New(), delay: 150 * time.Millisecond}
	opts := Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 1, GCGrace: grace}}
	ix := newTestIndexOn(t, store, IndexConfig{Dimension: 4, Metric: neighborhoods.Euclidean}, opts)
	r := rand.New(rand.NewPCG(9, 9))
	vs := randVectors(r, 300, 4)
	if err := ix.Put(ctx, vs); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	gcErrs := 0
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := ix.GC(ctx); err != nil {
				gcErrs++
			}
		}
	}()
	start := time.Now()
	err := ix.Compact(ctx)
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("compact (%v): %v", took, err)
	}
	if gcErrs > 0 {
		t.Errorf("%d GC passes failed", gcErrs)
	}
	if took < grace {
		t.Fatalf("the build took %v, not longer than the grace period %v: the test proves nothing", took, grace)
	}
	v, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.m.Neighborhoods) == 0 {
		t.Fatal("no neighborhoods after the build")
	}
	for _, o := range v.m.objects() {
		if _, err := store.Head(ctx, o); err != nil {
			t.Errorf("referenced object %s: %v", o, err)
		}
	}
	res, _, err := ix.Query(ctx, QueryRequest{Vector: randVec(r, 4), TopK: 1000, Exact: true})
	if err != nil || len(res) != 300 {
		t.Errorf("exact query: %d of 300 (%v)", len(res), err)
	}
	for a, err := range objectstore.All(ctx, store, leaseDir(ix.id)) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("lease %s left after the build", a.Key)
	}
}
