package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// TestChurnFashionMNIST puts Fashion-MNIST vectors, then overwrites and
// deletes half of them in random order while querying, with the background
// indexer running. After the indexer settles, recall@10 (default settings
// against exact search) must be ≥ 0.95, and after GC the store must hold at
// most 2× the live data.
func TestChurnFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads Fashion-MNIST")
	}
	ctx := context.Background()
	n := 48000 // + n/4 unseen vectors for overwrites = the 60k train set
	ds, err := datasets.Load(ctx, "fashion-mnist-784-euclidean", datasets.LoadOptions{MaxTrain: n + n/4, MaxTest: 300, NoInstall: os.Getenv("CI") == ""})
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Fashion-MNIST: %v", err)
		}
		t.Skipf("Fashion-MNIST not installed: %v", err)
	}
	store := mem.New()
	db, _ := Open(ctx, store, Options{Indexer: IndexerOptions{Seed: 1}})
	defer db.Close()
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "fmnist", IndexConfig{Dimension: ds.Dim, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	ix, _ := db.Index(ctx, "bkt", "fmnist")
	key := func(i int) string { return fmt.Sprintf("v%05d", i) }
	for lo := 0; lo < n; lo += 500 {
		batch := make([]Vector, 0, 500)
		for i := lo; i < min(n, lo+500); i++ {
			batch = append(batch, Vector{Key: key(i), Data: ds.TrainVec(i)})
		}
		if err := ix.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	// Churn: 25% overwritten with unseen vectors, 25% deleted, in random
	// order, while another goroutine queries.
	r := rand.New(rand.NewPCG(1, 2))
	perm := r.Perm(n)[:n/2]
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(i % ds.NTest), TopK: 10}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	fresh := n
	for lo := 0; lo < len(perm); lo += 100 {
		var puts []Vector
		var dels []string
		for _, i := range perm[lo:min(len(perm), lo+100)] {
			if i%2 == 0 && fresh < ds.NTrain {
				puts = append(puts, Vector{Key: key(i), Data: ds.TrainVec(fresh)})
				fresh++
			} else {
				dels = append(dels, key(i))
			}
		}
		if len(puts) > 0 {
			if err := ix.Put(ctx, puts); err != nil {
				t.Fatal(err)
			}
		}
		if len(dels) > 0 {
			if err := ix.Delete(ctx, dels); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	v, _ := ix.current(ctx)
	live := v.m.nbhdCount() + v.m.walCount()
	t.Logf("settled: %d neighborhoods, %d vectors, %d in WAL", len(v.m.Neighborhoods), live, v.m.walCount())

	recall, scored := recallVsExact(ctx, t, ix, ds)
	t.Logf("recall@10 = %.4f over %d queries, %.0f vectors scored per query", recall, ds.NTest, scored)
	if recall < 0.95 {
		t.Errorf("recall@10 = %.4f after churn, want ≥ 0.95", recall)
	}

	if _, err := ix.gc(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	var stored int64
	for a, err := range objectstore.All(ctx, store, dataDir(ix.id)) {
		if err != nil {
			t.Fatal(err)
		}
		stored += a.Size
	}
	liveBytes := int64(live) * int64(4*ds.Dim+len(key(0)))
	ratio := float64(stored) / float64(liveBytes)
	t.Logf("store holds %d bytes for %d bytes of live vectors (%.2f×)", stored, liveBytes, ratio)
	if ratio > 2 {
		t.Errorf("space amplification %.2f× after GC, want ≤ 2", ratio)
	}
}
