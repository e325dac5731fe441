package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
)

// putAndCheck creates bucket/index "st"/"vecs" through c (if create) and
// puts n 2-dimensional vectors, or only checks they are all there.
func putAndCheck(t *testing.T, c *client.Client, n int, create bool) {
	t.Helper()
	ctx := context.Background()
	ref := api.IndexRef{VectorBucketName: "st-bucket", IndexName: "vecs"}
	vecs := make([]api.PutInputVector, n)
	for i := range vecs {
		vecs[i] = api.PutInputVector{Key: fmt.Sprintf("v%04d", i), Data: api.Float32Vector([]float32{float32(i), 1})}
	}
	if create {
		if _, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "st-bucket"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: "st-bucket"}, IndexName: "vecs",
			DataType: api.DataTypeFloat32, Dimension: 2, DistanceMetric: api.Euclidean}); err != nil {
			t.Fatal(err)
		}
		if err := c.PutVectorsBulkRef(ctx, ref, vecs, 4); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for v, err := range c.AllVectors(ctx, &api.ListVectorsRequest{IndexRef: ref}) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, v.Key)
	}
	if len(keys) != n || !slices.IsSorted(keys) {
		t.Fatalf("listed %d keys, want %d", len(keys), n)
	}
	res, _, err := c.QueryAll(ctx, &api.QueryVectorsRequest{IndexRef: ref, TopK: 3, QueryVector: api.Float32Vector([]float32{7.2, 1})})
	if err != nil || len(res) != 3 || res[0].Key != "v0007" {
		t.Fatalf("query: %+v, %v", res, err)
	}
}

// TestE2EVolumes serves from three volumes, loses one, and serves again.
func TestE2EVolumes(t *testing.T) {
	root := t.TempDir()
	dirs := []string{filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")}
	data := strings.Join(dirs, ",")
	p := startServe(t, data, false)
	c, _ := client.New(client.Options{Endpoint: p.endpoint})
	putAndCheck(t, c, 700, true)
	p.stop(t)
	// The disk of volume 1 is replaced by an empty one.
	if err := os.RemoveAll(dirs[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dirs[1], 0o755); err != nil {
		t.Fatal(err)
	}
	p2 := startServe(t, data, false)
	c2, _ := client.New(client.Options{Endpoint: p2.endpoint})
	putAndCheck(t, c2, 700, false)
	// The startup scrub refills the lost volume.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p2.log.String(), "refilled volumes [1]") {
		if time.Now().After(deadline) {
			t.Fatalf("volume 1 not refilled:\n%s", p2.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestE2EStoreS3 runs the SDK lifecycle on a server whose store is an S3
// bucket (versitygw: scripts/versitygw.sh start && source .versitygw/env),
// then shows a second server on the same bucket sees the first one's writes.
func TestE2EStoreS3(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and starts the vectorbucket binary (not in -short)")
	}
	ep := os.Getenv("VECTORBUCKET_TEST_S3_ENDPOINT")
	if ep == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("VECTORBUCKET_TEST_S3_ENDPOINT is not set (scripts/versitygw.sh start && source .versitygw/env)")
		}
		t.Skip("no S3 test server: scripts/versitygw.sh start && source .versitygw/env")
	}
	bucket := os.Getenv("VECTORBUCKET_TEST_S3_BUCKET")
	if bucket == "" {
		bucket = "vectorbucket-test"
	}
	store := fmt.Sprintf("s3://%s/e2e-%d/", bucket, time.Now().UnixNano())
	args := []string{"--store", store, "--s3-endpoint", ep, "--s3-path-style",
		"--s3-access-key", os.Getenv("VECTORBUCKET_TEST_S3_ACCESS_KEY"), "--s3-secret-key", os.Getenv("VECTORBUCKET_TEST_S3_SECRET_KEY")}
	p := startServe(t, "unused", true, args...)
	servertest.Lifecycle(t, servertest.NewSDK(p.endpoint, e2eAccessKey, e2eSecret), "s3-e2e")
	c, _ := client.New(client.Options{Endpoint: p.endpoint, AccessKeyID: e2eAccessKey, SecretAccessKey: e2eSecret})
	putAndCheck(t, c, 600, true)
	q := startServe(t, "unused", true, args...)
	c2, _ := client.New(client.Options{Endpoint: q.endpoint, AccessKeyID: e2eAccessKey, SecretAccessKey: e2eSecret})
	putAndCheck(t, c2, 600, false)
}
