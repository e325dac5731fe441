package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

// A client for a local vectorbucket; with credentials every request is
// signed with SigV4 for service s3vectors.
func ExampleNew() {
	c, err := client.New(client.Options{
		Endpoint:        "http://127.0.0.1:8080",
		Region:          "us-east-1",
		AccessKeyID:     os.Getenv("VECTORBUCKET_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("VECTORBUCKET_SECRET_ACCESS_KEY"),
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = c
}

func ExampleClient_CreateIndex() {
	c, _ := client.New(client.Options{Endpoint: "http://127.0.0.1:8080"})
	ctx := context.Background()
	if _, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "media"}); err != nil {
		log.Fatal(err)
	}
	out, err := c.CreateIndex(ctx, &api.CreateIndexRequest{
		BucketRef:      api.BucketRef{VectorBucketName: "media"},
		IndexName:      "movies",
		DataType:       api.DataTypeFloat32,
		Dimension:      3,
		DistanceMetric: api.Cosine,
		MetadataConfiguration: &api.MetadataConfiguration{
			NonFilterableMetadataKeys: []string{"synopsis"},
		},
	})
	if errors.Is(err, api.ErrConflict) {
		fmt.Println("index exists already")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.IndexArn)
}

func ExampleClient_PutVectors() {
	c, _ := client.New(client.Options{Endpoint: "http://127.0.0.1:8080"})
	err := c.PutVectors(context.Background(), &api.PutVectorsRequest{
		IndexRef: api.IndexRef{VectorBucketName: "media", IndexName: "movies"},
		Vectors: []api.PutInputVector{
			{Key: "star-wars", Data: api.Float32Vector([]float32{0.1, 0.9, 0.2}),
				Metadata: api.Metadata{"genre": "scifi", "year": 1977}},
			{Key: "amelie", Data: api.Float32Vector([]float32{0.8, 0.1, 0.3}),
				Metadata: api.Metadata{"genre": []string{"comedy", "romance"}, "year": 2001}},
		},
	})
	var e *api.Error
	if errors.As(err, &e) && e.Code == api.CodeValidation {
		for _, f := range e.FieldList {
			fmt.Println(f.Path, f.Message)
		}
	}
}

// PutVectorsBulk splits any number of vectors into 500-vector requests and
// sends up to four at a time.
func ExampleClient_PutVectorsBulk() {
	c, _ := client.New(client.Options{Endpoint: "http://127.0.0.1:8080"})
	vecs := make([]api.PutInputVector, 10_000)
	for i := range vecs {
		vecs[i] = api.PutInputVector{Key: fmt.Sprint("doc-", i), Data: api.Float32Vector([]float32{float32(i), 1, 0})}
	}
	if err := c.PutVectorsBulk(context.Background(), "media", "movies", vecs, 4); err != nil {
		log.Fatal(err)
	}
}

func ExampleClient_QueryVectors() {
	c, _ := client.New(client.Options{Endpoint: "http://127.0.0.1:8080"})
	out, err := c.QueryVectors(context.Background(), &api.QueryVectorsRequest{
		IndexRef:       api.IndexRef{VectorBucketName: "media", IndexName: "movies"},
		TopK:           5,
		QueryVector:    api.Float32Vector([]float32{0.2, 0.8, 0.1}),
		Filter:         json.RawMessage(`{"genre": "scifi", "year": {"$gte": 1970}}`),
		ReturnDistance: true,
		ReturnMetadata: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range out.Vectors {
		fmt.Println(v.Key, *v.Distance, v.Metadata["year"])
	}
}

// QueryAll follows nextToken until all topK results are in.
func ExampleClient_QueryAll() {
	c, _ := client.New(client.Options{Endpoint: "http://127.0.0.1:8080"})
	results, metric, err := c.QueryAll(context.Background(), &api.QueryVectorsRequest{
		IndexRef:    api.IndexRef{IndexArn: "arn:aws:s3vectors:us-east-1:123456789012:bucket/media/index/movies"},
		TopK:        1000,
		QueryVector: api.Float32Vector([]float32{0.2, 0.8, 0.1}),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(results), "results by", metric)
}

func ExampleClient_NewListVectorsPaginator() {
	c, _ := client.New(client.Options{Endpoint: "http://127.0.0.1:8080"})
	ctx := context.Background()
	p := c.NewListVectorsPaginator(&api.ListVectorsRequest{
		IndexRef:       api.IndexRef{VectorBucketName: "media", IndexName: "movies"},
		ReturnMetadata: true,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, v := range page.Vectors {
			fmt.Println(v.Key, v.Metadata)
		}
	}
}

// AllVectors is the same walk as a range-over-func iterator.
func ExampleClient_AllVectors() {
	c, _ := client.New(client.Options{Endpoint: "http://127.0.0.1:8080"})
	for v, err := range c.AllVectors(context.Background(), &api.ListVectorsRequest{
		IndexRef: api.IndexRef{VectorBucketName: "media", IndexName: "movies"},
	}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v.Key)
	}
}
