package client

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vectorbucket/vectorbucket/api"
)

// fake is a small in-memory S3 Vectors server for client mechanics tests:
// it decodes every request strictly with api.Decode, optionally verifies
// SigV4 signatures, and can inject failures.
type fake struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	buckets  []string
	vectors  map[string]api.PutInputVector
	tags     map[string]map[string]string
	calls    map[string]int // per operation
	inFlight int
	maxIn    int
	// fail, when set, is consulted before each request; a non-nil result
	// is written as the response.
	fail func(op string, n int) *api.Error
	// secret enables signature verification for access key "AKIDTEST".
	secret string
	// pageSize caps list and query pages.
	pageSize int
	// sameToken makes ListVectors return the token it was given.
	sameToken bool
	prefix    string
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, vectors: map[string]api.PutInputVector{}, tags: map[string]map[string]string{}, calls: map[string]int{}, pageSize: 100}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) client(t *testing.T, opts Options) *Client {
	if opts.Endpoint == "" {
		opts.Endpoint = f.srv.URL + f.prefix
	}
	if opts.BaseDelay == 0 {
		opts.BaseDelay = time.Millisecond
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fake) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.EscapedPath(), f.prefix)
	op := strings.TrimPrefix(path, "/")
	if strings.HasPrefix(path, "/tags/") {
		op = map[string]string{"POST": api.OpTagResource, "GET": api.OpListTagsForResource, "DELETE": api.OpUntagResource}[r.Method]
	}
	w.Header().Set(api.HeaderRequestID, "req-"+op)
	f.mu.Lock()
	f.calls[op]++
	n := f.calls[op]
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
	fail := f.fail
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	if f.secret != "" {
		if msg := verify(r, body, f.secret); msg != "" {
			api.WriteError(w, api.AccessDenied("%s", msg))
			return
		}
	}
	if fail != nil {
		if e := fail(op, n); e != nil {
			api.WriteError(w, e)
			return
		}
	}
	out, e := f.handle(op, r, path, body)
	if e != nil {
		api.WriteError(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// verify re-signs the request as S3VECTORS.md §5.5 describes.
func verify(r *http.Request, body []byte, secret string) string {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "SignedHeaders=")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || i < 0 {
		return "missing or foreign signature"
	}
	signed := strings.Split(strings.SplitN(auth[i+len("SignedHeaders="):], ",", 2)[0], ";")
	scope := strings.Split(strings.SplitN(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 Credential="), ",", 2)[0], "/")
	tm, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || len(scope) != 5 {
		return "bad date or scope"
	}
	req, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			req.Header.Set(h, r.Header.Get(h))
		}
	}
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	_ = v4.NewSigner().SignHTTP(r.Context(), aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), "s3vectors", scope[2], tm)
	if !hmac.Equal([]byte(req.Header.Get("Authorization")), []byte(auth)) {
		return "signature mismatch"
	}
	return ""
}

func decodeInto[T any](body []byte) (*T, *api.Error) {
	v := new(T)
	if e := api.Decode(body, v); e != nil {
		return nil, e
	}
	return v, nil
}

