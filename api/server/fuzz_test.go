package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
)

// fuzzPaths are the routes FuzzHandler sends its bodies to.
var fuzzPaths = func() []string {
	var p []string
	for _, op := range api.BodyOperations {
		p = append(p, "/"+op)
	}
	return append(p, api.TagsPath(api.BucketARN("us-east-1", "123456789012", "tbl")),
		api.TagsPath(api.IndexARN("us-east-1", "123456789012", "tbl", "vec")))
}()

// FuzzHandler sends arbitrary bodies to every operation of a server holding
// the fixture: no input may cause a panic or a 5xx, and every answer is a
// 200 with a JSON body or an error envelope with a 4xx status.
func FuzzHandler(f *testing.F) {
	ts := newTestServer(f, false, nil)
	fixture(f, ts)
	srv := ts.srv
	seeds := []struct {
		op   uint8
		body string
	}{
		{13, `{"vectorBucketName":"tbl","indexName":"vec","vectors":[{"key":"f","data":{"float32":[1,2,3,4]},"metadata":{"genre":"g"}}]}`},
		{13, `{"vectorBucketName":"tbl","indexName":"vec","vectors":[{"key":"f","data":{"float32":[1,"NaN",3,4]}}]}`},
		{13, `{"indexArn":"arn:aws:s3vectors:us-east-1:123456789012:bucket/tbl/index/vec","vectors":[{"key":"f","data":{"float32":[1e39,2,3,4]}}]}`},
		{17, `{"vectorBucketName":"tbl","indexName":"vec","topK":3,"queryVector":{"float32":[1,2,3,4]},"filter":{"$or":[{"genre":"g1"},{"year":{"$gte":2005}}]},"returnMetadata":true}`},
		{17, `{"vectorBucketName":"tbl","indexName":"vec","topK":150,"queryVector":{"float32":[1,2,3,4]},"nextToken":"cTEuMDAw"}`},
		{15, `{"vectorBucketName":"tbl","indexName":"vec","segmentCount":3,"segmentIndex":2,"returnData":true}`},
		{14, `{"vectorBucketName":"tbl","indexName":"vec","keys":["k1","k2"],"returnData":true,"returnMetadata":true}`},
		{16, `{"vectorBucketName":"tbl","indexName":"vec","keys":["k9"]}`},
		{0, `{"vectorBucketName":"fuzz-b","tags":{"a":"b"}}`},
		{8, `{"vectorBucketName":"tbl","indexName":"fz","dataType":"float32","dimension":2,"distanceMetric":"cosine"}`},
		{4, `{"vectorBucketName":"tbl","policy":"{\"Version\":\"2012-10-17\"}"}`},
		{18, `{"tags":{"k":"v"}}`},
		{2, `{"maxResults":1,"prefix":"t"}`},
		{17, `{"vectorBucketName":"tbl","indexName":"vec","topK":3,"queryVector":{"float32":[1,2,3,4]},"filter":{"$and":{"a":1}}}`},
		{13, `{"vectorBucketName":"tbl","indexName":"vec","vectors":[{"key":"f","data":{"float32":[1,2`},
		{3, `[]`},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		path := fuzzPaths[int(op)%len(fuzzPaths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: %d with a non-JSON body %q", path, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK && rec.Header().Get(api.HeaderErrorType) == "" {
			t.Fatalf("%s %q: %d without %s", path, body, rec.Code, api.HeaderErrorType)
		}
		if rec.Header().Get(api.HeaderRequestID) == "" {
			t.Fatalf("%s: no request id", path)
		}
	})
}
