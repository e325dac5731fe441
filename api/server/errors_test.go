package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	"github.com/aws/smithy-go"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// faultyBackend fails PutVectors with a chosen error, or panics.
type faultyBackend struct {
	server.Backend
	fail  atomic.Pointer[error]
	panic atomic.Bool
}

func (b *faultyBackend) PutVectors(ctx context.Context, bucket, index string, vecs []api.PutInputVector) error {
	if b.panic.Load() {
		panic("backend exploded")
	}
	if e := b.fail.Load(); e != nil {
		return *e
	}
	return b.Backend.PutVectors(ctx, bucket, index, vecs)
}

// TestSDKTypedErrors maps every storage error kind through the one table
// and checks the official SDK recognises each as its typed error.
func TestSDKTypedErrors(t *testing.T) {
	var fb *faultyBackend
	ts := newTestServer(t, false, func(b server.Backend) server.Backend { fb = &faultyBackend{Backend: b}; return fb })
	fixture(t, ts)
	sdk := servertest.NewSDK(ts.URL, "", "")
	put := func() error {
		_, err := sdk.PutVectors(context.Background(), &s3vectors.PutVectorsInput{VectorBucketName: aws.String("tbl"), IndexName: aws.String("vec"),
			Vectors: []types.PutInputVector{{Key: aws.String("a"), Data: &types.VectorDataMemberFloat32{Value: []float32{1, 2, 3, 4}}}}})
		return err
	}
	set := func(err error) { fb.fail.Store(&err) }
	check := func(name string, status int, match func(error) bool, err error) {
		t.Helper()
		var re interface{ HTTPStatusCode() int }
		if !match(err) || !errors.As(err, &re) || re.HTTPStatusCode() != status {
			t.Errorf("%s: got %v (%T), want HTTP %d", name, err, err, status)
		}
	}
	set(fmt.Errorf("put: %w", index.ErrQuotaExceeded))
	err := put()
	check("quota", 402, func(err error) bool { var e *types.ServiceQuotaExceededException; return errors.As(err, &e) }, err)
	set(fmt.Errorf("put: %w", index.ErrClosed))
	err = put()
	check("closed", 503, func(err error) bool { var e *types.ServiceUnavailableException; return errors.As(err, &e) }, err)
	set(api.TooManyRequests("slow down"))
	err = put()
	check("throttled", 429, func(err error) bool { var e *types.TooManyRequestsException; return errors.As(err, &e) }, err)
	set(fmt.Errorf("put: %w", context.DeadlineExceeded))
	err = put()
	check("deadline", 408, func(err error) bool { var e *types.RequestTimeoutException; return errors.As(err, &e) }, err)
	set(fmt.Errorf("put: %w", index.ErrIndexNotFound))
	err = put()
	check("not found", 404, func(err error) bool { var e *types.NotFoundException; return errors.As(err, &e) }, err)
	set(&index.ValidationError{Field: "vectors[0].data", Message: "bad"})
	err = put()
	check("validation", 400, func(err error) bool {
		var e *types.ValidationException
		return errors.As(err, &e) && len(e.FieldList) == 1 && aws.ToString(e.FieldList[0].Path) == "vectors[0].data"
	}, err)
	set(errors.New("disk on fire"))
	err = put()
	check("internal", 500, func(err error) bool {
		var e *types.InternalServerException
		return errors.As(err, &e) && !strings.Contains(err.Error(), "fire")
	}, err)
	fb.panic.Store(true)
	err = put()
	check("panic", 500, func(err error) bool { var e *types.InternalServerException; return errors.As(err, &e) }, err)
	fb.panic.Store(false)
	fb.fail.Store(nil)
	if err := put(); err != nil {
		t.Fatalf("server did not recover: %v", err)
	}
	var ae smithy.APIError
	_, err = sdk.GetIndex(context.Background(), &s3vectors.GetIndexInput{VectorBucketName: aws.String("tbl"), IndexName: aws.String("nope")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotFoundException" || ae.ErrorFault() != smithy.FaultClient {
		t.Fatalf("GetIndex missing: %v", err)
	}

	// The metrics count what happened, by operation and status.
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	for _, want := range []string{
		`vectorbucket_http_requests_total{operation="PutVectors",status="402"} 1`,
		`vectorbucket_http_requests_total{operation="PutVectors",status="500"} 2`,
		`vectorbucket_http_errors_total{code="ServiceUnavailableException",operation="PutVectors"} 1`,
		`vectorbucket_http_request_duration_seconds_count{operation="PutVectors",status="200"} 2`,
	} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAccessDenied checks that unsigned and badly signed requests are
// refused before anything is read or written.
func TestAccessDenied(t *testing.T) {
	ts := newTestServer(t, true, nil)
	signed := servertest.NewSDK(ts.URL, testAccessKey, testSecret)
	ctx := context.Background()
	if _, err := signed.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("mine")}); err != nil {
		t.Fatal(err)
	}
	for name, sdk := range map[string]*s3vectors.Client{
		"unsigned":       servertest.NewSDK(ts.URL, "", ""),
		"wrong secret":   servertest.NewSDK(ts.URL, testAccessKey, "wrong"),
		"unknown key id": servertest.NewSDK(ts.URL, "AKIDOTHER", testSecret),
	} {
		_, err := sdk.DeleteVectorBucket(ctx, &s3vectors.DeleteVectorBucketInput{VectorBucketName: aws.String("mine")})
		servertest.Expect[*types.AccessDeniedException](t, name+" DeleteVectorBucket", err)
		_, err = sdk.TagResource(ctx, &s3vectors.TagResourceInput{ResourceArn: aws.String(api.BucketARN("us-east-1", "123456789012", "mine")), Tags: map[string]string{"a": "b"}})
		servertest.Expect[*types.AccessDeniedException](t, name+" TagResource", err)
	}
	if _, err := signed.GetVectorBucket(ctx, &s3vectors.GetVectorBucketInput{VectorBucketName: aws.String("mine")}); err != nil {
		t.Fatalf("bucket gone after refused deletes: %v", err)
	}
	lt, err := signed.ListTagsForResource(ctx, &s3vectors.ListTagsForResourceInput{ResourceArn: aws.String(api.BucketARN("us-east-1", "123456789012", "mine"))})
	if err != nil || len(lt.Tags) != 0 {
		t.Fatalf("tags after refused TagResource: %v, %v", lt, err)
	}
	// /health needs no signature.
	st, _, _ := call(t, http.MethodGet, ts.URL+"/health", nil)
	if st != http.StatusOK {
		t.Fatalf("/health: %d", st)
	}
}

