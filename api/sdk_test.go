package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/vectorbucket/vectorbucket/api"
)

// captured is one request the official SDK sent to the fake server.
type captured struct {
	method, path, query string
	body                []byte
}

// sdkHarness is an httptest server that records what the official AWS SDK
// (v1.15.0) sends and answers with bodies built from the api types.
type sdkHarness struct {
	mu    sync.Mutex
	last  captured
	reply func(op string) (int, http.Header, any)
	sdk   *s3vectors.Client
}

func newSDKHarness(t *testing.T) *sdkHarness {
	h := &sdkHarness{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.last = captured{method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery, body: body}
		reply := h.reply
		h.mu.Unlock()
		status, hdr, v := http.StatusOK, http.Header{}, any(api.Empty{})
		if reply != nil {
			status, hdr, v = reply(strings.TrimPrefix(r.URL.Path, "/"))
		}
		if e, ok := v.(*api.Error); ok {
			api.WriteError(w, e)
			return
		}
		for k, vs := range hdr {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(srv.Close)
	h.sdk = s3vectors.New(s3vectors.Options{
		BaseEndpoint:     aws.String(srv.URL),
		Region:           "us-east-1",
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
	return h
}

func (h *sdkHarness) take() captured {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

const (
	idxArn    = "arn:aws:s3vectors:us-east-1:123456789012:bucket/media/index/movies"
	bucketArn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/media"
)

// TestSDKRequestsDecodeStrictly sends every operation through the official
// SDK and decodes what it sent with api.Decode, which rejects unknown
// members: the api types must name every member exactly as the SDK does.
func TestSDKRequestsDecodeStrictly(t *testing.T) {
	h := newSDKHarness(t)
	ctx := context.Background()
	nan := float32(math.NaN())
	type check struct {
		name string
		call func() error
		path string
		req  any
		want func(t *testing.T, req any)
	}
	checks := []check{
		{"CreateVectorBucket", func() error {
			_, err := h.sdk.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("media"),
				EncryptionConfiguration: &types.EncryptionConfiguration{SseType: types.SseTypeAes256}, Tags: map[string]string{"team": "search"}})
			return err
		}, "/CreateVectorBucket", &api.CreateVectorBucketRequest{}, func(t *testing.T, r any) {
			q := r.(*api.CreateVectorBucketRequest)
			if q.VectorBucketName != "media" || q.EncryptionConfiguration.SseType != api.SseAES256 || q.Tags["team"] != "search" {
				t.Errorf("got %+v", q)
			}
		}},
		{"GetVectorBucket", func() error {
			_, err := h.sdk.GetVectorBucket(ctx, &s3vectors.GetVectorBucketInput{VectorBucketArn: aws.String(bucketArn)})
			return err
		}, "/GetVectorBucket", &api.GetVectorBucketRequest{}, func(t *testing.T, r any) {
			if r.(*api.GetVectorBucketRequest).VectorBucketArn != bucketArn {
				t.Errorf("got %+v", r)
			}
		}},
		{"ListVectorBuckets", func() error {
			_, err := h.sdk.ListVectorBuckets(ctx, &s3vectors.ListVectorBucketsInput{MaxResults: aws.Int32(7), Prefix: aws.String("me"), NextToken: aws.String("tok")})
			return err
		}, "/ListVectorBuckets", &api.ListVectorBucketsRequest{}, func(t *testing.T, r any) {
			q := r.(*api.ListVectorBucketsRequest)
			if *q.MaxResults != 7 || q.Prefix != "me" || q.NextToken != "tok" {
				t.Errorf("got %+v", q)
			}
		}},
		{"DeleteVectorBucket", func() error {
			_, err := h.sdk.DeleteVectorBucket(ctx, &s3vectors.DeleteVectorBucketInput{VectorBucketName: aws.String("media")})
			return err
		}, "/DeleteVectorBucket", &api.DeleteVectorBucketRequest{}, nil},
		{"PutVectorBucketPolicy", func() error {
			_, err := h.sdk.PutVectorBucketPolicy(ctx, &s3vectors.PutVectorBucketPolicyInput{VectorBucketName: aws.String("media"), Policy: aws.String(`{"Version":"2012-10-17"}`)})
			return err
		}, "/PutVectorBucketPolicy", &api.PutVectorBucketPolicyRequest{}, func(t *testing.T, r any) {
			if r.(*api.PutVectorBucketPolicyRequest).Policy != `{"Version":"2012-10-17"}` {
				t.Errorf("got %+v", r)
			}
		}},
		{"GetVectorBucketPolicy", func() error {
			_, err := h.sdk.GetVectorBucketPolicy(ctx, &s3vectors.GetVectorBucketPolicyInput{VectorBucketName: aws.String("media")})
			return err
		}, "/GetVectorBucketPolicy", &api.GetVectorBucketPolicyRequest{}, nil},
		{"DeleteVectorBucketPolicy", func() error {
			_, err := h.sdk.DeleteVectorBucketPolicy(ctx, &s3vectors.DeleteVectorBucketPolicyInput{VectorBucketName: aws.String("media")})
			return err
		}, "/DeleteVectorBucketPolicy", &api.DeleteVectorBucketPolicyRequest{}, nil},
		{"CreateIndex", func() error {
			_, err := h.sdk.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String("media"), IndexName: aws.String("movies"),
				DataType: types.DataTypeFloat32, Dimension: aws.Int32(1024), DistanceMetric: types.DistanceMetricCosine,
				MetadataConfiguration:   &types.MetadataConfiguration{NonFilterableMetadataKeys: []string{"source_text"}},
				EncryptionConfiguration: &types.EncryptionConfiguration{SseType: types.SseTypeAwsKms, KmsKeyArn: aws.String("arn:aws:kms:us-east-1:123456789012:key/abc")}})
			return err
		}, "/CreateIndex", &api.CreateIndexRequest{}, func(t *testing.T, r any) {
			q := r.(*api.CreateIndexRequest)
			if q.IndexName != "movies" || q.Dimension != 1024 || q.DistanceMetric != api.Cosine || q.DataType != api.DataTypeFloat32 ||
				q.MetadataConfiguration.NonFilterableMetadataKeys[0] != "source_text" || q.EncryptionConfiguration.SseType != api.SseKMS {
				t.Errorf("got %+v", q)
			}
		}},
		{"GetIndex", func() error {
			_, err := h.sdk.GetIndex(ctx, &s3vectors.GetIndexInput{IndexArn: aws.String(idxArn)})
			return err
		}, "/GetIndex", &api.GetIndexRequest{}, nil},
		{"ListIndexes", func() error {
			_, err := h.sdk.ListIndexes(ctx, &s3vectors.ListIndexesInput{VectorBucketName: aws.String("media"), MaxResults: aws.Int32(500)})
			return err
		}, "/ListIndexes", &api.ListIndexesRequest{}, nil},
		{"DeleteIndex", func() error {
			_, err := h.sdk.DeleteIndex(ctx, &s3vectors.DeleteIndexInput{VectorBucketName: aws.String("media"), IndexName: aws.String("movies")})
			return err
		}, "/DeleteIndex", &api.DeleteIndexRequest{}, nil},
		{"PutVectors", func() error {
			_, err := h.sdk.PutVectors(ctx, &s3vectors.PutVectorsInput{IndexArn: aws.String(idxArn), Vectors: []types.PutInputVector{
				{Key: aws.String("a"), Data: &types.VectorDataMemberFloat32{Value: []float32{1, 0.5, -1e-7}},
					Metadata: document.NewLazyDocument(map[string]any{"genre": "scifi", "year": 2020, "tags": []any{"x", true}})},
				{Key: aws.String("b"), Data: &types.VectorDataMemberFloat32{Value: []float32{0.1, 0.2, 0.3}}},
			}})
			return err
		}, "/PutVectors", &api.PutVectorsRequest{}, func(t *testing.T, r any) {
			q := r.(*api.PutVectorsRequest)
			if len(q.Vectors) != 2 || q.Vectors[0].Data.Float32[2] != -1e-7 || q.Vectors[1].Data.Float32[0] != 0.1 ||
				q.Vectors[0].Metadata["year"] != json.Number("2020") || q.Vectors[0].Metadata["tags"].([]any)[1] != true || q.Vectors[1].Metadata != nil {
				t.Errorf("got %+v", q)
			}
		}},
		{"GetVectors", func() error {
			_, err := h.sdk.GetVectors(ctx, &s3vectors.GetVectorsInput{IndexArn: aws.String(idxArn), Keys: []string{"a", "b"}, ReturnData: true})
			return err
		}, "/GetVectors", &api.GetVectorsRequest{}, func(t *testing.T, r any) {
			q := r.(*api.GetVectorsRequest)
			if !q.ReturnData || q.ReturnMetadata || len(q.Keys) != 2 {
				t.Errorf("got %+v", q)
			}
		}},
		{"ListVectors segment 0", func() error {
			_, err := h.sdk.ListVectors(ctx, &s3vectors.ListVectorsInput{IndexArn: aws.String(idxArn), SegmentCount: aws.Int32(4), SegmentIndex: 0, ReturnMetadata: true})
			return err
		}, "/ListVectors", &api.ListVectorsRequest{}, func(t *testing.T, r any) {
			q := r.(*api.ListVectorsRequest)
			if *q.SegmentCount != 4 || q.SegmentIndex != 0 || !q.ReturnMetadata || q.MaxResults != nil {
				t.Errorf("got %+v", q)
			}
		}},
		{"DeleteVectors", func() error {
			_, err := h.sdk.DeleteVectors(ctx, &s3vectors.DeleteVectorsInput{IndexArn: aws.String(idxArn), Keys: []string{"a"}})
			return err
		}, "/DeleteVectors", &api.DeleteVectorsRequest{}, nil},
		{"QueryVectors", func() error {
			_, err := h.sdk.QueryVectors(ctx, &s3vectors.QueryVectorsInput{IndexArn: aws.String(idxArn), TopK: aws.Int32(3),
				QueryVector: &types.VectorDataMemberFloat32{Value: []float32{1, 0.5, 0}}, ReturnDistance: true, ReturnMetadata: true,
				Filter: document.NewLazyDocument(map[string]any{"genre": "scifi"}), NextToken: aws.String("page2")})
			return err
		}, "/QueryVectors", &api.QueryVectorsRequest{}, func(t *testing.T, r any) {
			q := r.(*api.QueryVectorsRequest)
			if q.TopK != 3 || !q.ReturnDistance || !q.ReturnMetadata || string(q.Filter) != `{"genre":"scifi"}` || q.NextToken != "page2" {
				t.Errorf("got %+v filter %s", q, q.Filter)
			}
		}},
		{"TagResource", func() error {
			_, err := h.sdk.TagResource(ctx, &s3vectors.TagResourceInput{ResourceArn: aws.String(idxArn), Tags: map[string]string{"k": "v"}})
			return err
		}, api.TagsPath(idxArn), &api.TagResourceRequest{}, nil},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); err != nil {
				t.Fatalf("SDK call: %v", err)
			}
			got := h.take()
			if got.method != http.MethodPost || got.path != c.path {
				t.Errorf("%s %s, want POST %s", got.method, got.path, c.path)
			}
			if e := api.Decode(got.body, c.req); e != nil {
				t.Fatalf("Decode(%s): %v", got.body, e)
			}
			if c.want != nil {
				c.want(t, c.req)
			}
		})
	}

	// NaN from the SDK becomes a located ValidationException, not a 500.
	_, _ = h.sdk.PutVectors(ctx, &s3vectors.PutVectorsInput{IndexArn: aws.String(idxArn), Vectors: []types.PutInputVector{
		{Key: aws.String("a"), Data: &types.VectorDataMemberFloat32{Value: []float32{1, 2}}},
		{Key: aws.String("b"), Data: &types.VectorDataMemberFloat32{Value: []float32{1, nan}}},
	}})
	var req api.PutVectorsRequest
	e := api.Decode(h.take().body, &req)
	if e == nil || e.Code != api.CodeValidation || len(e.FieldList) != 1 || e.FieldList[0].Path != "vectors[1].data.float32[1]" {
		t.Errorf("NaN vector: got %v", e)
	}

	// The tagging routes: ARN percent-encoded as one segment, tagKeys repeated.
	if _, err := h.sdk.UntagResource(ctx, &s3vectors.UntagResourceInput{ResourceArn: aws.String(idxArn), TagKeys: []string{"k", "k2"}}); err != nil {
		t.Fatal(err)
	}
	got := h.take()
	if got.method != http.MethodDelete || got.path != api.TagsPath(idxArn) || got.query != "tagKeys=k&tagKeys=k2" {
		t.Errorf("UntagResource sent %s %s?%s", got.method, got.path, got.query)
	}
	if arn, ok := api.TagsResource(got.path); !ok || arn != idxArn {
		t.Errorf("TagsResource(%s) = %q, %v", got.path, arn, ok)
	}
	if _, err := h.sdk.ListTagsForResource(ctx, &s3vectors.ListTagsForResourceInput{ResourceArn: aws.String(bucketArn)}); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); got.method != http.MethodGet || got.path != api.TagsPath(bucketArn) || len(got.body) != 0 {
		t.Errorf("ListTagsForResource sent %s %s %q", got.method, got.path, got.body)
	}
}

