package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

// TestConcurrentReadAfterWrite runs writers in parallel, each checking that
// its own writes and deletes are visible to its very next Get, List and
// Query, while the others write to the same index.
func TestConcurrentReadAfterWrite(t *testing.T) {
	ts := newTestServer(t, false, nil)
	fixture(t, ts)
	c, err := client.New(client.Options{Endpoint: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref := api.IndexRef{VectorBucketName: "tbl", IndexName: "vec"}
	const writers, rounds = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				key := fmt.Sprintf("w%d-r%d", w, r)
				v := []float32{float32(1000 * (w + 1)), float32(r), 7, 7}
				md := api.Metadata{"writer": float64(w)}
				if err := c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: []api.PutInputVector{{Key: key, Data: api.Float32Vector(v), Metadata: md}}}); err != nil {
					errs <- err
					return
				}
				got, err := c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: ref, Keys: []string{key}, ReturnData: true})
				if err != nil || len(got.Vectors) != 1 || got.Vectors[0].Data.Float32[1] != float32(r) {
					errs <- fmt.Errorf("%s: get after put: %+v, %v", key, got, err)
					return
				}
				res, err := c.QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: ref, TopK: 1, QueryVector: api.Float32Vector(v),
					Filter: []byte(fmt.Sprintf(`{"writer":%d}`, w))})
				if err != nil || len(res.Vectors) != 1 || res.Vectors[0].Key != key {
					errs <- fmt.Errorf("%s: query after put: %+v, %v", key, res, err)
					return
				}
				if r%3 == 0 {
					if err := c.DeleteVectors(ctx, &api.DeleteVectorsRequest{IndexRef: ref, Keys: []string{key}}); err != nil {
						errs <- err
						return
					}
					got, err := c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: ref, Keys: []string{key}})
					if err != nil || len(got.Vectors) != 0 {
						errs <- fmt.Errorf("%s: get after delete: %+v, %v", key, got, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	for _, err := range c.AllVectors(ctx, &api.ListVectorsRequest{IndexRef: ref}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if want := 10 + writers*(rounds-(rounds+2)/3); n != want {
		t.Fatalf("listed %d vectors, want %d", n, want)
	}
}