// blockingBackend holds PutVectors until release is closed.
type blockingBackend struct {
	server.Backend
	entered chan struct{}
	release chan struct{}
}

func (b *blockingBackend) PutVectors(ctx context.Context, bucket, index string, vecs []api.PutInputVector) error {
	b.entered <- struct{}{}
	<-b.release
	return b.Backend.PutVectors(ctx, bucket, index, vecs)
}

// TestMaxInFlight checks that requests beyond MaxInFlight get 503, which
// the SDK recognises, and that the server serves again once load drops.
func TestMaxInFlight(t *testing.T) {
	ctx := context.Background()
	db, err := index.Open(ctx, mem.New(), index.Options{Region: "us-east-1", Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bb := &blockingBackend{Backend: server.NewIndexBackend(db), entered: make(chan struct{}, 1), release: make(chan struct{})}
	srv, err := server.New(server.Config{Backend: bb, MaxInFlight: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ts := &testServer{Server: hs}
	mustPost(t, ts, "CreateVectorBucket", `{"vectorBucketName":"tbl"}`)
	mustPost(t, ts, "CreateIndex", `{"vectorBucketName":"tbl","indexName":"vec","dataType":"float32","dimension":4,"distanceMetric":"euclidean"}`)
	body := `{"vectorBucketName":"tbl","indexName":"vec","vectors":[{"key":"a","data":` + vecJSON(1, 2, 3, 4) + `}]}`
	done := make(chan []byte)
	go func() { done <- mustPost(t, ts, "PutVectors", body) }()
	<-bb.entered
	sdk := servertest.NewSDK(hs.URL, "", "")
	_, err = sdk.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String("tbl"), IndexName: aws.String("vec")})
	servertest.Expect[*types.ServiceUnavailableException](t, "GetIndex while saturated", err)
	close(bb.release)
	<-done
	if _, err := sdk.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String("tbl"), IndexName: aws.String("vec")}); err != nil {
		t.Fatalf("after the load: %v", err)
	}
}

// TestQueryMetrics checks the index backend's query metrics and backlog.
func TestQueryMetrics(t *testing.T) {
	ts := newTestServer(t, false, nil)
	fixture(t, ts)
	mustPost(t, ts, "QueryVectors", `{"vectorBucketName":"tbl","indexName":"vec","topK":3,"queryVector":`+vecJSON(1, 2, 3, 4)+`}`)
	_, _, body := call(t, http.MethodGet, ts.URL+"/metrics", nil)
	for _, want := range []string{
		`vectorbucket_indexer_backlog_vectors{bucket="tbl",index="vec"} 10`,
		`vectorbucket_query_vectors_scored_total 10`,
		`vectorbucket_query_neighborhoods_probed_total 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	mustPost(t, ts, "DeleteIndex", `{"vectorBucketName":"tbl","indexName":"vec"}`)
	_, _, body = call(t, http.MethodGet, ts.URL+"/metrics", nil)
	if strings.Contains(string(body), `index="vec"`) {
		t.Error("backlog of a deleted index still exported")
	}
}