func (f *fake) handle(op string, r *http.Request, path string, body []byte) (any, *api.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch op {
	case api.OpCreateVectorBucket:
		in, e := decodeInto[api.CreateVectorBucketRequest](body)
		if e != nil {
			return nil, e
		}
		for _, b := range f.buckets {
			if b == in.VectorBucketName {
				return nil, api.Conflict("bucket %s exists", b)
			}
		}
		f.buckets = append(f.buckets, in.VectorBucketName)
		sort.Strings(f.buckets)
		return api.CreateVectorBucketResponse{VectorBucketArn: api.BucketARN("us-east-1", "123456789012", in.VectorBucketName)}, nil
	case api.OpListVectorBuckets:
		in, e := decodeInto[api.ListVectorBucketsRequest](body)
		if e != nil {
			return nil, e
		}
		size := f.pageSize
		if in.MaxResults != nil {
			size = *in.MaxResults
		}
		start, _ := strconv.Atoi(in.NextToken)
		out := api.ListVectorBucketsResponse{VectorBuckets: []api.VectorBucketSummary{}}
		for i := start; i < len(f.buckets) && i < start+size; i++ {
			out.VectorBuckets = append(out.VectorBuckets, api.VectorBucketSummary{VectorBucketName: f.buckets[i]})
		}
		if start+size < len(f.buckets) {
			out.NextToken = strconv.Itoa(start + size)
		}
		return out, nil
	case api.OpGetIndex:
		in, e := decodeInto[api.GetIndexRequest](body)
		if e != nil {
			return nil, e
		}
		if in.IndexName == "missing" {
			return nil, api.NotFound("index %s not found", in.IndexName)
		}
		return api.GetIndexResponse{Index: api.Index{IndexName: in.IndexName, Dimension: 2, DistanceMetric: api.Euclidean,
			CreationTime: api.TimestampOf(time.Unix(1752537600, 0))}}, nil
	case api.OpPutVectors:
		in, e := decodeInto[api.PutVectorsRequest](body)
		if e != nil {
			return nil, e
		}
		for _, v := range in.Vectors {
			if len(v.Data.Float32) != 2 {
				return nil, api.Invalid("vectors.data", "dimension must be 2")
			}
		}
		for _, v := range in.Vectors {
			f.vectors[v.Key] = v
		}
		return api.Empty{}, nil
	case api.OpGetVectors:
		in, e := decodeInto[api.GetVectorsRequest](body)
		if e != nil {
			return nil, e
		}
		out := api.GetVectorsResponse{Vectors: []api.GetOutputVector{}}
		for _, k := range in.Keys {
			if v, ok := f.vectors[k]; ok {
				o := api.GetOutputVector{Key: k}
				if in.ReturnData {
					o.Data = &v.Data
				}
				if in.ReturnMetadata {
					o.Metadata = v.Metadata
				}
				out.Vectors = append(out.Vectors, o)
			}
		}
		return out, nil
	case api.OpDeleteVectors:
		in, e := decodeInto[api.DeleteVectorsRequest](body)
		if e != nil {
			return nil, e
		}
		for _, k := range in.Keys {
			delete(f.vectors, k)
		}
		return api.Empty{}, nil
	case api.OpListVectors:
		in, e := decodeInto[api.ListVectorsRequest](body)
		if e != nil {
			return nil, e
		}
		keys := f.sortedKeys()
		size := f.pageSize
		if in.MaxResults != nil {
			size = *in.MaxResults
		}
		start, _ := strconv.Atoi(in.NextToken)
		out := api.ListVectorsResponse{Vectors: []api.ListOutputVector{}}
		for i := start; i < len(keys) && i < start+size; i++ {
			out.Vectors = append(out.Vectors, api.ListOutputVector{Key: keys[i]})
		}
		if start+size < len(keys) {
			out.NextToken = strconv.Itoa(start + size)
			if f.sameToken && in.NextToken != "" {
				out.NextToken = in.NextToken
			}
		}
		return out, nil
	case api.OpQueryVectors:
		in, e := decodeInto[api.QueryVectorsRequest](body)
		if e != nil {
			return nil, e
		}
		keys := f.sortedKeys()
		q := in.QueryVector.Float32
		dist := func(k string) float32 {
			v := f.vectors[k].Data.Float32
			return float32(math.Hypot(float64(v[0]-q[0]), float64(v[1]-q[1])))
		}
		sort.SliceStable(keys, func(i, j int) bool { return dist(keys[i]) < dist(keys[j]) })
		keys = keys[:min(in.TopK, len(keys))]
		start, _ := strconv.Atoi(in.NextToken)
		out := api.QueryVectorsResponse{DistanceMetric: api.Euclidean, Vectors: []api.QueryOutputVector{}}
		for i := start; i < len(keys) && i < start+f.pageSize; i++ {
			d := dist(keys[i])
			out.Vectors = append(out.Vectors, api.QueryOutputVector{Key: keys[i], Distance: &d})
		}
		if start+f.pageSize < len(keys) {
			out.NextToken = strconv.Itoa(start + f.pageSize)
		}
		return out, nil
	case api.OpTagResource, api.OpListTagsForResource, api.OpUntagResource:
		arn, ok := api.TagsResource(path)
		if !ok {
			return nil, api.Invalid("resourceArn", "missing")
		}
		if _, err := api.ParseARN(arn); err != nil {
			return nil, api.Invalid("resourceArn", "%v", err)
		}
		switch op {
		case api.OpTagResource:
			in, e := decodeInto[api.TagResourceRequest](body)
			if e != nil {
				return nil, e
			}
			if f.tags[arn] == nil {
				f.tags[arn] = map[string]string{}
			}
			for k, v := range in.Tags {
				f.tags[arn][k] = v
			}
			return api.Empty{}, nil
		case api.OpUntagResource:
			for _, k := range r.URL.Query()["tagKeys"] {
				delete(f.tags[arn], k)
			}
			return api.Empty{}, nil
		}
		return api.ListTagsForResourceResponse{Tags: f.tags[arn]}, nil
	}
	// Every other operation: decode strictly into its type and succeed.
	reqs := map[string]any{
		api.OpGetVectorBucket: &api.GetVectorBucketRequest{}, api.OpDeleteVectorBucket: &api.DeleteVectorBucketRequest{},
		api.OpPutVectorBucketPolicy: &api.PutVectorBucketPolicyRequest{}, api.OpGetVectorBucketPolicy: &api.GetVectorBucketPolicyRequest{},
		api.OpDeleteVectorBucketPolicy: &api.DeleteVectorBucketPolicyRequest{}, api.OpPutVectorBucketDefaultIndexMode: &api.PutVectorBucketDefaultIndexModeRequest{},
		api.OpCreateIndex: &api.CreateIndexRequest{}, api.OpListIndexes: &api.ListIndexesRequest{}, api.OpDeleteIndex: &api.DeleteIndexRequest{},
		api.OpUpdateIndexMode: &api.UpdateIndexModeRequest{},
	}
	in, ok := reqs[op]
	if !ok {
		return nil, api.NotFound("no route %s %s", r.Method, path)
	}
	if e := api.Decode(body, in); e != nil {
		return nil, e
	}
	switch op {
	case api.OpCreateIndex:
		return api.CreateIndexResponse{IndexArn: "arn:aws:s3vectors:us-east-1:123456789012:bucket/media/index/movies"}, nil
	case api.OpListIndexes:
		return api.ListIndexesResponse{Indexes: []api.IndexSummary{{IndexName: "i"}}}, nil
	case api.OpGetVectorBucketPolicy:
		return api.GetVectorBucketPolicyResponse{Policy: `{"Version":"2012-10-17"}`}, nil
	case api.OpGetVectorBucket:
		return api.GetVectorBucketResponse{VectorBucket: api.VectorBucket{VectorBucketName: "b"}}, nil
	}
	return api.Empty{}, nil
}

func (f *fake) sortedKeys() []string {
	keys := make([]string, 0, len(f.vectors))
	for k := range f.vectors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
