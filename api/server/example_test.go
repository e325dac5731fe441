package server_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// Serve the S3 Vectors API over an in-memory catalog and talk to it with
// the Go client (the official AWS SDK works the same way).
func Example() {
	ctx := context.Background()
	db, err := index.Open(ctx, mem.New(), index.Options{Account: server.DefaultAccountID})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db)})
	if err != nil {
		log.Fatal(err)
	}
	hs := httptest.NewServer(srv) // or http.ListenAndServe(addr, srv)
	defer hs.Close()

	c, err := client.New(client.Options{Endpoint: hs.URL})
	if err != nil {
		log.Fatal(err)
	}
	b, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "media"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.VectorBucketArn)
	_, err = c.GetIndex(ctx, &api.GetIndexRequest{IndexRef: api.IndexRef{VectorBucketName: "media", IndexName: "movies"}})
	fmt.Println(err)
	// Output:
	// arn:aws:s3vectors:us-east-1:123456789012:bucket/media
	// GetIndex: NotFoundException: media/movies: index not found
}
