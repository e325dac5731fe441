package server_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	smithydoc "github.com/aws/smithy-go/document"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
)

// TestMetadataNumbersExact checks that metadata numbers keep every digit
// through PutVectors and back out of GetVectors, ListVectors and
// QueryVectors: on the wire, through our client (json.Number) and through
// the official SDK (document.Number).
func TestMetadataNumbersExact(t *testing.T) {
	ts := newTestServer(t, false, nil)
	mustPost(t, ts, "CreateVectorBucket", `{"vectorBucketName":"tbl"}`)
	mustPost(t, ts, "CreateIndex", `{"vectorBucketName":"tbl","indexName":"vec","dataType":"float32","dimension":2,"distanceMetric":"euclidean"}`)
	const big, huge, dec = "9007199254740993", "18446744073709551615", "0.10000000000000000555"
	mustPost(t, ts, "PutVectors", `{"vectorBucketName":"tbl","indexName":"vec","vectors":[{"key":"a","data":{"float32":[1,2]},`+
		`"metadata":{"id":`+big+`,"l":[`+huge+`],"f":`+dec+`}}]}`)
	want := `"id":` + big
	for op, body := range map[string]string{
		"GetVectors":   `{"vectorBucketName":"tbl","indexName":"vec","keys":["a"],"returnMetadata":true}`,
		"ListVectors":  `{"vectorBucketName":"tbl","indexName":"vec","returnMetadata":true}`,
		"QueryVectors": `{"vectorBucketName":"tbl","indexName":"vec","topK":1,"queryVector":{"float32":[1,2]},"returnMetadata":true}`,
	} {
		got := string(mustPost(t, ts, op, body))
		for _, w := range []string{want, "[" + huge + "]", `"f":` + dec} {
			if !strings.Contains(got, w) {
				t.Errorf("%s: response %s lacks %s", op, got, w)
			}
		}
	}
	ctx := context.Background()
	cl, err := client.New(client.Options{Endpoint: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	out, err := cl.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "tbl", IndexName: "vec"}, Keys: []string{"a"}, ReturnMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Vectors[0].Metadata["id"]; fmt.Sprint(got) != big {
		t.Errorf("client GetVectors id = %v (%T), want %s", got, got, big)
	}
	// Written by the SDK as an int64, read back by the SDK as a Number.
	sdk := servertest.NewSDK(ts.URL, "", "")
	if _, err := sdk.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String("tbl"), IndexName: aws.String("vec"),
		Vectors: []types.PutInputVector{{Key: aws.String("b"), Data: &types.VectorDataMemberFloat32{Value: []float32{3, 4}}, Metadata: document.NewLazyDocument(map[string]any{"id": int64(1<<62 + 1)})}}}); err != nil {
		t.Fatal(err)
	}
	gv, err := sdk.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: aws.String("tbl"), IndexName: aws.String("vec"), Keys: []string{"b"}, ReturnMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]smithydoc.Number
	if err := gv.Vectors[0].Metadata.UnmarshalSmithyDocument(&md); err != nil {
		t.Fatal(err)
	}
	if n, err := md["id"].Int64(); err != nil || n != 1<<62+1 {
		t.Errorf("SDK GetVectors id = %v (%v), want %d", md["id"], err, int64(1<<62+1))
	}
}

// TestMetadataRuleShared checks that the API layer (api.CheckMetadata) and
// the index (through PutVectors) accept and refuse the same documents at
// the limits.
func TestMetadataRuleShared(t *testing.T) {
	ts := newTestServer(t, false, nil)
	mustPost(t, ts, "CreateVectorBucket", `{"vectorBucketName":"tbl"}`)
	mustPost(t, ts, "CreateIndex", `{"vectorBucketName":"tbl","indexName":"vec","dataType":"float32","dimension":2,"distanceMetric":"euclidean",`+
		`"metadataConfiguration":{"nonFilterableMetadataKeys":["text"]}}`)
	nonFilterable := func(k string) bool { return k == "text" }
	str := func(n int) string { return strings.Repeat("é", n/2) + strings.Repeat("x", n%2) } // n UTF-8 bytes
	docs := map[string]api.Metadata{}
	for _, n := range []int{2042, 2043, 2044} { // filterable: len("g") + n + 2 quotes
		docs[fmt.Sprint("filterable ", n)] = api.Metadata{"g": str(n)}
	}
	for _, n := range []int{40940, 40950, 40960} { // total: compact JSON
		docs[fmt.Sprint("total ", n)] = api.Metadata{"text": str(n), "g": 1}
	}
	docs["number text"] = api.Metadata{"g": strings.Repeat("1", 2040), "n": 12345678901234567}
	docs["null"] = api.Metadata{"g": nil}
	docs["nested"] = api.Metadata{"g": map[string]any{"a": 1}}
	docs["empty key"] = api.Metadata{"": 1}
	accepted := 0
	for name, md := range docs {
		apiOK := len(api.CheckMetadata("metadata", md, nonFilterable)) == 0
		body, err := api.AppendPutVectorsJSON(nil, &api.PutVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "tbl", IndexName: "vec"},
			Vectors: []api.PutInputVector{{Key: "k", Data: api.Float32Vector([]float32{1, 2}), Metadata: md}}})
		if err != nil {
			t.Fatal(err)
		}
		st, _, resp := call(t, "POST", ts.URL+"/PutVectors", bytes.NewReader(body))
		if indexOK := st == 200; indexOK != apiOK {
			t.Errorf("%s: api.CheckMetadata ok=%v, PutVectors %d %s", name, apiOK, st, resp)
		}
		if apiOK {
			accepted++
		}
	}
	if accepted == 0 || accepted == len(docs) {
		t.Errorf("%d of %d documents accepted: the cases do not straddle the limits", accepted, len(docs))
	}
}
