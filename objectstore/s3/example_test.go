package s3_test

import (
	"context"
	"fmt"
	"log"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/s3"
)

// Open a store on a self-hosted S3-compatible server, behind a disk-backed
// cache for immutable objects.
func ExampleNew() {
	ctx := context.Background()
	store, err := s3.New(ctx, s3.Config{
		Endpoint:  "http://127.0.0.1:7070",
		PathStyle: true,
		AccessKey: "KEY",
		SecretKey: "SECRET",
		Bucket:    "vectors",
		Prefix:    "prod/",
	})
	if err != nil {
		log.Fatal(err)
	}
	cached, err := objectstore.NewCache(store, objectstore.CacheOptions{
		MaxBytes: 1 << 30,
		DiskDir:  "/var/cache/vectorbucket",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(store, cached != nil)
}
