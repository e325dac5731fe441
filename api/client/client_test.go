package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
)

const testArn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/media/index/movies"

func vec(key string, x, y float32) api.PutInputVector {
	return api.PutInputVector{Key: key, Data: api.Float32Vector([]float32{x, y})}
}

// TestEveryOperation calls each of the 21 operations against the fake
// server, which decodes each request strictly with api.Decode.
func TestEveryOperation(t *testing.T) {
	for _, signed := range []bool{false, true} {
		t.Run(fmt.Sprint("signed=", signed), func(t *testing.T) {
			f := newFake(t)
			f.prefix = "/s3v" // a deployment path prefix is kept
			opts := Options{}
			if signed {
				f.secret = "secret"
				opts = Options{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Region: "eu-west-1"}
			}
			c := f.client(t, opts)
			ctx := context.Background()
			bref := api.BucketRef{VectorBucketName: "media"}
			iref := api.IndexRef{VectorBucketName: "media", IndexName: "movies"}
			steps := []struct {
				op   string
				call func() error
			}{
				{api.OpCreateVectorBucket, func() error {
					out, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "media"})
					if err == nil && out.VectorBucketArn != "arn:aws:s3vectors:us-east-1:123456789012:bucket/media" {
						err = fmt.Errorf("arn %s", out.VectorBucketArn)
					}
					return err
				}},
				{api.OpGetVectorBucket, func() error {
					_, err := c.GetVectorBucket(ctx, &api.GetVectorBucketRequest{BucketRef: bref})
					return err
				}},
				{api.OpListVectorBuckets, func() error { _, err := c.ListVectorBuckets(ctx, &api.ListVectorBucketsRequest{}); return err }},
				{api.OpPutVectorBucketPolicy, func() error {
					return c.PutVectorBucketPolicy(ctx, &api.PutVectorBucketPolicyRequest{BucketRef: bref, Policy: `{"Version":"2012-10-17"}`})
				}},
				{api.OpGetVectorBucketPolicy, func() error {
					out, err := c.GetVectorBucketPolicy(ctx, &api.GetVectorBucketPolicyRequest{BucketRef: bref})
					if err == nil && !strings.Contains(out.Policy, "2012") {
						err = fmt.Errorf("policy %q", out.Policy)
					}
					return err
				}},
				{api.OpDeleteVectorBucketPolicy, func() error {
					return c.DeleteVectorBucketPolicy(ctx, &api.DeleteVectorBucketPolicyRequest{BucketRef: bref})
				}},
				{api.OpPutVectorBucketDefaultIndexMode, func() error {
					return c.PutVectorBucketDefaultIndexMode(ctx, &api.PutVectorBucketDefaultIndexModeRequest{BucketRef: bref, DefaultIndexMode: api.ModeEnhanced})
				}},
				{api.OpCreateIndex, func() error {
					_, err := c.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: bref, IndexName: "movies", DataType: api.DataTypeFloat32, Dimension: 2, DistanceMetric: api.Euclidean})
					return err
				}},
				{api.OpGetIndex, func() error {
					out, err := c.GetIndex(ctx, &api.GetIndexRequest{IndexRef: iref})
					if err == nil && (out.Index.Dimension != 2 || out.Index.CreationTime.Time().Unix() != 1752537600) {
						err = fmt.Errorf("index %+v", out.Index)
					}
					return err
				}},
				{api.OpListIndexes, func() error { _, err := c.ListIndexes(ctx, &api.ListIndexesRequest{BucketRef: bref}); return err }},
				{api.OpUpdateIndexMode, func() error {
					return c.UpdateIndexMode(ctx, &api.UpdateIndexModeRequest{IndexRef: iref, IndexMode: api.ModeClassic})
				}},
				{api.OpPutVectors, func() error {
					return c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: iref, Vectors: []api.PutInputVector{vec("a", 1, 0), vec("b", 0, 1)}})
				}},
				{api.OpGetVectors, func() error {
					out, err := c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: iref, Keys: []string{"a"}, ReturnData: true})
					if err == nil && (len(out.Vectors) != 1 || out.Vectors[0].Data.Float32[0] != 1) {
						err = fmt.Errorf("vectors %+v", out.Vectors)
					}
					return err
				}},
				{api.OpListVectors, func() error { _, err := c.ListVectors(ctx, &api.ListVectorsRequest{IndexRef: iref}); return err }},
				{api.OpQueryVectors, func() error {
					out, err := c.QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: iref, TopK: 1, QueryVector: api.Float32Vector([]float32{0, 0.9}),
						Filter: json.RawMessage(`{"genre":"scifi"}`), ReturnDistance: true})
					if err == nil && (len(out.Vectors) != 1 || out.Vectors[0].Key != "b") {
						err = fmt.Errorf("results %+v", out.Vectors)
					}
					return err
				}},
				{api.OpDeleteVectors, func() error {
					return c.DeleteVectors(ctx, &api.DeleteVectorsRequest{IndexRef: iref, Keys: []string{"a"}})
				}},
				{api.OpTagResource, func() error { return c.TagResource(ctx, testArn, map[string]string{"team": "x", "env": "dev"}) }},
				{api.OpUntagResource, func() error { return c.UntagResource(ctx, testArn, []string{"env"}) }},
				{api.OpListTagsForResource, func() error {
					tags, err := c.ListTagsForResource(ctx, testArn)
					if err == nil && (len(tags) != 1 || tags["team"] != "x") {
						err = fmt.Errorf("tags %v", tags)
					}
					return err
				}},
				{api.OpDeleteIndex, func() error { return c.DeleteIndex(ctx, &api.DeleteIndexRequest{IndexRef: iref}) }},
				{api.OpDeleteVectorBucket, func() error { return c.DeleteVectorBucket(ctx, &api.DeleteVectorBucketRequest{BucketRef: bref}) }},
			}
			for _, s := range steps {
				if err := s.call(); err != nil {
					t.Errorf("%s: %v", s.op, err)
				}
				if f.count(s.op) != 1 {
					t.Errorf("%s: server saw %d calls", s.op, f.count(s.op))
				}
			}
			if len(steps) != len(api.BodyOperations)+3 {
				t.Errorf("covered %d operations, want %d", len(steps), len(api.BodyOperations)+3)
			}
		})
	}
}

