package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

// TestServeDiskFull runs serve on a real 8 MiB tmpfs that a ballast file
// nearly fills, ingests until PutVectors fails, and checks: the failure is
// ServiceUnavailableException (503) saying the store is out of space, with
// Retry-After; every acknowledged vector stays readable and queryable;
// once the operator frees space (deletes the ballast) writes work again;
// and after a restart every acknowledged vector is still there.
func TestServeDiskFull(t *testing.T) {
	mnt := storetest.MountTmpfs(t, 8<<20)
	ballast := filepath.Join(mnt, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 6<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(mnt, "data")
	p := startServe(t, data, false)
	ctx := context.Background()
	cl, err := client.New(client.Options{Endpoint: p.endpoint, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	bucket := api.BucketRef{VectorBucketName: "full"}
	ref := api.IndexRef{VectorBucketName: "full", IndexName: "vec"}
	if _, err := cl.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "full"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: bucket, IndexName: "vec", DataType: api.DataTypeFloat32, Dimension: 64, DistanceMetric: api.Euclidean}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	acked := map[string][]float32{}
	batch := func(lo int) []api.PutInputVector {
		vs := make([]api.PutInputVector, 500)
		for i := range vs {
			v := make([]float32, 64)
			for j := range v {
				v[j] = r.Float32()
			}
			vs[i] = api.PutInputVector{Key: fmt.Sprintf("k%06d", lo+i), Data: api.Float32Vector(v), Metadata: api.Metadata{"n": lo + i}}
		}
		return vs
	}
	put := func(vs []api.PutInputVector) error {
		err := cl.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: vs})
		if err == nil {
			for _, v := range vs {
				acked[v.Key] = v.Data.Float32
			}
		}
		return err
	}
	var full error
	next := 0
	for ; next < 200*500; next += 500 {
		if full = put(batch(next)); full != nil {
			break
		}
	}
	var ae *api.Error
	if !errors.As(full, &ae) || ae.Code != api.CodeServiceUnavailable || ae.Status != 503 || !strings.Contains(ae.Message, "out of space") || ae.RetryAfter <= 0 {
		t.Fatalf("after %d acked vectors: %v (%+v), want ServiceUnavailable saying out of space with Retry-After", len(acked), full, ae)
	}
	t.Logf("disk full after %d acknowledged vectors: %s", len(acked), ae.Message)
	verify := func(when string) {
		t.Helper()
		keys := make([]string, 0, len(acked))
		for k := range acked {
			keys = append(keys, k)
		}
		for lo := 0; lo < len(keys); lo += 100 {
			out, err := cl.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: ref, Keys: keys[lo:min(lo+100, len(keys))], ReturnData: true})
			if err != nil {
				t.Fatalf("%s: GetVectors: %v", when, err)
			}
			if len(out.Vectors) != min(100, len(keys)-lo) {
				t.Fatalf("%s: GetVectors returned %d of %d acknowledged keys", when, len(out.Vectors), min(100, len(keys)-lo))
			}
			for _, v := range out.Vectors {
				if want := acked[v.Key]; v.Data == nil || len(v.Data.Float32) != len(want) || v.Data.Float32[0] != want[0] {
					t.Fatalf("%s: %s differs from its acknowledged value", when, v.Key)
				}
			}
		}
		// A stored vector is its own nearest neighbour.
		for _, k := range keys[:10] {
			q := api.Float32Vector(acked[k])
			res, err := cl.QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: ref, TopK: 1, QueryVector: q})
			if err != nil || len(res.Vectors) != 1 || res.Vectors[0].Key != k {
				t.Fatalf("%s: QueryVectors for %s: %+v, %v", when, k, res, err)
			}
		}
	}
	t0 := time.Now()
	verify("disk full")
	t.Logf("verify %v", time.Since(t0))
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := put(batch(next)); err != nil {
		t.Fatalf("PutVectors after space was freed: %v", err)
	}
	verify("space freed")
	t1 := time.Now()
	p.stop(t)
	t.Logf("stop %v", time.Since(t1))
	p = startServe(t, data, false)
	cl, err = client.New(client.Options{Endpoint: p.endpoint, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	verify("after a restart")
	if strings.Contains(p.log.String(), "panic") {
		t.Errorf("server log mentions a panic:\n%s", p.log)
	}
}
