package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

const receiptDim, receiptN = 8, 4000

// receiptVec is vector i of the receipt tests' index.
func receiptVec(r *rand.Rand) []float32 {
	v := make([]float32, receiptDim)
	for j := range v {
		v[j] = float32(r.NormFloat64())
	}
	return v
}

// newReceiptServer serves bucket "rcpt", index "rcpt-idx": receiptN vectors with
// metadata {"c": i%10} in neighborhoods of about 50 and QueryVectors pages
// of 40. It returns the server and the vectors by key.
func newReceiptServer(t *testing.T) (*httptest.Server, map[string][]float32) {
	t.Helper()
	ctx := context.Background()
	db, err := index.Open(ctx, mem.New(), index.Options{Region: servertest.Region, Account: servertest.Account,
		Indexer: index.IndexerOptions{Disabled: true, NeighborhoodSize: 50, Seed: 5}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), QueryPageSize: 40,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	post := func(op, body string) {
		if st, _, b := call(t, http.MethodPost, hs.URL+"/"+op, strings.NewReader(body)); st != http.StatusOK {
			t.Fatalf("%s: %d %s", op, st, b)
		}
	}
	post(api.OpCreateVectorBucket, `{"vectorBucketName":"rcpt"}`)
	post(api.OpCreateIndex, fmt.Sprintf(`{"vectorBucketName":"rcpt","indexName":"rcpt-idx","dataType":"float32","dimension":%d,"distanceMetric":"euclidean"}`, receiptDim))
	r := rand.New(rand.NewPCG(3, 4))
	all := map[string][]float32{}
	for lo := 0; lo < receiptN; lo += 500 {
		in := api.PutVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "rcpt", IndexName: "rcpt-idx"}}
		for i := lo; i < lo+500; i++ {
			k := fmt.Sprintf("v%05d", i)
			all[k] = receiptVec(r)
			in.Vectors = append(in.Vectors, api.PutInputVector{Key: k, Data: api.Float32Vector(all[k]), Metadata: api.Metadata{"c": float64(i % 10)}})
		}
		b, err := json.Marshal(&in)
		if err != nil {
			t.Fatal(err)
		}
		post(api.OpPutVectors, string(b))
	}
	ix, err := db.Index(ctx, "rcpt", "rcpt-idx")
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	return hs, all
}

