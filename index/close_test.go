package index

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// gatedStore holds every WAL Put until the test releases it, and says when one arrived.
type gatedStore struct {
	objectstore.Store
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) Put(ctx context.Context, key string, data []byte, c objectstore.Condition) (objectstore.Attrs, error) {
	if strings.Contains(key, "/wal/") {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.Store.Put(ctx, key, data, c)
}

// Close waits for the batch being committed, fails the writes still queued with ErrClosed
// (none was acknowledged), and leaves no commit goroutine behind; the acknowledged write
// is there when the index is opened again.
func TestCloseWaitsForCommitter(t *testing.T) {
	ctx := context.Background()
	base := mem.New()
	g := &gatedStore{Store: base, entered: make(chan struct{}, 8), release: make(chan struct{})}
	db, err := Open(ctx, g, Options{Indexer: IndexerOptions{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- ix.Put(ctx, []Vector{{Key: "a", Data: []float32{1, 2}}}) }()
	<-g.entered // the committer is inside the WAL Put of "a"
	queued := make(chan error, 3)
	for _, k := range []string{"b", "c", "d"} {
		go func() { queued <- ix.Put(ctx, []Vector{{Key: k, Data: []float32{3, 4}}}) }()
	}
	// The queued writes must be waiting in the queue before Close begins.
	pollUntil(t, "three writes queued behind the in-flight one", func() bool {
		ix.wmu.Lock()
		defer ix.wmu.Unlock()
		return len(ix.pending) == 3
	})
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	// Close has marked the queue closed before the in-flight batch may finish.
	pollUntil(t, "Close to mark the write queue closed", func() bool {
		ix.wmu.Lock()
		defer ix.wmu.Unlock()
		return ix.wclosed
	})
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a commit was in flight", err)
	default:
	}
	close(g.release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatalf("the in-flight write: %v", err)
	}
	for range 3 {
		if err := <-queued; !errors.Is(err, ErrClosed) {
			t.Errorf("a queued write: %v, want ErrClosed", err)
		}
	}
	if err := ix.Put(ctx, []Vector{{Key: "e", Data: []float32{1, 1}}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
	buf := make([]byte, 1<<20)
	if st := string(buf[:runtime.Stack(buf, true)]); strings.Contains(st, "(*Index).commitLoop") {
		t.Errorf("a commit goroutine outlived Close:\n%s", st)
	}
	db2, err := Open(ctx, base, Options{Indexer: IndexerOptions{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	ix2, err := db2.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ix2.Get(ctx, []string{"a", "b", "c", "d"}, GetOptions{})
	if err != nil || len(got) != 1 || got[0].Key != "a" {
		t.Fatalf("after reopening: %v, %v; want only the acknowledged key a", got, err)
	}
}
