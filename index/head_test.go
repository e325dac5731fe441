package index

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// getLog records the keys of the Gets made through it.
type getLog struct {
	objectstore.Store
	mu   sync.Mutex
	gets []string
}

func (g *getLog) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	g.mu.Lock()
	g.gets = append(g.gets, key)
	g.mu.Unlock()
	return g.Store.Get(ctx, key)
}

func (g *getLog) count(part string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, k := range g.gets {
		if strings.Contains(k, part) {
			n++
		}
	}
	return n
}

// TestHead: after a fold, a fresh handle takes its manifest and centroids
// from the head object (no manifest or centroid-table GET: three round
// trips for a cold query on S3); after a WAL commit the head is stale and
// the manifest is read as before, and the new vector is found; a damaged
// or missing head changes no answer.
func TestHead(t *testing.T) {
	ctx := context.Background()
	base := mem.New()
	opts := Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 1}}
	ix := newTestIndexOn(t, base, IndexConfig{Dimension: 8, Metric: neighborhoods.Euclidean}, opts)
	r := rand.New(rand.NewPCG(5, 6))
	vs := randVectors(r, 300, 8)
	if err := ix.Put(ctx, vs); err != nil {
		t.Fatal(err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	q := randVec(r, 8)
	want, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 5, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	cold := func(name string) ([]QueryResult, *getLog) {
		t.Helper()
		g := &getLog{Store: base}
		db, err := Open(ctx, g, Options{Indexer: IndexerOptions{Disabled: true}})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ix2, err := db.Index(ctx, "bkt", "idx")
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := ix2.Query(ctx, QueryRequest{Vector: q, TopK: 5, Exact: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return got, g
	}
	keys := func(ms []QueryResult) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Key)
		}
		return out
	}
	got, g := cold("fresh head")
	if !slices.Equal(keys(got), keys(want)) {
		t.Errorf("with the head: %v, want %v", keys(got), keys(want))
	}
	if n := g.count("/manifest/"); n != 0 {
		t.Errorf("with a fresh head: %d manifest GETs, want 0", n)
	}
	if n := g.count("/centroids/"); n != 0 {
		t.Errorf("with a fresh head: %d centroid-table GETs, want 0", n)
	}
	if n := g.count("/head"); n != 1 {
		t.Errorf("%d head GETs, want 1", n)
	}

	// A WAL commit makes the head stale: the manifest is read, and the new
	// vector (an exact copy of the query) is the top match.
	if err := ix.Put(ctx, []Vector{{Key: "new", Data: q}}); err != nil {
		t.Fatal(err)
	}
	got, g = cold("stale head")
	if len(got) == 0 || got[0].Key != "new" {
		t.Errorf("with a stale head: %v, want \"new\" first", keys(got))
	}
	if n := g.count("/manifest/"); n != 1 {
		t.Errorf("with a stale head: %d manifest GETs, want 1", n)
	}

	// A damaged head (one flipped byte), then none: same answers.
	id := ix.id
	hd, _, err := base.Get(ctx, headKey(id))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := decodeHead(hd); err != nil {
		t.Errorf("the stored head: %v", err)
	}
	flip := slices.Clone(hd)
	flip[len(flip)/2] ^= 1
	if _, _, err := decodeHead(flip); err == nil {
		t.Error("a head with a flipped byte decoded")
	}
	if _, err := base.Put(ctx, headKey(id), []byte(headMagic+"garbage"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	if got, _ = cold("damaged head"); len(got) == 0 || got[0].Key != "new" {
		t.Errorf("with a damaged head: %v", keys(got))
	}
	if err := base.Delete(ctx, headKey(id)); err != nil {
		t.Fatal(err)
	}
	if got, _ = cold("no head"); len(got) == 0 || got[0].Key != "new" {
		t.Errorf("without a head: %v", keys(got))
	}

	// GC keeps the head; deleting the index removes it.
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.gc(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := base.Head(ctx, headKey(id)); err != nil {
		t.Errorf("head after GC: %v", err)
	}
	if err := ix.db.DeleteIndex(ctx, "bkt", "idx"); err != nil {
		t.Fatal(err)
	}
	if _, err := base.Head(ctx, headKey(id)); err == nil {
		t.Error("the head outlived its index")
	}
}

// pagedStore lists at most limit keys per page and counts manifest LISTs.
type pagedStore struct {
	objectstore.Store
	limit int
	lists atomic.Int32
}

func (p *pagedStore) List(ctx context.Context, o objectstore.ListOptions) (objectstore.Page, error) {
	if strings.Contains(o.Prefix, "/manifest/") {
		p.lists.Add(1)
	}
	o.Limit = p.limit
	return p.Store.List(ctx, o)
}

// TestHeadSkipsManifestPages: a fresh handle whose manifest listing is
// longer than a page continues from the head's sequence (at most one more
// page, not one per page of manifests written before the last fold), and
// still finds a generation newer than the head.
func TestHeadSkipsManifestPages(t *testing.T) {
	ctx := context.Background()
	base := mem.New()
	opts := Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 1}}
	ix := newTestIndexOn(t, base, IndexConfig{Dimension: 8, Metric: neighborhoods.Euclidean}, opts)
	r := rand.New(rand.NewPCG(7, 8))
	vs := randVectors(r, 300, 8)
	for i := 0; i < len(vs); i += 10 { // 30 manifests before the fold
		if err := ix.Put(ctx, vs[i:i+10]); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	q := randVec(r, 8)
	cold := func(name string) ([]QueryResult, int) {
		t.Helper()
		p := &pagedStore{Store: base, limit: 4}
		db, err := Open(ctx, p, Options{Indexer: IndexerOptions{Disabled: true}})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ix2, err := db.Index(ctx, "bkt", "idx")
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := ix2.Query(ctx, QueryRequest{Vector: q, TopK: 5, Exact: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return got, int(p.lists.Load())
	}
	want, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 5, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	got, lists := cold("fresh head")
	if len(got) != len(want) || got[0].Key != want[0].Key {
		t.Errorf("fresh head: %v, want %v", got, want)
	}
	if lists > 2 {
		t.Errorf("fresh head: %d manifest LIST pages of 4, want at most 2 (31+ manifests)", lists)
	}
	// Two WAL commits after the fold: the newest is found past the head.
	for _, k := range []string{"a", "new"} {
		if err := ix.Put(ctx, []Vector{{Key: k, Data: q}}); err != nil {
			t.Fatal(err)
		}
	}
	got, lists = cold("stale head")
	if len(got) < 2 || (got[0].Key != "new" && got[1].Key != "new") {
		t.Errorf("stale head: %v, want \"new\" among the first two", got)
	}
	if lists > 2 {
		t.Errorf("stale head: %d manifest LIST pages, want at most 2", lists)
	}
}
