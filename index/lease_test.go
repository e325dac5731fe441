package index

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// countingStore counts the requests that reach the store.
type countingStore struct {
	objectstore.Store
	n atomic.Int64
}

func (c *countingStore) Head(ctx context.Context, key string) (objectstore.Attrs, error) {
	c.n.Add(1)
	return c.Store.Head(ctx, key)
}

func (c *countingStore) List(ctx context.Context, o objectstore.ListOptions) (objectstore.Page, error) {
	c.n.Add(1)
	return c.Store.List(ctx, o)
}

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	c.n.Add(1)
	return c.Store.Get(ctx, key)
}

// TestReadLease: with a read lease, warm reads make no store request and
// may miss another process's write until the lease ends; without one
// (the default) every read sees it at once. The process's own writes are
// always visible.
func TestReadLease(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{}
	base := mem.NewWithClock(clk.now)
	cs := &countingStore{Store: base}
	const lease = 5 * time.Second
	opts := Options{Now: clk.now, Indexer: IndexerOptions{Disabled: true}}
	writer, err := Open(ctx, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	wix, err := writer.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	leased := opts
	leased.ReadLease = lease
	reader, err := Open(ctx, cs, leased)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	strong, err := Open(ctx, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer strong.Close()
	rix, err := reader.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	six, err := strong.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	q := QueryRequest{Vector: []float32{0, 0}, TopK: 10}
	keys := func(ix *Index) int {
		res, _, err := ix.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(res)
	}
	put := func(ix *Index, key string) {
		if err := ix.Put(ctx, []Vector{{Key: key, Data: []float32{1, 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	put(wix, "a")
	if n := keys(rix); n != 1 {
		t.Fatalf("first read: %d vectors, want 1", n)
	}
	before := cs.n.Load()
	for range 10 {
		keys(rix)
	}
	if d := cs.n.Load() - before; d != 0 {
		t.Errorf("10 warm reads within the lease made %d store requests, want 0", d)
	}
	put(wix, "b") // another process's write
	if n := keys(six); n != 2 {
		t.Errorf("strong reader: %d vectors right after the write, want 2", n)
	}
	if n := keys(rix); n != 1 {
		t.Errorf("leased reader within the lease: %d vectors, want the leased generation's 1", n)
	}
	clk.advance(lease)
	if n := keys(rix); n != 2 {
		t.Errorf("leased reader after the lease: %d vectors, want 2", n)
	}
	put(rix, "c") // its own write
	if n := keys(rix); n != 3 {
		t.Errorf("leased reader after its own write: %d vectors, want 3", n)
	}
	if _, err := Open(ctx, base, Options{ReadLease: time.Hour}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("a lease beyond half the GC grace period: %v, want ErrBadOptions", err)
	}
}