// receiptQuery is a QueryVectors body for q with extra members appended.
func receiptQuery(t *testing.T, q []float32, topK int, extra string) string {
	t.Helper()
	v, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"vectorBucketName":"rcpt","indexName":"rcpt-idx","topK":%d,"queryVector":{"float32":%s}%s}`, topK, v, extra)
}

// queryWithReceipt runs a query over HTTP and returns the answer, the
// parsed receipt header and the raw body.
func queryWithReceipt(t *testing.T, url, body string) (api.QueryVectorsResponse, api.QueryReceipt, []byte) {
	t.Helper()
	st, h, b := call(t, http.MethodPost, url+"/QueryVectors", strings.NewReader(body))
	if st != http.StatusOK {
		t.Fatalf("QueryVectors %s: %d %s", body, st, b)
	}
	var out api.QueryVectorsResponse
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	hv := h.Get(api.ReceiptHeader)
	rc, err := api.ParseReceiptHeader(hv)
	if err != nil {
		t.Fatalf("header %q: %v", hv, err)
	}
	return out, rc, b
}

// checkReceipt checks one receipt for internal consistency.
func checkReceipt(t *testing.T, what string, r *api.QueryReceipt) {
	t.Helper()
	if r.NeighborhoodsTotal < 10 || r.NeighborhoodsProbed < 1 || r.NeighborhoodsProbed > r.NeighborhoodsTotal ||
		r.NProbe < 1 || r.NProbe > r.NeighborhoodsTotal || r.VectorsScored < 1 ||
		r.EstimatedRecall <= 0 || r.EstimatedRecall > 1 || r.StoreRoundTrips < 1 || r.ObjectsFromCache+r.ObjectsFromStore < 1 ||
		r.FilterSelectivity < 0 || r.FilterSelectivity > 1 || r.ElapsedMicros < 0 || r.CodesRefined < 0 || r.CodesRefined > r.CodesScanned {
		t.Errorf("%s: inconsistent receipt %+v", what, *r)
	}
	if r.Exact && (r.EstimatedRecall != 1 || r.NeighborhoodsProbed != r.NeighborhoodsTotal) {
		t.Errorf("%s: exact receipt %+v", what, *r)
	}
}

// TestQueryReceiptsHTTP: receipts in the header of every answer and in the
// body when asked, consistent with each other; recall targets reach the
// planner (more probes for higher targets, exact equals brute force);
// targets outside 0.8–1 are ValidationExceptions; paged queries carry the
// ranking's receipt on the first page.
func TestQueryReceiptsHTTP(t *testing.T) {
	hs, all := newReceiptServer(t)
	r := rand.New(rand.NewPCG(9, 9))
	q := receiptVec(r)

	// Without the field: the S3 Vectors answer, and the header.
	out, hdr, body := queryWithReceipt(t, hs.URL, receiptQuery(t, q, 10, ""))
	if strings.Contains(string(body), "vectorbucket") || out.Vectorbucket != nil {
		t.Errorf("plain query answered %s", body)
	}
	checkReceipt(t, "plain header", &hdr)

	// Asked: body and header agree.
	out, hdr, _ = queryWithReceipt(t, hs.URL, receiptQuery(t, q, 10, `,"vectorbucket":{"receipt":true}`))
	if out.Vectorbucket == nil || out.Vectorbucket.Receipt == nil {
		t.Fatal("no receipt in the body")
	}
	rc := *out.Vectorbucket.Receipt
	checkReceipt(t, "body", &rc)
	if rc.Exact || rc.NeighborhoodsProbed == rc.NeighborhoodsTotal {
		t.Errorf("default query probed everything: %+v", rc)
	}
	if hdr != rc {
		t.Errorf("header %+v\n  != body %+v", hdr, rc)
	}

	// Targets: more probes for higher ones; 1 and exact are brute force.
	var probes []int
	for _, tr := range []string{"0.8", "0.9", "0.95", "0.99"} {
		out, _, _ := queryWithReceipt(t, hs.URL, receiptQuery(t, q, 10, `,"vectorbucket":{"receipt":true,"targetRecall":`+tr+`}`))
		rc := out.Vectorbucket.Receipt
		checkReceipt(t, "target "+tr, rc)
		probes = append(probes, rc.NProbe)
	}
	if !slices.IsSorted(probes) || probes[0] >= probes[3] {
		t.Errorf("nprobe for targets 0.8-0.99: %v", probes)
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	d := func(k string) float64 {
		s := 0.0
		for i, x := range all[k] {
			s += float64(x-q[i]) * float64(x-q[i])
		}
		return s
	}
	slices.SortFunc(keys, func(a, b string) int {
		if da, db := d(a), d(b); da != db {
			if da < db {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, ext := range []string{`{"receipt":true,"targetRecall":1}`, `{"receipt":true,"exact":true}`, `{"receipt":true,"exact":true,"targetRecall":0.8}`} {
		out, hdr, _ := queryWithReceipt(t, hs.URL, receiptQuery(t, q, 10, `,"vectorbucket":`+ext))
		rc := out.Vectorbucket.Receipt
		checkReceipt(t, ext, rc)
		if !rc.Exact || !hdr.Exact || rc.EstimatedRecall != 1 {
			t.Errorf("%s: not exact: %+v", ext, rc)
		}
		for i, v := range out.Vectors {
			if v.Key != keys[i] {
				t.Fatalf("%s: result %d is %s, brute force %s", ext, i, v.Key, keys[i])
			}
		}
	}

	// A filter reports its selectivity (c is one of 10 values).
	out, _, _ = queryWithReceipt(t, hs.URL, receiptQuery(t, q, 10, `,"filter":{"c":3},"vectorbucket":{"receipt":true}`))
	if rc := out.Vectorbucket.Receipt; rc.FilterEvaluated < 100 || rc.FilterSelectivity < 0.05 || rc.FilterSelectivity > 0.15 || len(out.Vectors) != 10 {
		t.Errorf("filtered: %d results, receipt %+v", len(out.Vectors), rc)
	}

	// Validation.
	for _, ext := range []string{`{"targetRecall":0.5}`, `{"targetRecall":1.2}`, `{"targetRecall":-1}`, `{"receipts":true}`, `[]`} {
		st, _, b := call(t, http.MethodPost, hs.URL+"/QueryVectors", strings.NewReader(receiptQuery(t, q, 10, `,"vectorbucket":`+ext)))
		if st != http.StatusBadRequest || !strings.Contains(string(b), api.CodeValidation) {
			t.Errorf("vectorbucket %s: %d %s", ext, st, b)
		}
		if strings.Contains(ext, "targetRecall") && !strings.Contains(string(b), "targetRecall") {
			t.Errorf("vectorbucket %s: message %s does not name the field", ext, b)
		}
	}

	// Paged: the first page has the receipt, later pages only the header.
	body1 := receiptQuery(t, q, 100, `,"vectorbucket":{"receipt":true}`)
	p1, h1, _ := queryWithReceipt(t, hs.URL, body1)
	if p1.NextToken == "" || p1.Vectorbucket == nil || p1.Vectorbucket.Receipt == nil || *p1.Vectorbucket.Receipt != h1 {
		t.Fatalf("first page: token %q, extension %+v, header %+v", p1.NextToken, p1.Vectorbucket, h1)
	}
	checkReceipt(t, "first page", &h1)
	p2, h2, b2 := queryWithReceipt(t, hs.URL, strings.TrimSuffix(body1, "}")+`,"nextToken":"`+p1.NextToken+`"}`)
	if len(p2.Vectors) != 40 || p2.Vectorbucket != nil || h2 != h1 {
		t.Errorf("second page: %d vectors, body %s, header %+v (first %+v)", len(p2.Vectors), b2, h2, h1)
	}
}

// TestQueryReceiptHeaderSDK: an official-SDK query (which never sends the
// field) answers as before and carries the receipt header, which SDK users
// read with a middleware.
func TestQueryReceiptHeaderSDK(t *testing.T) {
	hs, _ := newReceiptServer(t)
	sdk := servertest.NewSDK(hs.URL, "", "")
	var hv string
	capture := func(o *s3vectors.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("receipt", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if r, ok := out.RawResponse.(*smithyhttp.Response); ok {
					hv = r.Header.Get(api.ReceiptHeader)
				}
				return out, md, err
			}), middleware.After)
		})
	}
	q := receiptVec(rand.New(rand.NewPCG(1, 2)))
	out, err := sdk.QueryVectors(context.Background(), &s3vectors.QueryVectorsInput{
		VectorBucketName: aws.String("rcpt"), IndexName: aws.String("rcpt-idx"), TopK: aws.Int32(5),
		QueryVector: &types.VectorDataMemberFloat32{Value: q}, Filter: document.NewLazyDocument(map[string]any{"c": 1}), ReturnDistance: true,
	}, capture)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Vectors) != 5 {
		t.Fatalf("%d results", len(out.Vectors))
	}
	rc, err := api.ParseReceiptHeader(hv)
	if err != nil {
		t.Fatalf("header %q: %v", hv, err)
	}
	checkReceipt(t, "SDK header", &rc)
	if rc.FilterEvaluated == 0 {
		t.Errorf("filtered SDK query: receipt %+v", rc)
	}
}
