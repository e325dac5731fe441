package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

func newTestIndex(t testing.TB, cfg IndexConfig, opts Options) *Index {
	t.Helper()
	return newTestIndexOn(t, mem.New(), cfg, opts)
}

// newTestIndexOn creates bucket "bkt" and index "idx" with cfg in a DB on
// store (closed when the test ends) and returns the index.
func newTestIndexOn(t testing.TB, store objectstore.Store, cfg IndexConfig, opts Options) *Index {
	t.Helper()
	ctx := context.Background()
	db := newTestDBOn(t, store, opts)
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "idx", cfg, nil); err != nil {
		t.Fatal(err)
	}
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestPutValidation(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t, IndexConfig{Dimension: 3, Metric: neighborhoods.Cosine, NonFilterableKeys: []string{"text"}}, Options{Indexer: IndexerOptions{Disabled: true}})
	ok := []float32{1, 2, 3}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	manyKeys := map[string]int{}
	for i := range 51 {
		manyKeys[fmt.Sprintf("k%d", i)] = i
	}
	many, _ := json.Marshal(manyKeys)
	cases := []struct {
		name  string
		v     Vector
		field string
	}{
		{"empty key", Vector{Key: "", Data: ok}, "vectors[0].key"},
		{"long key", Vector{Key: strings.Repeat("k", 1025), Data: ok}, "vectors[0].key"},
		{"bad utf8", Vector{Key: "\xff", Data: ok}, "vectors[0].key"},
		{"short", Vector{Key: "a", Data: []float32{1, 2}}, "vectors[0].data"},
		{"NaN", Vector{Key: "a", Data: []float32{1, nan, 2}}, "vectors[0].data"},
		{"Inf", Vector{Key: "a", Data: []float32{1, inf, 2}}, "vectors[0].data"},
		{"zero on cosine", Vector{Key: "a", Data: []float32{0, 0, 0}}, "vectors[0].data"},
		{"not an object", Vector{Key: "a", Data: ok, Metadata: json.RawMessage(`[1]`)}, "vectors[0].metadata"},
		{"null value", Vector{Key: "a", Data: ok, Metadata: json.RawMessage(`{"x":null}`)}, "vectors[0].metadata.x"},
		{"nested object", Vector{Key: "a", Data: ok, Metadata: json.RawMessage(`{"x":{"y":1}}`)}, "vectors[0].metadata.x"},
		{"nested list", Vector{Key: "a", Data: ok, Metadata: json.RawMessage(`{"x":[[1]]}`)}, "vectors[0].metadata.x[0]"},
		{"51 keys", Vector{Key: "a", Data: ok, Metadata: many}, "vectors[0].metadata"},
		{"filterable > 2KB", Vector{Key: "a", Data: ok, Metadata: json.RawMessage(`{"x":"` + strings.Repeat("a", 2100) + `"}`)}, "vectors[0].metadata"},
		{"total > 40KB", Vector{Key: "a", Data: ok, Metadata: json.RawMessage(`{"text":"` + strings.Repeat("a", 41000) + `"}`)}, "vectors[0].metadata"},
	}
	for _, c := range cases {
		err := ix.Put(ctx, []Vector{c.v})
		var ve *ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrValidation) || ve.Field != c.field {
			t.Errorf("%s: err = %v, want a ValidationError on %s", c.name, err, c.field)
		}
	}
	// Non-filterable values may be large (up to the 40 KB total).
	big := Vector{Key: "a", Data: ok, Metadata: json.RawMessage(`{"text":"` + strings.Repeat("a", 30000) + `","genre":["a","b"],"year":1999,"new":true}`)}
	if err := ix.Put(ctx, []Vector{big}); err != nil {
		t.Errorf("valid put: %v", err)
	}
	if err := ix.Put(ctx, make([]Vector, 501)); !errors.Is(err, ErrValidation) {
		t.Errorf("501 vectors: %v", err)
	}
	if err := ix.Delete(ctx, nil); !errors.Is(err, ErrValidation) {
		t.Errorf("empty delete: %v", err)
	}
	if _, err := ix.Get(ctx, make([]string, 101), GetOptions{}); !errors.Is(err, ErrValidation) {
		t.Errorf("101 keys: %v", err)
	}
	for _, q := range []QueryRequest{
		{Vector: ok, TopK: 0},
		{Vector: ok, TopK: 10001},
		{Vector: []float32{0, 0, 0}, TopK: 1},
		{Vector: ok, TopK: 1, Filter: json.RawMessage(`{"text":"a"}`)},
		{Vector: ok, TopK: 1, Filter: json.RawMessage(`{"x":{"$bogus":1}}`)},
	} {
		if _, _, err := ix.Query(ctx, q); !errors.Is(err, ErrValidation) {
			t.Errorf("query %+v: %v, want ErrValidation", q.Filter, err)
		}
	}
	for _, o := range []ListVectorsOptions{{MaxResults: 1001}, {SegmentCount: 17}, {SegmentCount: 2, SegmentIndex: 2}, {Token: "garbage"}} {
		if _, _, err := ix.List(ctx, o); !errors.Is(err, ErrValidation) {
			t.Errorf("list %+v: %v, want ErrValidation", o, err)
		}
	}
}

