package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

// extSetup starts a server and returns our client and a bucket "ext".
func extSetup(t *testing.T) (*testServer, *client.Client) {
	t.Helper()
	ts := newTestServer(t, false, nil)
	c, err := client.New(client.Options{Endpoint: ts.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateVectorBucket(context.Background(), &api.CreateVectorBucketRequest{VectorBucketName: "ext"}); err != nil {
		t.Fatal(err)
	}
	return ts, c
}

// postRaw posts a JSON body to /op and returns the status and body.
func postRaw(t *testing.T, ts *testServer, op, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(ts.URL+"/"+op, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

// putGroups writes n vectors "v000".. of dimension 2 with metadata
// {"g": i%3, "note": "n<i>"} ("note" is non-filterable).
func putGroups(t *testing.T, c *client.Client, ref api.IndexRef, n int) {
	t.Helper()
	var vs []api.PutInputVector
	for i := range n {
		vs = append(vs, api.PutInputVector{Key: fmt.Sprintf("v%03d", i), Data: api.Float32Vector([]float32{float32(i), 1}),
			Metadata: api.Metadata{"g": i % 3, "note": fmt.Sprint("n", i)}})
	}
	if err := c.PutVectors(context.Background(), &api.PutVectorsRequest{IndexRef: ref, Vectors: vs}); err != nil {
		t.Fatal(err)
	}
}

func createExtIndex(t *testing.T, c *client.Client, name string) api.IndexRef {
	t.Helper()
	_, err := c.CreateIndex(context.Background(), &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: "ext"}, IndexName: name,
		DataType: api.DataTypeFloat32, Dimension: 2, DistanceMetric: api.Euclidean,
		MetadataConfiguration: &api.MetadataConfiguration{NonFilterableMetadataKeys: []string{"note"}}})
	if err != nil {
		t.Fatal(err)
	}
	return api.IndexRef{VectorBucketName: "ext", IndexName: name}
}

func TestListVectorsFilterHTTP(t *testing.T) {
	ctx := context.Background()
	ts, c := extSetup(t)
	ref := createExtIndex(t, c, "lst")
	putGroups(t, c, ref, 300)
	flt := json.RawMessage(`{"g":1}`)
	for _, segs := range []int{1, 3} {
		var got []string
		for seg := range segs {
			req := &api.ListVectorsRequest{IndexRef: ref, MaxResults: aws.Int(17), SegmentCount: aws.Int(segs), SegmentIndex: seg, ReturnMetadata: true}
			for {
				out, err := c.ListVectorsMatching(ctx, req, flt)
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Vectors) > 17 {
					t.Fatalf("page of %d", len(out.Vectors))
				}
				for _, v := range out.Vectors {
					if g := fmt.Sprint(v.Metadata["g"]); g != "1" {
						t.Fatalf("%s has g=%v", v.Key, v.Metadata["g"])
					}
					got = append(got, v.Key)
				}
				if out.NextToken == "" {
					break
				}
				req.NextToken = out.NextToken
			}
		}
		if len(got) != 100 {
			t.Fatalf("%d segments: %d matches, want 100", segs, len(got))
		}
	}
	// Raw JSON with the field; a non-filterable key is a ValidationException as in QueryVectors.
	code, body := postRaw(t, ts, "ListVectors", `{"vectorBucketName":"ext","indexName":"lst","maxResults":1000,"vectorbucket":{"filter":{"g":{"$in":[0,2]}}}}`)
	var lr api.ListVectorsResponse
	if err := json.Unmarshal([]byte(body), &lr); code != 200 || err != nil || len(lr.Vectors) != 200 {
		t.Fatalf("raw filtered list: %d, %d vectors, %v", code, len(lr.Vectors), err)
	}
	_, err := c.ListVectorsMatching(ctx, &api.ListVectorsRequest{IndexRef: ref}, json.RawMessage(`{"note":"n1"}`))
	wantCode(t, "non-filterable key", err, api.CodeValidation)
	_, err = c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: ref, Keys: []string{"v001"}, Vectorbucket: &api.ReadExtension{Filter: flt}})
	wantCode(t, "GetVectors with a filter", err, api.CodeValidation)
	// Without the field ListVectors is unchanged.
	all, err := c.ListVectors(ctx, &api.ListVectorsRequest{IndexRef: ref, MaxResults: aws.Int(1000)})
	if err != nil || len(all.Vectors) != 300 {
		t.Fatalf("plain list: %v", err)
	}
}