func TestSignatureRejected(t *testing.T) {
	f := newFake(t)
	f.secret = "right"
	c := f.client(t, Options{AccessKeyID: "AKIDTEST", SecretAccessKey: "wrong"})
	_, err := c.GetIndex(context.Background(), &api.GetIndexRequest{IndexRef: api.IndexRef{IndexArn: testArn}})
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.CodeAccessDenied || e.Status != 403 || !strings.Contains(e.Message, "mismatch") {
		t.Errorf("got %v", err)
	}
	if f.count(api.OpGetIndex) != 1 {
		t.Errorf("403 retried: %d calls", f.count(api.OpGetIndex))
	}
	unsigned := f.client(t, Options{})
	if _, err := unsigned.GetIndex(context.Background(), &api.GetIndexRequest{IndexRef: api.IndexRef{IndexArn: testArn}}); !errors.Is(err, api.ErrAccessDenied) {
		t.Errorf("unsigned: %v", err)
	}
}

func TestErrorsAreAPIErrors(t *testing.T) {
	f := newFake(t)
	c := f.client(t, Options{})
	_, err := c.GetIndex(context.Background(), &api.GetIndexRequest{IndexRef: api.IndexRef{VectorBucketName: "media", IndexName: "missing"}})
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.CodeNotFound || e.Status != 404 || e.RequestID != "req-GetIndex" || !errors.Is(err, api.ErrNotFound) {
		t.Errorf("got %#v", err)
	}
	if !strings.HasPrefix(err.Error(), "GetIndex: NotFoundException") {
		t.Errorf("message %q", err)
	}
	// Validation errors carry the fieldList, and are not retried.
	err = c.PutVectors(context.Background(), &api.PutVectorsRequest{IndexRef: api.IndexRef{IndexArn: testArn}, Vectors: []api.PutInputVector{
		{Key: "k", Data: api.Float32Vector([]float32{1, 2, 3})}}})
	if !errors.As(err, &e) || e.Code != api.CodeValidation || len(e.FieldList) != 1 || f.count(api.OpPutVectors) != 1 {
		t.Errorf("got %v after %d calls", err, f.count(api.OpPutVectors))
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	get := func(c *Client) error {
		_, err := c.GetIndex(ctx, &api.GetIndexRequest{IndexRef: api.IndexRef{IndexArn: testArn}})
		return err
	}
	tests := []struct {
		name      string
		fail      func(op string, n int) *api.Error
		attempts  int
		wantCalls int
		wantCode  string // "" = success
	}{
		{"503 twice then ok", func(_ string, n int) *api.Error {
			if n <= 2 {
				return api.ServiceUnavailable()
			}
			return nil
		}, 3, 3, ""},
		{"429 always", func(string, int) *api.Error { return api.TooManyRequests("slow down") }, 3, 3, api.CodeTooManyRequests},
		{"500 then ok", func(_ string, n int) *api.Error {
			if n == 1 {
				return api.Internal()
			}
			return nil
		}, 3, 2, ""},
		{"408 retried", func(_ string, n int) *api.Error {
			if n == 1 {
				return api.RequestTimeout("slow")
			}
			return nil
		}, 3, 2, ""},
		{"400 not retried", func(string, int) *api.Error { return api.Invalid("x", "bad") }, 3, 1, api.CodeValidation},
		{"402 not retried", func(string, int) *api.Error { return api.QuotaExceeded("full") }, 3, 1, api.CodeServiceQuotaExceeded},
		{"409 not retried", func(string, int) *api.Error { return api.Conflict("busy") }, 3, 1, api.CodeConflict},
		{"more attempts", func(string, int) *api.Error { return api.ServiceUnavailable() }, 5, 5, api.CodeServiceUnavailable},
		{"retries off", func(string, int) *api.Error { return api.ServiceUnavailable() }, 1, 1, api.CodeServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.fail = tt.fail
			err := get(f.client(t, Options{MaxAttempts: tt.attempts}))
			if got := f.count(api.OpGetIndex); got != tt.wantCalls {
				t.Errorf("server saw %d calls, want %d", got, tt.wantCalls)
			}
			var e *api.Error
			switch {
			case tt.wantCode == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantCode != "" && (!errors.As(err, &e) || e.Code != tt.wantCode):
				t.Errorf("err = %v, want %s", err, tt.wantCode)
			}
		})
	}
}

