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

// gateStore holds a Get of a manifest until a Get of a centroid table has
// started (or a timeout passed), recording whether it had to time out.
type gateStore struct {
	objectstore.Store
	once     sync.Once
	started  chan struct{}
	mu       sync.Mutex
	timedOut bool
}

func (g *gateStore) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	switch {
	case strings.Contains(key, "/centroids/"):
		g.once.Do(func() { close(g.started) })
	case strings.Contains(key, "/manifest/"):
		select {
		case <-g.started:
		case <-time.After(time.Second):
			g.mu.Lock()
			g.timedOut = true
			g.mu.Unlock()
		}
	}
	return g.Store.Get(ctx, key)
}

// TestCentroidPrefetch: without a head object, a fresh handle reads the
// centroid table while it reads the manifest (not after), and the query then finds the table in
// the cache; with NoCentroidPrefetch the manifest read waits in vain.
func TestCentroidPrefetch(t *testing.T) {
	ctx := context.Background()
	base := mem.New()
	ix := newTestIndexOn(t, base, IndexConfig{Dimension: 8, Metric: neighborhoods.Euclidean}, Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 1}})
	r := rand.New(rand.NewPCG(1, 2))
	vs := randVectors(r, 200, 8)
	if err := ix.Put(ctx, vs); err != nil {
		t.Fatal(err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	// As if folded by a build that wrote no head object (head.go): the
	// prefetch falls back to the newest centroid table.
	if err := base.Delete(ctx, headKey(ix.id)); err != nil {
		t.Fatal(err)
	}
	for _, off := range []bool{false, true} {
		g := &gateStore{Store: base, started: make(chan struct{})}
		db2, err := Open(ctx, g, Options{Indexer: IndexerOptions{Disabled: true}, NoCentroidPrefetch: off})
		if err != nil {
			t.Fatal(err)
		}
		ix2, err := db2.Index(ctx, "bkt", "idx")
		if err != nil {
			t.Fatal(err)
		}
		_, st, err := ix2.Query(ctx, QueryRequest{Vector: randVec(r, 8), TopK: 5, NProbe: 2})
		if err != nil {
			t.Fatal(err)
		}
		g.mu.Lock()
		waited := g.timedOut
		g.mu.Unlock()
		if !off && waited {
			t.Error("the manifest read finished before any centroid read started: no prefetch")
		}
		if off && !waited {
			t.Error("NoCentroidPrefetch: a centroid read started during the manifest read")
		}
		if !off && st.NeighborhoodsProbed != 2 {
			t.Errorf("probed %d neighborhoods, want 2", st.NeighborhoodsProbed)
		}
		db2.Close()
	}
}