func TestDeleteVectorsByFilterHTTP(t *testing.T) {
	ctx := context.Background()
	ts, c := extSetup(t)
	ref := createExtIndex(t, c, "del")
	putGroups(t, c, ref, 300)
	n, err := c.DeleteVectorsMatching(ctx, ref, json.RawMessage(`{"g":{"$eq":0}}`))
	if err != nil || n != 100 {
		t.Fatalf("delete by filter: %d, %v; want 100", n, err)
	}
	all, err := c.ListVectors(ctx, &api.ListVectorsRequest{IndexRef: ref, MaxResults: aws.Int(1000), ReturnMetadata: true})
	if err != nil || len(all.Vectors) != 200 {
		t.Fatalf("after delete: %v, %v", len(all.Vectors), err)
	}
	for _, v := range all.Vectors {
		if fmt.Sprint(v.Metadata["g"]) == "0" {
			t.Fatalf("%s survived", v.Key)
		}
	}
	if n, err := c.DeleteVectorsMatching(ctx, ref, json.RawMessage(`{"g":0}`)); err != nil || n != 0 {
		t.Fatalf("second delete: %d, %v; want 0", n, err)
	}
	code, body := postRaw(t, ts, "DeleteVectors", `{"vectorBucketName":"ext","indexName":"del","vectorbucket":{"filter":{"g":1}}}`)
	if code != 200 || body != `{"vectorbucket":{"deleted":100}}` {
		t.Fatalf("raw delete by filter: %d %s", code, body)
	}
	// Keys and a filter together, neither, or a bad filter: ValidationException.
	for _, bad := range []string{
		`{"vectorBucketName":"ext","indexName":"del","keys":["v001"],"vectorbucket":{"filter":{"g":1}}}`,
		`{"vectorBucketName":"ext","indexName":"del"}`,
		`{"vectorBucketName":"ext","indexName":"del","vectorbucket":{"filter":{"g":{"$nope":1}}}}`,
		`{"vectorBucketName":"ext","indexName":"del","vectorbucket":{"filter":{"note":"n1"}}}`,
		`{"vectorBucketName":"ext","indexName":"del","vectorbucket":{"filter":null}}`,
	} {
		code, body := postRaw(t, ts, "DeleteVectors", bad)
		if code != 400 || !strings.Contains(body, "ValidationException") {
			t.Fatalf("%s: %d %s", bad, code, body)
		}
	}
	// A delete by keys still answers {} as S3 Vectors does.
	code, body = postRaw(t, ts, "DeleteVectors", `{"vectorBucketName":"ext","indexName":"del","keys":["v002"]}`)
	if code != 200 || body != `{}` {
		t.Fatalf("delete by keys: %d %s", code, body)
	}
	_, err = c.DeleteVectorsMatching(ctx, api.IndexRef{VectorBucketName: "ext", IndexName: "nope"}, json.RawMessage(`{"g":1}`))
	wantCode(t, "missing index", err, api.CodeNotFound)
}

