package index_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

func Example() {
	ctx := context.Background()
	db, _ := index.Open(ctx, mem.New(), index.Options{})
	defer db.Close()

	if _, err := db.CreateBucket(ctx, "media", index.BucketOptions{}); err != nil {
		panic(err)
	}
	cfg := index.IndexConfig{Dimension: 3, Metric: neighborhoods.Euclidean}
	if _, err := db.CreateIndex(ctx, "media", "movies", cfg, nil); err != nil {
		panic(err)
	}
	ix, _ := db.Index(ctx, "media", "movies")
	err := ix.Put(ctx, []index.Vector{
		{Key: "star-wars", Data: []float32{1, 0, 0}, Metadata: json.RawMessage(`{"genre":"scifi"}`)},
		{Key: "alien", Data: []float32{0.9, 0.1, 0}, Metadata: json.RawMessage(`{"genre":"horror"}`)},
		{Key: "heat", Data: []float32{0, 1, 0}, Metadata: json.RawMessage(`{"genre":"crime"}`)},
	})
	if err != nil {
		panic(err)
	}
	res, _, _ := ix.Query(ctx, index.QueryRequest{Vector: []float32{1, 0, 0}, TopK: 2})
	for _, r := range res {
		fmt.Printf("%s %.3f\n", r.Key, r.Distance)
	}
	res, _, _ = ix.Query(ctx, index.QueryRequest{Vector: []float32{1, 0, 0}, TopK: 2, Filter: json.RawMessage(`{"genre":{"$ne":"scifi"}}`)})
	fmt.Println(res[0].Key, res[1].Key)
	// Output:
	// star-wars 0.000
	// alien 0.141
	// alien heat
}
