package api

import (
	"testing"
)

// newRequests returns a fresh value of every request type Decode serves.
func newRequests() []any {
	return []any{
		&CreateVectorBucketRequest{}, &GetVectorBucketRequest{}, &ListVectorBucketsRequest{}, &DeleteVectorBucketRequest{},
		&PutVectorBucketPolicyRequest{}, &GetVectorBucketPolicyRequest{}, &DeleteVectorBucketPolicyRequest{},
		&PutVectorBucketDefaultIndexModeRequest{}, &CreateIndexRequest{}, &GetIndexRequest{}, &ListIndexesRequest{},
		&DeleteIndexRequest{}, &UpdateIndexModeRequest{}, &PutVectorsRequest{}, &GetVectorsRequest{}, &ListVectorsRequest{},
		&DeleteVectorsRequest{}, &QueryVectorsRequest{}, &TagResourceRequest{},
	}
}

// FuzzDecode feeds arbitrary bodies to every request type: Decode must never
// panic, and every failure must be a ValidationException with a fieldList.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"vectorBucketName":"media"}`, `{"indexArn":"arn:aws:s3vectors:us-east-1:123456789012:bucket/media/index/movies","topK":3,"queryVector":{"float32":[1,0.5]},"filter":{"genre":"scifi"}}`,
		`{"vectorBucketName":"media","indexName":"movies","vectors":[{"key":"a","data":{"float32":[1,"NaN"]},"metadata":{"x":[1,"a"]}}]}`,
		`{"vectorBucketName":"media","indexName":"movies","dataType":"float32","dimension":3,"distanceMetric":"cosine","metadataConfiguration":{"nonFilterableMetadataKeys":["a"]}}`,
		`{"indexArn":"x","segmentCount":4,"segmentIndex":3,"maxResults":10}`, `{"tags":{"k":"v"}}`, `{"policy":"{}","vectorBucketArn":"arn"}`,
		`[`, `{"a":`, `null`, `{"vectors":[{"data":{"float32":[1e400]}}]}`,
	} {
		for op := range len(newRequests()) {
			f.Add(uint8(op), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		reqs := newRequests()
		req := reqs[int(op)%len(reqs)]
		if e := Decode(body, req); e != nil {
			if e.Code != CodeValidation || e.Status != 400 || len(e.FieldList) == 0 {
				t.Fatalf("Decode(%q) = %+v", body, e)
			}
		}
	})
}