func TestDotProductIndexHTTP(t *testing.T) {
	ctx := context.Background()
	ts, c := extSetup(t)
	create := func(name string, core api.DistanceMetric, ext *api.CreateIndexExtension) error {
		_, err := c.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: "ext"}, IndexName: name,
			DataType: api.DataTypeFloat32, Dimension: 3, DistanceMetric: core, Vectorbucket: ext})
		return err
	}
	if err := create("dot", "", &api.CreateIndexExtension{DistanceMetric: api.DotProduct}); err != nil {
		t.Fatal(err)
	}
	if err := create("dot2", api.Cosine, &api.CreateIndexExtension{DistanceMetric: api.Cosine}); err != nil {
		t.Fatalf("agreeing metrics: %v", err)
	}
	wantCode(t, "disagreeing metrics", create("bad1", api.Cosine, &api.CreateIndexExtension{DistanceMetric: api.DotProduct}), api.CodeValidation)
	wantCode(t, "dotproduct in the core field", create("bad2", api.DotProduct, nil), api.CodeValidation)
	wantCode(t, "unknown metric", create("bad3", "", &api.CreateIndexExtension{DistanceMetric: "manhattan"}), api.CodeValidation)
	wantCode(t, "no metric", create("bad4", "", &api.CreateIndexExtension{}), api.CodeValidation)

	ref := api.IndexRef{VectorBucketName: "ext", IndexName: "dot"}
	gi, err := c.GetIndex(ctx, &api.GetIndexRequest{IndexRef: ref})
	if err != nil || gi.Index.DistanceMetric != api.DotProduct {
		t.Fatalf("GetIndex: %+v, %v", gi, err)
	}
	// The official SDK passes the unknown enum value through.
	sdk := s3vectors.New(s3vectors.Options{BaseEndpoint: aws.String(ts.URL), Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	sg, err := sdk.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String("ext"), IndexName: aws.String("dot")})
	if err != nil || string(sg.Index.DistanceMetric) != "dotproduct" {
		t.Fatalf("SDK GetIndex: %v", err)
	}
	vs := []api.PutInputVector{
		{Key: "small", Data: api.Float32Vector([]float32{1, 0, 0})},
		{Key: "big", Data: api.Float32Vector([]float32{10, 0, 0})},
		{Key: "aligned", Data: api.Float32Vector([]float32{0, 2, 0})},
		{Key: "zero", Data: api.Float32Vector([]float32{0, 0, 0})}, // allowed: no norm needed
	}
	if err := c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: vs}); err != nil {
		t.Fatal(err)
	}
	q, err := c.QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: ref, TopK: 4, QueryVector: api.Float32Vector([]float32{1, 1, 0}), ReturnDistance: true})
	if err != nil {
		t.Fatal(err)
	}
	if q.DistanceMetric != api.DotProduct || len(q.Vectors) != 4 || q.Vectors[0].Key != "big" || *q.Vectors[0].Distance != -10 ||
		q.Vectors[1].Key != "aligned" || *q.Vectors[1].Distance != -2 || q.Vectors[3].Key != "zero" || *q.Vectors[3].Distance != 0 {
		t.Fatalf("dot product ranking: %+v", q)
	}
}

func TestMaxFilterableMetadataHTTP(t *testing.T) {
	ctx := context.Background()
	_, c := extSetup(t)
	create := func(name string, budget int) error {
		_, err := c.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: "ext"}, IndexName: name,
			DataType: api.DataTypeFloat32, Dimension: 2, DistanceMetric: api.Euclidean,
			Vectorbucket: &api.CreateIndexExtension{MaxFilterableMetadataBytes: budget}})
		return err
	}
	if err := create("big", 8192); err != nil {
		t.Fatal(err)
	}
	if err := create("def", 0); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []int{1000, 2047, 65537} {
		wantCode(t, fmt.Sprint("budget ", bad), create(fmt.Sprint("bad", bad), bad), api.CodeValidation)
	}
	put := func(index string, size int) error {
		md := api.Metadata{"text": strings.Repeat("x", size)}
		return c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "ext", IndexName: index},
			Vectors: []api.PutInputVector{{Key: "k", Data: api.Float32Vector([]float32{1, 2}), Metadata: md}}})
	}
	if err := put("big", 6000); err != nil {
		t.Fatalf("6 KB filterable on an 8 KB index: %v", err)
	}
	wantCode(t, "9 KB on an 8 KB index", put("big", 9000), api.CodeValidation)
	wantCode(t, "6 KB on a default index", put("def", 6000), api.CodeValidation)
	// The large value is filterable.
	out, err := c.ListVectorsMatching(ctx, &api.ListVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "ext", IndexName: "big"}},
		json.RawMessage(`{"text":"`+strings.Repeat("x", 6000)+`"}`))
	if err != nil || len(out.Vectors) != 1 {
		t.Fatalf("filter on the large value: %v", err)
	}
}
