package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// servedIndex serves a real in-memory backend over HTTP for the test and
// creates bucket/idx (2-d, euclidean) through a client of it. It returns
// the client, the DB behind the server and the index's reference.
func servedIndex(t *testing.T, indexer index.IndexerOptions, bucket string) (*client.Client, *index.DB, api.IndexRef) {
	t.Helper()
	ctx := context.Background()
	db, err := index.Open(ctx, mem.New(), index.Options{Region: "us-east-1", Account: "123456789012", Indexer: indexer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := client.New(client.Options{Endpoint: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: bucket}, IndexName: "idx",
		DataType: api.DataTypeFloat32, Dimension: 2, DistanceMetric: api.Euclidean}); err != nil {
		t.Fatal(err)
	}
	return c, db, api.IndexRef{VectorBucketName: bucket, IndexName: "idx"}
}
