package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testIdxArn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/media/index/movies"

func TestDecodeRejects(t *testing.T) {
	vec := func(n int) string {
		return `{"float32":[` + strings.TrimSuffix(strings.Repeat("0.5,", n), ",") + `]}`
	}
	keys := func(n int) string {
		k := make([]string, n)
		for i := range k {
			k[i] = fmt.Sprintf("%q", fmt.Sprint("k", i))
		}
		return "[" + strings.Join(k, ",") + "]"
	}
	puts := func(n int) string {
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprintf(`{"key":"k%d","data":%s}`, i, vec(2))
		}
		return `{"indexArn":"` + testIdxArn + `","vectors":[` + strings.Join(v, ",") + `]}`
	}
	tests := []struct {
		name string
		req  any
		body string
		path string // expected first fieldList path
	}{
		{"unknown member", &GetIndexRequest{}, `{"indexArn":"` + testIdxArn + `","bogus":1}`, "bogus"},
		{"unknown nested member", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"a","data":` + vec(2) + `,"meta":{}}]}`, "meta"},
		{"wrong type", &QueryVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","topK":"3","queryVector":` + vec(2) + `}`, "topK"},
		{"fractional topK", &QueryVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","topK":2.5,"queryVector":` + vec(2) + `}`, "topK"},
		{"truncated", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"a"`, "body"},
		{"malformed", &GetIndexRequest{}, `{"indexArn" "x"}`, "body"},
		{"trailing data", &GetIndexRequest{}, `{"indexArn":"` + testIdxArn + `"} {}`, "body"},
		{"not an object", &GetIndexRequest{}, `[1]`, "body"},
		{"no selector", &GetIndexRequest{}, `{}`, "indexArn"},
		{"both selectors", &GetIndexRequest{}, `{"indexArn":"` + testIdxArn + `","vectorBucketName":"media","indexName":"movies"}`, "indexArn"},
		{"bucket ARN as index ARN", &GetIndexRequest{}, `{"indexArn":"arn:aws:s3vectors:us-east-1:123456789012:bucket/media"}`, "indexArn"},
		{"index name without bucket", &GetIndexRequest{}, `{"indexName":"movies"}`, "vectorBucketName"},
		{"bad bucket name", &GetVectorBucketRequest{}, `{"vectorBucketName":"Media"}`, "vectorBucketName"},
		{"both bucket selectors", &GetVectorBucketRequest{}, `{"vectorBucketName":"media","vectorBucketArn":"arn:aws:s3vectors:us-east-1:123456789012:bucket/media"}`, "vectorBucketName"},
		{"dimension 0", &CreateIndexRequest{}, `{"vectorBucketName":"media","indexName":"movies","dataType":"float32","dimension":0,"distanceMetric":"cosine"}`, "dimension"},
		{"dimension 5000", &CreateIndexRequest{}, `{"vectorBucketName":"media","indexName":"movies","dataType":"float32","dimension":5000,"distanceMetric":"cosine"}`, "dimension"},
		{"bad metric", &CreateIndexRequest{}, `{"vectorBucketName":"media","indexName":"movies","dataType":"float32","dimension":3,"distanceMetric":"dot"}`, "distanceMetric"},
		{"bad data type", &CreateIndexRequest{}, `{"vectorBucketName":"media","indexName":"movies","dataType":"float16","dimension":3,"distanceMetric":"cosine"}`, "dataType"},
		{"11 non-filterable keys", &CreateIndexRequest{}, `{"vectorBucketName":"media","indexName":"movies","dataType":"float32","dimension":3,"distanceMetric":"cosine","metadataConfiguration":{"nonFilterableMetadataKeys":["a","b","c","d","e","f","g","h","i","j","k"]}}`, "metadataConfiguration.nonFilterableMetadataKeys"},
		{"kms arn with AES256", &CreateVectorBucketRequest{}, `{"vectorBucketName":"media","encryptionConfiguration":{"sseType":"AES256","kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/x"}}`, "encryptionConfiguration.kmsKeyArn"},
		{"bad tag", &CreateVectorBucketRequest{}, `{"vectorBucketName":"media","tags":{"a*b":"x"}}`, "tags.a*b"},
		{"501 vectors", &PutVectorsRequest{}, puts(501), "vectors"},
		{"no vectors", &PutVectorsRequest{}, puts(0), "vectors"},
		{"NaN string", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"a","data":{"float32":[1,"NaN"]}}]}`, "vectors[0].data.float32[1]"},
		{"Infinity", &QueryVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","topK":1,"queryVector":{"float32":["Infinity"]}}`, "queryVector.float32[0]"},
		{"dimension 4097 vector", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"a","data":` + vec(4097) + `}]}`, "vectors[0].data.float32"},
		{"empty key", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"","data":` + vec(2) + `}]}`, "vectors[0].key"},
		{"long key", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"` + strings.Repeat("é", 1025) + `","data":` + vec(2) + `}]}`, "vectors[0].key"},
		{"null metadata value", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"a","data":` + vec(2) + `,"metadata":{"x":null}}]}`, "vectors[0].metadata.x"},
		{"nested metadata", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"a","data":` + vec(2) + `,"metadata":{"x":{"y":1}}}]}`, "vectors[0].metadata.x"},
		{"oversized metadata", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"a","data":` + vec(2) + `,"metadata":{"x":"` + strings.Repeat("a", 41000) + `"}}]}`, "vectors[0].metadata"},
		{"union member", &PutVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","vectors":[{"key":"a","data":{"float16":[1]}}]}`, "vectors[0].data"},
		{"topK 0", &QueryVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","topK":0,"queryVector":` + vec(2) + `}`, "topK"},
		{"topK 10001", &QueryVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","topK":10001,"queryVector":` + vec(2) + `}`, "topK"},
		{"missing queryVector", &QueryVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","topK":1}`, "queryVector.float32"},
		{"bad queryMode", &QueryVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","topK":1,"queryVector":` + vec(2) + `,"queryMode":"FAST"}`, "queryMode"},
		{"101 get keys", &GetVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","keys":` + keys(101) + `}`, "keys"},
		{"501 delete keys", &DeleteVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","keys":` + keys(501) + `}`, "keys"},
		{"segmentIndex >= count", &ListVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","segmentCount":2,"segmentIndex":2}`, "segmentIndex"},
		{"segmentIndex without count", &ListVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","segmentIndex":1}`, "segmentIndex"},
		{"segmentCount 17", &ListVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","segmentCount":17}`, "segmentCount"},
		{"maxResults 1001", &ListVectorsRequest{}, `{"indexArn":"` + testIdxArn + `","maxResults":1001}`, "maxResults"},
		{"maxResults 0", &ListVectorBucketsRequest{}, `{"maxResults":0}`, "maxResults"},
		{"policy not JSON", &PutVectorBucketPolicyRequest{}, `{"vectorBucketName":"media","policy":"allow all"}`, "policy"},
		{"bad default mode", &PutVectorBucketDefaultIndexModeRequest{}, `{"vectorBucketName":"media","defaultIndexMode":"fast"}`, "defaultIndexMode"},
		{"missing index mode", &UpdateIndexModeRequest{}, `{"indexArn":"` + testIdxArn + `"}`, "indexMode"},
		{"no tags", &TagResourceRequest{}, `{"tags":{}}`, "tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Decode([]byte(tt.body), tt.req)
			if e == nil {
				t.Fatalf("Decode accepted %.200s", tt.body)
			}
			if e.Code != CodeValidation || e.Status != 400 || !errors.Is(e, ErrValidation) {
				t.Errorf("got %s %d, want ValidationException 400", e.Code, e.Status)
			}
			if len(e.FieldList) == 0 || e.FieldList[0].Path != tt.path {
				t.Errorf("fieldList %+v, want first path %q", e.FieldList, tt.path)
			}
		})
	}
}

func TestDecodeDefaults(t *testing.T) {
	var lv ListVectorsRequest
	if e := Decode([]byte(`{"vectorBucketName":"media","indexName":"my.index-1"}`), &lv); e != nil {
		t.Fatal(e)
	}
	if lv.SegmentIndex != 0 || lv.SegmentCount != nil || lv.MaxResults != nil || lv.ReturnData || lv.ReturnMetadata {
		t.Errorf("defaults %+v", lv)
	}
	var lb ListVectorBucketsRequest
	if e := Decode(nil, &lb); e != nil {
		t.Errorf("empty body: %v", e)
	}
	var gi GetIndexRequest
	if e := DecodeAllowUnknown([]byte(`{"indexArn":"`+testIdxArn+`","futureMember":true}`), &gi); e != nil {
		t.Errorf("DecodeAllowUnknown: %v", e)
	}
	ri, e := gi.Resolve()
	if e != nil || ri.Bucket != "media" || ri.Index != "movies" || ri.ARN.AccountID != "123456789012" || ri.ARN.Region != "us-east-1" {
		t.Errorf("Resolve = %+v, %v", ri, e)
	}
}

func TestCheckVectorAndMetadata(t *testing.T) {
	v := Float32Vector([]float32{0, 0})
	if f := CheckVector("queryVector", &v, 2, Cosine); f == nil || !strings.Contains(f.Message, "zero vector") {
		t.Errorf("zero cosine vector: %v", f)
	}
	if f := CheckVector("queryVector", &v, 2, Euclidean); f != nil {
		t.Errorf("zero euclidean vector: %v", f)
	}
	if f := CheckVector("queryVector", &v, 3, Euclidean); f == nil || f.Path != "queryVector.float32" {
		t.Errorf("wrong dimension: %v", f)
	}
	md := Metadata{"big": strings.Repeat("x", 3000), "small": "y"}
	nonFilterable := func(k string) bool { return k == "big" }
	if fs := CheckMetadata("m", md, nonFilterable); len(fs) != 0 {
		t.Errorf("non-filterable 3000 bytes rejected: %v", fs)
	}
	if fs := CheckMetadata("m", md, nil); len(fs) != 1 || !strings.Contains(fs[0].Message, "filterable") {
		t.Errorf("filterable 3000 bytes: %v", fs)
	}
	many := Metadata{}
	for i := range 51 {
		many[fmt.Sprint("k", i)] = 1.0
	}
	if fs := CheckMetadata("m", many, nil); len(fs) != 1 {
		t.Errorf("51 keys: %v", fs)
	}
}

func TestNames(t *testing.T) {
	for name, ok := range map[string]bool{"abc": true, "a-1": true, "ab": false, "Abc": false, "-ab": false, "ab-": false,
		"a.b": false, strings.Repeat("a", 63): true, strings.Repeat("a", 64): false, "a_b": false} {
		if got := CheckBucketName(name) == ""; got != ok {
			t.Errorf("CheckBucketName(%q) ok = %v, want %v", name, got, ok)
		}
	}
	for name, ok := range map[string]bool{"a.b": true, "my.index-1": true, ".ab": false, "ab.": false, "a b": false} {
		if got := CheckIndexName(name) == ""; got != ok {
			t.Errorf("CheckIndexName(%q) ok = %v, want %v", name, got, ok)
		}
	}
	good := []string{testIdxArn, "arn:aws-cn:s3vectors:cn-north-1:123456789012:bucket/b-1", "arn:aws:s3vectors:us-east-1:123456789012:bucket/b.1/index/i.x"}
	for _, s := range good {
		a, err := ParseARN(s)
		if err != nil || a.String() != s {
			t.Errorf("ParseARN(%s) = %+v, %v", s, a, err)
		}
	}
	bad := []string{"", "arn:aws:s3:us-east-1:123456789012:bucket/b1", "arn:aws:s3vectors:us-east-1:12345678901:bucket/b1",
		"arn:aws:s3vectors::123456789012:bucket/b1", "arn:aws:s3vectors:us-east-1:123456789012:bucket/B1",
		"arn:aws:s3vectors:us-east-1:123456789012:index/b1", "arn:aws:s3vectors:us-east-1:123456789012:bucket/b1/index/",
		"arn:gcp:s3vectors:us-east-1:123456789012:bucket/b1", "arn:aws:s3vectors:us-east-1:123456789012:bucket/b1/index/i1/x"}
	for _, s := range bad {
		if a, err := ParseARN(s); err == nil {
			t.Errorf("ParseARN(%s) = %+v, want error", s, a)
		}
	}
	if got := BucketARN("us-east-1", "123456789012", "media"); got != "arn:aws:s3vectors:us-east-1:123456789012:bucket/media" {
		t.Errorf("BucketARN = %s", got)
	}
	if got := IndexARN("us-east-1", "123456789012", "media", "movies"); got != testIdxArn {
		t.Errorf("IndexARN = %s", got)
	}
	p := TagsPath(testIdxArn)
	if p != "/tags/arn%3Aaws%3As3vectors%3Aus-east-1%3A123456789012%3Abucket%2Fmedia%2Findex%2Fmovies" {
		t.Errorf("TagsPath = %s", p)
	}
	if arn, ok := TagsResource("/prefix" + p); !ok || arn != testIdxArn {
		t.Errorf("TagsResource = %s %v", arn, ok)
	}
	if msg := CheckKmsKeyArn("arn:aws:kms:us-east-1:123456789012:key/1234"); msg != "" {
		t.Errorf("CheckKmsKeyArn: %s", msg)
	}
	if CheckKmsKeyArn("arn:aws:kms:us-east-1:123456789012:alias/x") == "" {
		t.Error("alias ARN accepted")
	}
}

func TestErrorEnvelope(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, Invalid("topK", "must be between 1 and 10000"))
	if rec.Code != 400 || rec.Header().Get(HeaderErrorType) != CodeValidation {
		t.Errorf("status %d, header %q", rec.Code, rec.Header().Get(HeaderErrorType))
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["__type"] != CodeValidation ||
		!strings.Contains(body["message"].(string), "topK") || body["fieldList"] == nil {
		t.Errorf("body %s", rec.Body)
	}
	back := ParseError(rec.Code, rec.Header(), rec.Body.Bytes())
	if back.Code != CodeValidation || back.FieldList[0].Path != "topK" || !errors.Is(back, ErrValidation) || back.Retryable() {
		t.Errorf("ParseError = %+v", back)
	}

	rec = httptest.NewRecorder()
	WriteError(rec, fmt.Errorf("open manifest: %w", errors.New("disk on fire")))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "disk") {
		t.Errorf("plain error: %d %s", rec.Code, rec.Body)
	}
	wrapped := fmt.Errorf("get index: %w", NotFound("no index %q", "movies"))
	if AsError(wrapped).Status != 404 || !errors.Is(wrapped, ErrNotFound) || errors.Is(wrapped, ErrConflict) {
		t.Errorf("wrapped NotFound lost: %v", wrapped)
	}

	// The SDK's sanitising rules.
	h := http.Header{}
	h.Set(HeaderErrorType, "NotFoundException:http://internal.amazon.com/coral/com.amazon.coral.service/")
	if e := ParseError(404, h, nil); e.Code != CodeNotFound || e.Message != "Not Found" {
		t.Errorf("header code: %+v", e)
	}
	if e := ParseError(409, http.Header{}, []byte(`{"__type":"com.amazonaws.s3vectors#ConflictException","Message":"exists"}`)); e.Code != CodeConflict || e.Message != "exists" {
		t.Errorf("body __type: %+v", e)
	}
	if e := ParseError(429, http.Header{}, []byte(`{"code":"TooManyRequestsException"}`)); e.Code != CodeTooManyRequests || !e.Retryable() {
		t.Errorf("body code: %+v", e)
	}
	if e := ParseError(502, http.Header{}, []byte(`<html>`)); e.Code != "HTTP502" || !e.Retryable() {
		t.Errorf("non-JSON 502: %+v", e)
	}
	for code, status := range map[string]int{CodeServiceQuotaExceeded: 402, CodeKmsDisabled: 400, CodeRequestTimeout: 408, "Nope": 500} {
		if StatusFor(code) != status {
			t.Errorf("StatusFor(%s) = %d, want %d", code, StatusFor(code), status)
		}
	}
}

func TestTimestamp(t *testing.T) {
	tm := time.Date(2025, 7, 15, 0, 0, 0, 500_000_000, time.UTC)
	ts := TimestampOf(tm)
	if float64(ts) != 1752537600.5 || !ts.Time().Equal(tm) {
		t.Errorf("TimestampOf = %v, back %v", float64(ts), ts.Time())
	}
	b, _ := json.Marshal(VectorBucketSummary{CreationTime: ts})
	if !strings.Contains(string(b), `"creationTime":1752537600.5`) {
		t.Errorf("encoded %s", b)
	}
}