func TestRetryTransportErrorAndContext(t *testing.T) {
	// Nothing listens: a transport error, retried, then reported.
	c, _ := New(Options{Endpoint: "http://127.0.0.1:1", BaseDelay: time.Millisecond})
	if _, err := c.GetIndex(context.Background(), &api.GetIndexRequest{IndexRef: api.IndexRef{IndexArn: testArn}}); err == nil || isAPIError(err) {
		t.Errorf("got %v", err)
	}
	// A cancelled context stops the backoff sleep.
	f := newFake(t)
	f.fail = func(string, int) *api.Error { return api.ServiceUnavailable() }
	c = f.client(t, Options{MaxAttempts: 10, BaseDelay: time.Hour, MaxDelay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetIndex(ctx, &api.GetIndexRequest{IndexRef: api.IndexRef{IndexArn: testArn}})
	if time.Since(start) > 10*time.Second || !errors.Is(err, api.ErrServiceUnavailable) {
		t.Errorf("after %v: %v", time.Since(start), err)
	}
}

func TestBackoffBounds(t *testing.T) {
	c, _ := New(Options{Endpoint: "http://x", BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	for attempt := 1; attempt < 40; attempt++ {
		ceiling := min(100*time.Millisecond, 10*time.Millisecond<<min(attempt, 20))
		for range 50 {
			if d := c.backoff(attempt); d <= 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want (0, %v]", attempt, d, ceiling)
			}
		}
	}
}

func TestPaginators(t *testing.T) {
	f := newFake(t)
	f.pageSize = 7
	c := f.client(t, Options{})
	ctx := context.Background()
	var all []api.PutInputVector
	for i := range 50 {
		all = append(all, vec(fmt.Sprintf("k%03d", i), float32(i), 0))
	}
	if err := c.PutVectorsBulk(ctx, "media", "movies", all, 2); err != nil {
		t.Fatal(err)
	}
	// ListVectors: pages of 7 until the token runs out.
	var keys []string
	pages := 0
	p := c.NewListVectorsPaginator(&api.ListVectorsRequest{IndexRef: api.IndexRef{IndexArn: testArn}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, v := range page.Vectors {
			keys = append(keys, v.Key)
		}
	}
	if pages != 8 || len(keys) != 50 || !sort.StringsAreSorted(keys) || keys[49] != "k049" {
		t.Errorf("%d pages, %d keys", pages, len(keys))
	}
	// The iterator sees the same.
	n := 0
	for v, err := range c.AllVectors(ctx, &api.ListVectorsRequest{IndexRef: api.IndexRef{IndexArn: testArn}}) {
		if err != nil {
			t.Fatal(err)
		}
		if v.Key != keys[n] {
			t.Fatalf("iterator key %d = %s, want %s", n, v.Key, keys[n])
		}
		n++
	}
	if n != 50 {
		t.Errorf("iterator saw %d vectors", n)
	}
	// QueryAll: topK 20 in pages of 7, nearest first.
	res, metric, err := c.QueryAll(ctx, &api.QueryVectorsRequest{IndexRef: api.IndexRef{IndexArn: testArn}, TopK: 20, QueryVector: api.Float32Vector([]float32{10.2, 0})})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 20 || metric != api.Euclidean || res[0].Key != "k010" || f.count(api.OpQueryVectors) != 3 {
		t.Errorf("%d results, first %+v, %d calls", len(res), res[0], f.count(api.OpQueryVectors))
	}
	for i := 1; i < len(res); i++ {
		if *res[i].Distance < *res[i-1].Distance {
			t.Fatalf("results not sorted at %d", i)
		}
	}
	// ListVectorBuckets with maxResults.
	for _, b := range []string{"bk1", "bk2", "bk3"} {
		if _, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: b}); err != nil {
			t.Fatal(err)
		}
	}
	bp := c.NewListVectorBucketsPaginator(&api.ListVectorBucketsRequest{MaxResults: new(2)})
	var names []string
	for bp.HasMorePages() {
		page, err := bp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.VectorBuckets {
			names = append(names, b.VectorBucketName)
		}
	}
	if strings.Join(names, ",") != "bk1,bk2,bk3" {
		t.Errorf("buckets %v", names)
	}
	if _, err := bp.NextPage(ctx); err == nil {
		t.Error("NextPage after the last page succeeded")
	}
	// A server that repeats a token is caught instead of looping.
	f.sameToken = true
	dup := c.NewListVectorsPaginator(&api.ListVectorsRequest{IndexRef: api.IndexRef{IndexArn: testArn}})
	var dupErr error
	for i := 0; dup.HasMorePages() && i < 20; i++ {
		if _, dupErr = dup.NextPage(ctx); dupErr != nil {
			break
		}
	}
	if dupErr == nil || !strings.Contains(dupErr.Error(), "same nextToken") {
		t.Errorf("duplicate token: %v", dupErr)
	}
}

func TestPutVectorsBulk(t *testing.T) {
	f := newFake(t)
	c := f.client(t, Options{})
	ctx := context.Background()
	var all []api.PutInputVector
	for i := range 2345 {
		all = append(all, api.PutInputVector{Key: fmt.Sprint("v", i), Data: api.Float32Vector([]float32{float32(i), 1}),
			Metadata: api.Metadata{"i": float64(i)}})
	}
	if err := c.PutVectorsBulk(ctx, "media", "movies", all, 3); err != nil {
		t.Fatal(err)
	}
	if got := f.count(api.OpPutVectors); got != 5 {
		t.Errorf("%d requests, want 5", got)
	}
	if f.maxIn > 3 {
		t.Errorf("%d requests in flight, concurrency was 3", f.maxIn)
	}
	if len(f.vectors) != 2345 || f.vectors["v2344"].Metadata["i"] != json.Number("2344") || f.vectors["v7"].Data.Float32[0] != 7 {
		t.Errorf("server holds %d vectors", len(f.vectors))
	}
	// A failing batch is reported with its range and as *api.Error.
	f2 := newFake(t)
	f2.fail = func(op string, n int) *api.Error {
		if n == 2 {
			return api.QuotaExceeded("index full")
		}
		return nil
	}
	err := f2.client(t, Options{}).PutVectorsBulk(ctx, "media", "movies", all, 1)
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.CodeServiceQuotaExceeded || !strings.Contains(err.Error(), "[500:1000]") {
		t.Errorf("got %v", err)
	}
	if got := f2.count(api.OpPutVectors); got != 2 {
		t.Errorf("%d requests after the failure, want 2 (later batches cancelled)", got)
	}
	if err := c.PutVectorsBulk(ctx, "media", "movies", nil, 4); err != nil {
		t.Errorf("empty bulk: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{{}, {Endpoint: "ftp://x"}, {Endpoint: "http://x", AccessKeyID: "a"}, {Endpoint: "::"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

func TestHTTPClientIsUsed(t *testing.T) {
	f := newFake(t)
	used := false
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used = true
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := f.client(t, Options{HTTPClient: hc})
	if _, err := c.ListVectorBuckets(context.Background(), &api.ListVectorBucketsRequest{}); err != nil || !used {
		t.Errorf("err %v, custom client used %v", err, used)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
