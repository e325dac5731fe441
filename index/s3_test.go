package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
	"github.com/vectorbucket/vectorbucket/objectstore/s3"
)

// s3Stores returns n independent clients on the versitygw test server, all
// under one fresh prefix, or skips (fails under CI) when none is configured.
func s3Stores(t testing.TB, n int) []objectstore.Store {
	t.Helper()
	cfg := s3.Config{
		Endpoint:  os.Getenv("VECTORBUCKET_TEST_S3_ENDPOINT"),
		AccessKey: os.Getenv("VECTORBUCKET_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("VECTORBUCKET_TEST_S3_SECRET_KEY"),
		Bucket:    os.Getenv("VECTORBUCKET_TEST_S3_BUCKET"),
		Region:    os.Getenv("VECTORBUCKET_TEST_S3_REGION"),
		PathStyle: true,
		Prefix:    fmt.Sprintf("index-test/%x/", rand.Uint64()),
	}
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		msg := "no S3 test server (scripts/versitygw.sh start && source .versitygw/env)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx := context.Background()
	var out []objectstore.Store
	for range n {
		s, err := s3.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EnsureBucket(ctx); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	t.Cleanup(func() {
		for a, err := range objectstore.All(ctx, out[0], "") {
			if err != nil {
				return
			}
			_ = out[0].Delete(ctx, a.Key)
		}
	})
	return out
}

// TestTwoNodesS3 runs two DBs (two "nodes", each with its own S3 client,
// caches and indexer) on one S3 bucket, both writing and reading; every
// write acknowledged by one node must be visible to the next read on the
// other.
func TestTwoNodesS3(t *testing.T) {
	testTwoNodes(t, s3Stores(t, 2))
}

// TestTwoNodesMem is the same on one in-memory store.
func TestTwoNodesMem(t *testing.T) {
	s := mem.New()
	testTwoNodes(t, []objectstore.Store{s, s})
}

func testTwoNodes(t *testing.T, stores []objectstore.Store) {
	ctx := context.Background()
	const dim = 8
	opts := Options{Indexer: IndexerOptions{BuildThreshold: 100, FoldThreshold: 50, NeighborhoodSize: 30, Seed: 1}}
	var dbs []*DB
	for _, s := range stores {
		db, _ := Open(ctx, s, opts)
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if _, err := dbs[0].CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[0].CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: dim, Metric: neighborhoods.Cosine}, nil); err != nil {
		t.Fatal(err)
	}
	batches := 30
	if testing.Short() {
		batches = 10
	}
	var wg sync.WaitGroup
	for node := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			me, other := dbs[node], dbs[1-node]
			ixMe, err := me.Index(ctx, "bkt", "idx")
			if err != nil {
				t.Error(err)
				return
			}
			ixOther, err := other.Index(ctx, "bkt", "idx")
			if err != nil {
				t.Error(err)
				return
			}
			r := rand.New(rand.NewPCG(uint64(node), 1))
			for b := range batches {
				batch := make([]Vector, 10)
				for i := range batch {
					batch[i] = Vector{Key: fmt.Sprintf("n%d-%03d-%d", node, b, i), Data: randVec(r, dim)}
				}
				if err := ixMe.Put(ctx, batch); err != nil {
					t.Error(err)
					return
				}
				// Overwrite and delete something written earlier.
				if b > 0 {
					old := fmt.Sprintf("n%d-%03d-0", node, b-1)
					if err := ixMe.Delete(ctx, []string{old}); err != nil {
						t.Error(err)
						return
					}
					if got, err := ixOther.Get(ctx, []string{old}, GetOptions{}); err != nil || len(got) != 0 {
						t.Errorf("node %d sees %s after node %d deleted it: %v %v", 1-node, old, node, got, err)
					}
				}
				last := batch[len(batch)-1]
				res, _, err := ixOther.Query(ctx, QueryRequest{Vector: last.Data, TopK: 1, Exact: true})
				if err != nil || len(res) != 1 || res[0].Key != last.Key {
					t.Errorf("node %d does not see %s written by node %d: %v %v", 1-node, last.Key, node, res, err)
				}
			}
		}()
	}
	wg.Wait()
	ix, _ := dbs[0].Index(ctx, "bkt", "idx")
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	total := 0
	tok := ""
	for {
		page, next, err := ix.List(ctx, ListVectorsOptions{MaxResults: 100, Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		total += len(page)
		if next == "" {
			break
		}
		tok = next
	}
	if want := 2 * (batches*10 - (batches - 1)); total != want {
		t.Errorf("listed %d vectors, want %d", total, want)
	}
}

// BenchmarkIngestS3 is BenchmarkIngest on the versitygw test server.
func BenchmarkIngestS3(b *testing.B) {
	for _, writers := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			benchIngest(b, s3Stores(b, 1)[0], writers)
		})
	}
}
