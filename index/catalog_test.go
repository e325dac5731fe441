package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

func newTestDB(t testing.TB, opts Options) *DB {
	t.Helper()
	return newTestDBOn(t, mem.New(), opts)
}

// newTestDBOn opens a DB on store, closed when the test ends.
func newTestDBOn(t testing.TB, store objectstore.Store, opts Options) *DB {
	t.Helper()
	db, err := Open(context.Background(), store, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCatalogBuckets(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t, Options{})
	for _, bad := range []string{"ab", "-abc", "abc-", "ABC", "a_b_c", "a.bc"} {
		if _, err := db.CreateBucket(ctx, bad, BucketOptions{}); !errors.Is(err, ErrValidation) {
			t.Errorf("CreateBucket(%q) = %v, want ErrValidation", bad, err)
		}
	}
	b, err := db.CreateBucket(ctx, "media", BucketOptions{Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:s3vectors:us-east-1:000000000000:bucket/media"; b.ARN != want || b.Encryption.SSEType != "AES256" {
		t.Errorf("bucket = %+v, want ARN %s and AES256", b, want)
	}
	if _, err := db.CreateBucket(ctx, "media", BucketOptions{}); !errors.Is(err, ErrConflict) {
		t.Errorf("repeat create = %v, want ErrConflict", err)
	}
	if _, err := db.GetBucket(ctx, "nope"); !errors.Is(err, ErrBucketNotFound) || !errors.Is(err, ErrNotFound) {
		t.Errorf("GetBucket(missing) = %v", err)
	}
	for i := range 7 {
		if _, err := db.CreateBucket(ctx, fmt.Sprintf("b-%02d", i), BucketOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	tok := ""
	for {
		page, next, err := db.ListBuckets(ctx, ListOptions{Prefix: "b-", MaxResults: 3, Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page {
			names = append(names, b.Name)
		}
		if next == "" {
			break
		}
		tok = next
	}
	if fmt.Sprint(names) != "[b-00 b-01 b-02 b-03 b-04 b-05 b-06]" {
		t.Errorf("listed %v", names)
	}
	// policy
	if _, err := db.BucketPolicy(ctx, "media"); !errors.Is(err, ErrPolicyNotFound) {
		t.Errorf("policy before put: %v", err)
	}
	if err := db.PutBucketPolicy(ctx, "media", "not json"); !errors.Is(err, ErrValidation) {
		t.Errorf("bad policy: %v", err)
	}
	if err := db.PutBucketPolicy(ctx, "media", `{"Version":"2012-10-17"}`); err != nil {
		t.Fatal(err)
	}
	if p, err := db.BucketPolicy(ctx, "media"); err != nil || p != `{"Version":"2012-10-17"}` {
		t.Errorf("policy = %q, %v", p, err)
	}
	if err := db.DeleteBucketPolicy(ctx, "media"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BucketPolicy(ctx, "media"); !errors.Is(err, ErrPolicyNotFound) {
		t.Errorf("policy after delete: %v", err)
	}
	// tags
	if err := db.TagResource(ctx, b.ARN, map[string]string{"env": "prod"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UntagResource(ctx, b.ARN, []string{"team"}); err != nil {
		t.Fatal(err)
	}
	if tags, err := db.Tags(ctx, b.ARN); err != nil || fmt.Sprint(tags) != "map[env:prod]" {
		t.Errorf("tags = %v, %v", tags, err)
	}
	// delete: refused while an index exists
	if _, err := db.CreateIndex(ctx, "media", "movies", IndexConfig{Dimension: 4, Metric: neighborhoods.Cosine}, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteBucket(ctx, "media"); !errors.Is(err, ErrBucketNotEmpty) || !errors.Is(err, ErrConflict) {
		t.Errorf("delete non-empty = %v", err)
	}
	if err := db.DeleteIndex(ctx, "media", "movies"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteBucket(ctx, "media"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetBucket(ctx, "media"); !errors.Is(err, ErrBucketNotFound) {
		t.Errorf("get after delete: %v", err)
	}
}

func TestCatalogIndexes(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t, Options{Indexer: IndexerOptions{Disabled: true}})
	if _, err := db.CreateIndex(ctx, "nobucket", "idx", IndexConfig{Dimension: 4, Metric: neighborhoods.Cosine}, nil); !errors.Is(err, ErrBucketNotFound) {
		t.Errorf("create in missing bucket: %v", err)
	}
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	bad := []IndexConfig{
		{Dimension: 0, Metric: neighborhoods.Cosine},
		{Dimension: 4097, Metric: neighborhoods.Cosine},
		{Dimension: 4},
		{Dimension: 4, Metric: neighborhoods.Cosine, DataType: "float16"},
		{Dimension: 4, Metric: neighborhoods.Cosine, NonFilterableKeys: []string{"a", "a"}},
		{Dimension: 4, Metric: neighborhoods.Cosine, NonFilterableKeys: make([]string, 11)},
	}
	for i, c := range bad {
		if _, err := db.CreateIndex(ctx, "bkt", "idx", c, nil); !errors.Is(err, ErrValidation) {
			t.Errorf("bad config %d: %v", i, err)
		}
	}
	info, err := db.CreateIndex(ctx, "bkt", "my.idx-1", IndexConfig{Dimension: 8, Metric: neighborhoods.Euclidean, NonFilterableKeys: []string{"text"}}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	if info.ARN != "arn:aws:s3vectors:us-east-1:000000000000:bucket/bkt/index/my.idx-1" || info.Config.DataType != "float32" || info.ID == "" {
		t.Errorf("info = %+v", info)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "my.idx-1", IndexConfig{Dimension: 8, Metric: neighborhoods.Euclidean}, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("repeat create: %v", err)
	}
	got, err := db.GetIndex(ctx, "bkt", "my.idx-1")
	if err != nil || got.ID != info.ID || got.Config.Dimension != 8 || got.Config.NonFilterableKeys[0] != "text" {
		t.Errorf("GetIndex = %+v, %v", got, err)
	}
	if tags, err := db.Tags(ctx, info.ARN); err != nil || tags["k"] != "v" {
		t.Errorf("index tags %v %v", tags, err)
	}
	if _, err := db.GetIndex(ctx, "bkt", "missing"); !errors.Is(err, ErrIndexNotFound) {
		t.Errorf("GetIndex(missing) = %v", err)
	}
	list, next, err := db.ListIndexes(ctx, "bkt", ListOptions{})
	if err != nil || len(list) != 1 || next != "" {
		t.Errorf("ListIndexes = %v %q %v", list, next, err)
	}
	ix, err := db.Index(ctx, "bkt", "my.idx-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Put(ctx, []Vector{{Key: "a", Data: make([]float32, 8)}}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteIndex(ctx, "bkt", "my.idx-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetIndex(ctx, "bkt", "my.idx-1"); !errors.Is(err, ErrIndexNotFound) {
		t.Errorf("GetIndex after delete = %v", err)
	}
	// Recreate with the same name: a fresh, empty index.
	if _, err := db.CreateIndex(ctx, "bkt", "my.idx-1", IndexConfig{Dimension: 8, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	ix2, err := db.Index(ctx, "bkt", "my.idx-1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ix2.Get(ctx, []string{"a"}, GetOptions{}); err != nil || len(got) != 0 {
		t.Errorf("recreated index holds %v, %v", got, err)
	}
}

func TestCatalogQuotas(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t, Options{MaxBuckets: 2, MaxIndexesPerBucket: 1, Indexer: IndexerOptions{Disabled: true}})
	for _, b := range []string{"b-1", "b-2"} {
		if _, err := db.CreateBucket(ctx, b, BucketOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateBucket(ctx, "b-3", BucketOptions{}); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("third bucket: %v, want ErrQuotaExceeded", err)
	}
	cfg := IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}
	if _, err := db.CreateIndex(ctx, "b-1", "ix1", cfg, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "b-1", "ix2", cfg, nil); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("second index: %v, want ErrQuotaExceeded", err)
	}
	if _, err := db.CreateIndex(ctx, "b-2", "ix2", cfg, nil); err != nil {
		t.Errorf("index in another bucket: %v", err)
	}
}

// TestCreateIndexRacesDeleteBucket: whatever the interleaving, an index
// record never outlives its bucket.
func TestCreateIndexRacesDeleteBucket(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t, Options{Indexer: IndexerOptions{Disabled: true}})
	cfg := IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}
	outcomes := map[string]int{}
	for i := range 60 {
		b := fmt.Sprintf("race-%d", i)
		if _, err := db.CreateBucket(ctx, b, BucketOptions{}); err != nil {
			t.Fatal(err)
		}
		var cerr, derr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, cerr = db.CreateIndex(ctx, b, "idx", cfg, nil) }()
		go func() { defer wg.Done(); derr = db.DeleteBucket(ctx, b) }()
		wg.Wait()
		outcomes[fmt.Sprintf("create=%v delete=%v", cerr == nil, derr == nil)]++
		_, berr := db.GetBucket(ctx, b)
		page, err := db.store.List(ctx, objectstore.ListOptions{Prefix: indexPrefix + b + "/"})
		if err != nil {
			t.Fatal(err)
		}
		if errors.Is(berr, ErrBucketNotFound) && len(page.Objects) > 0 {
			t.Fatalf("round %d: index record %s outlives its bucket (create %v, delete %v)", i, page.Objects[0].Key, cerr, derr)
		}
		if cerr == nil && derr == nil {
			t.Fatalf("round %d: both the index creation and the bucket delete succeeded", i)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