// TestOverwriteAndDelete checks that an overwrite replaces the whole vector
// (data and metadata) and a delete removes it, in the WAL tail and after the
// vector was folded into a neighborhood.
func TestOverwriteAndDelete(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t, IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}, Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 4}})
	put := func(key string, x float32, md string) {
		t.Helper()
		if err := ix.Put(ctx, []Vector{{Key: key, Data: []float32{x, 0}, Metadata: json.RawMessage(md)}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(stage string) {
		t.Helper()
		got, err := ix.Get(ctx, []string{"a", "b", "c"}, GetOptions{ReturnData: true, ReturnMetadata: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Key != "a" || got[0].Data[0] != 5 || string(got[0].Metadata) != `{"v":2}` || got[1].Key != "c" {
			t.Errorf("%s: Get = %+v", stage, got)
		}
		res, _, err := ix.Query(ctx, QueryRequest{Vector: []float32{1, 0}, TopK: 10, ReturnMetadata: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].Key != "c" || res[1].Key != "a" || res[1].Distance != 4 || string(res[1].Metadata) != `{"v":2}` {
			t.Errorf("%s: Query = %+v", stage, res)
		}
		res, _, _ = ix.Query(ctx, QueryRequest{Vector: []float32{1, 0}, TopK: 10, Filter: json.RawMessage(`{"v":1}`)})
		if len(res) != 0 {
			t.Errorf("%s: the old metadata still matches: %+v", stage, res)
		}
	}
	put("a", 1, `{"v":1}`)
	put("b", 2, `{"v":1}`)
	put("c", 1.5, `{"w":1}`)
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	put("a", 5, `{"v":2}`)
	if err := ix.Delete(ctx, []string{"b", "zz"}); err != nil {
		t.Fatal(err)
	}
	check("WAL over neighborhoods")
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	check("folded")
	// Delete everything: the index empties, then refills.
	if err := ix.Delete(ctx, []string{"a", "c"}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if res, _, err := ix.Query(ctx, QueryRequest{Vector: []float32{1, 0}, TopK: 3}); err != nil || len(res) != 0 {
		t.Errorf("empty index query = %v, %v", res, err)
	}
	put("d", 1, `{}`)
	if res, _, err := ix.Query(ctx, QueryRequest{Vector: []float32{1, 0}, TopK: 3}); err != nil || len(res) != 1 {
		t.Errorf("refilled index query = %v, %v", res, err)
	}
}

// TestDeletedIndexLeavesNothing checks that DeleteIndex and DB.GC remove
// every object of an index.
func TestDeletedIndexLeavesNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	db := newTestDB(t, Options{Now: func() time.Time { return now }, Indexer: IndexerOptions{Disabled: true}})
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := db.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, _ := db.Index(ctx, "bkt", "idx")
	for i := range 10 {
		if err := ix.Put(ctx, []Vector{{Key: fmt.Sprint(i), Data: []float32{float32(i), 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteIndex(ctx, "bkt", "idx"); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Get(ctx, []string{"1"}, GetOptions{}); !errors.Is(err, ErrClosed) && !errors.Is(err, ErrIndexNotFound) {
		t.Errorf("Get on a deleted index: %v", err)
	}
	count := func() int {
		n := 0
		for _, err := range objectstore.All(ctx, db.store, dataDir(info.ID)) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	if n := count(); n == 0 {
		t.Error("the tombstone manifests should stay until the grace period ends")
	}
	if _, err := db.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n == 0 {
		t.Error("GC deleted the tombstone within the grace period")
	}
	now = now.Add(2 * time.Minute)
	if _, err := db.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("%d objects left after GC", n)
	}
}