// TestSDKReadsResponses serves bodies encoded from the api types and checks
// the SDK reads every member (timestamps as epoch seconds included).
func TestSDKReadsResponses(t *testing.T) {
	h := newSDKHarness(t)
	ctx := context.Background()
	created := time.Date(2026, 7, 15, 0, 0, 0, 500_000_000, time.UTC)
	dist := float32(0.25)
	h.reply = func(op string) (int, http.Header, any) {
		switch op {
		case api.OpGetIndex:
			return 200, nil, api.GetIndexResponse{Index: api.Index{VectorBucketName: "media", IndexName: "movies", IndexArn: idxArn,
				CreationTime: api.TimestampOf(created), DataType: api.DataTypeFloat32, Dimension: 1024, DistanceMetric: api.Cosine,
				MetadataConfiguration: &api.MetadataConfiguration{NonFilterableMetadataKeys: []string{"source_text"}}}}
		case api.OpQueryVectors:
			return 200, nil, api.QueryVectorsResponse{DistanceMetric: api.Euclidean, NextToken: "n2",
				Vectors: []api.QueryOutputVector{{Key: "a", Distance: &dist, Metadata: api.Metadata{"genre": "scifi"}}}}
		case api.OpGetVectors:
			return 200, nil, api.GetVectorsResponse{Vectors: []api.GetOutputVector{{Key: "a", Data: &api.VectorData{Float32: []float32{0.4, -1}}}}}
		case api.OpListVectorBuckets:
			return 200, nil, api.ListVectorBucketsResponse{VectorBuckets: []api.VectorBucketSummary{{VectorBucketName: "media", VectorBucketArn: bucketArn, CreationTime: api.TimestampOf(created)}}}
		}
		return 0, nil, api.NotFound("Vector index 'movies' does not exist")
	}
	gi, err := h.sdk.GetIndex(ctx, &s3vectors.GetIndexInput{IndexArn: aws.String(idxArn)})
	if err != nil {
		t.Fatal(err)
	}
	if !gi.Index.CreationTime.Equal(created) || *gi.Index.Dimension != 1024 || gi.Index.DistanceMetric != types.DistanceMetricCosine ||
		gi.Index.MetadataConfiguration.NonFilterableMetadataKeys[0] != "source_text" {
		t.Errorf("GetIndex = %+v", gi.Index)
	}
	qv, err := h.sdk.QueryVectors(ctx, &s3vectors.QueryVectorsInput{IndexArn: aws.String(idxArn), TopK: aws.Int32(1),
		QueryVector: &types.VectorDataMemberFloat32{Value: []float32{1}}})
	if err != nil {
		t.Fatal(err)
	}
	if qv.DistanceMetric != types.DistanceMetricEuclidean || *qv.NextToken != "n2" || *qv.Vectors[0].Distance != 0.25 || *qv.Vectors[0].Key != "a" {
		t.Errorf("QueryVectors = %+v", qv)
	}
	var md map[string]any
	if err := qv.Vectors[0].Metadata.UnmarshalSmithyDocument(&md); err != nil || md["genre"] != "scifi" {
		t.Errorf("metadata %v %v", md, err)
	}
	gv, err := h.sdk.GetVectors(ctx, &s3vectors.GetVectorsInput{IndexArn: aws.String(idxArn), Keys: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := gv.Vectors[0].Data.(*types.VectorDataMemberFloat32).Value; d[0] != 0.4 || d[1] != -1 {
		t.Errorf("GetVectors data %v", d)
	}
	lb, err := h.sdk.ListVectorBuckets(ctx, &s3vectors.ListVectorBucketsInput{})
	if err != nil || !lb.VectorBuckets[0].CreationTime.Equal(created) {
		t.Errorf("ListVectorBuckets %+v %v", lb, err)
	}
	if got := h.take(); string(got.body) != "{}" {
		t.Errorf("ListVectorBuckets with no input sent %q", got.body)
	}
	// Errors written by api.WriteError become the SDK's typed errors.
	_, err = h.sdk.DeleteIndex(ctx, &s3vectors.DeleteIndexInput{IndexArn: aws.String(idxArn)})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "movies") {
		t.Errorf("DeleteIndex error %T %v, want *types.NotFoundException", err, err)
	}
}

// TestSDKTypedErrors checks that every error code written by api.WriteError
// is recognised by the SDK as its typed error with the right message and,
// for validation errors, the fieldList.
func TestSDKTypedErrors(t *testing.T) {
	h := newSDKHarness(t)
	ctx := context.Background()
	var current *api.Error
	h.reply = func(string) (int, http.Header, any) { return 0, nil, current }
	cases := []struct {
		err   *api.Error
		check func(error) bool
	}{
		{api.Invalid("topK", "must be between 1 and 10000"), func(err error) bool {
			var e *types.ValidationException
			return errors.As(err, &e) && len(e.FieldList) == 1 && *e.FieldList[0].Path == "topK"
		}},
		{api.QuotaExceeded("too many indexes"), func(err error) bool { var e *types.ServiceQuotaExceededException; return errors.As(err, &e) }},
		{api.AccessDenied("signature mismatch"), func(err error) bool { var e *types.AccessDeniedException; return errors.As(err, &e) }},
		{api.NotFound("no such index"), func(err error) bool { var e *types.NotFoundException; return errors.As(err, &e) }},
		{api.RequestTimeout("slow"), func(err error) bool { var e *types.RequestTimeoutException; return errors.As(err, &e) }},
		{api.TooManyRequests("slow down"), func(err error) bool { var e *types.TooManyRequestsException; return errors.As(err, &e) }},
		{api.Internal(), func(err error) bool { var e *types.InternalServerException; return errors.As(err, &e) }},
		{api.ServiceUnavailable(), func(err error) bool { var e *types.ServiceUnavailableException; return errors.As(err, &e) }},
		{api.NewError(api.CodeKmsNotFound, "no key"), func(err error) bool { var e *types.KmsNotFoundException; return errors.As(err, &e) }},
		{api.NewError(api.CodeKmsDisabled, "disabled"), func(err error) bool { var e *types.KmsDisabledException; return errors.As(err, &e) }},
		{api.NewError(api.CodeKmsInvalidState, "state"), func(err error) bool { var e *types.KmsInvalidStateException; return errors.As(err, &e) }},
		{api.NewError(api.CodeKmsInvalidKeyUsage, "usage"), func(err error) bool { var e *types.KmsInvalidKeyUsageException; return errors.As(err, &e) }},
	}
	for _, c := range cases {
		current = c.err
		_, err := h.sdk.PutVectors(ctx, &s3vectors.PutVectorsInput{IndexArn: aws.String(idxArn), Vectors: []types.PutInputVector{
			{Key: aws.String("a"), Data: &types.VectorDataMemberFloat32{Value: []float32{1}}}}})
		if err == nil || !c.check(err) || !strings.Contains(err.Error(), c.err.Message) {
			t.Errorf("%s: SDK returned %T %v", c.err.Code, err, err)
		}
	}
	// ConflictException is not among PutVectors' errors; CreateIndex has it.
	current = api.Conflict("index movies already exists")
	_, err := h.sdk.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String("media"), IndexName: aws.String("movies"),
		DataType: types.DataTypeFloat32, Dimension: aws.Int32(2), DistanceMetric: types.DistanceMetricCosine})
	var ce *types.ConflictException
	if !errors.As(err, &ce) {
		t.Errorf("ConflictException: SDK returned %T %v", err, err)
	}
}
