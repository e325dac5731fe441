package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// slowDecode is Decode without the fast path.
func slowDecode(body []byte) (*PutVectorsRequest, error) {
	var req PutVectorsRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errTrailing
	}
	return &req, nil
}

var errTrailing = &Error{Code: "trailing"}

func TestFastPutMatchesSlow(t *testing.T) {
	bodies := []string{
		string(putBody(20, 7)),
		`{"indexArn":"arn:aws:s3vectors:us-east-1:123456789012:bucket/b1/index/i1","vectors":[{"data":{"float32":[1,0.5]},"key":"a","metadata":{"genre":"scifi","tags":["x",1,true]}}]}`,
		` { "vectorBucketName" : "b1" , "indexName":"i1", "vectors" : [ { "key" : "k\u00e9\n" , "data" : { "float32" : [ 1e-3 , -0 ] } } ] } `,
		`{"vectors":[]}`, `{}`,
		`{"vectors":[{"key":"é✓","data":{"float32":[1]},"metadata":{}}]}`,
	}
	for _, b := range bodies {
		var fast PutVectorsRequest
		if !decodePutVectorsFast([]byte(b), &fast) {
			t.Errorf("fast path refused %s", b)
			continue
		}
		slow, err := slowDecode([]byte(b))
		if err != nil {
			t.Fatalf("slow decode of %s: %v", b, err)
		}
		if !reflect.DeepEqual(normalize(&fast), normalize(slow)) {
			t.Errorf("fast %+v\nslow %+v", fast, *slow)
		}
	}
}

// normalize clears the decoder-private fields so DeepEqual compares content.
func normalize(r *PutVectorsRequest) *PutVectorsRequest {
	for i := range r.Vectors {
		r.Vectors[i].Data.badIdx = 0
		if len(r.Vectors[i].Data.Float32) == 0 {
			r.Vectors[i].Data.Float32 = nil
		}
	}
	if len(r.Vectors) == 0 {
		r.Vectors = nil
	}
	return r
}

func TestFastPutRefusesOddInput(t *testing.T) {
	for _, b := range []string{
		`{"vectors":[{"key":"a","data":{"float32":["NaN"]}}]}`,
		`{"vectors":[{"key":"a","data":{"float32":[1]},"extra":1}]}`,
		`{"vectors":[{"key":"a","key":"b"}]}`,
		`{"vectors":[{"key":"a\x01"}]}`,
		`{"vectors":[],"vectors":[]}`,
		`{"indexArn":null}`,
		`{"vectors":[{"metadata":null}]}`,
		`{"vectors":[{"metadata":{"a":}}]}`,
		`{"vectors":[{"key":"a"},]}`,
		`{"vectors":[{"key":"a"}]} x`,
		`{"vectors":[{"key":"a"}]`,
		`{"a":1}`,
	} {
		var r PutVectorsRequest
		if decodePutVectorsFast([]byte(b), &r) {
			t.Errorf("fast path accepted %s", b)
		}
	}
}

func FuzzDecodePutVectors(f *testing.F) {
	f.Add(putBody(2, 3))
	f.Add([]byte(`{"indexArn":"x","vectors":[{"data":{"float32":[1,0.5]},"key":"a","metadata":{"g":"s","t":["x",1,true]}}]}`))
	f.Add([]byte(`{"vectors":[{"key":"a\u0041","data":{"float32":["NaN"]}}]}`))
	f.Add([]byte(`{"vectors":[{"key":"a","data":{"float32":[1e39]},"metadata":{"a":{"b":[1]}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast PutVectorsRequest
		if decodePutVectorsFast(b, &fast) {
			slow, err := slowDecode(b)
			if err != nil {
				t.Fatalf("fast path accepted %q, encoding/json says %v", b, err)
			}
			if !reflect.DeepEqual(normalize(&fast), normalize(slow)) {
				t.Fatalf("%q: fast %+v, slow %+v", b, fast, *slow)
			}
		}
		_ = Decode(b, &PutVectorsRequest{}) // never panics
	})
}

func slowDecodeQuery(body []byte) (*QueryVectorsRequest, error) {
	var req QueryVectorsRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errTrailing
	}
	return &req, nil
}

func normalizeQuery(q *QueryVectorsRequest) *QueryVectorsRequest {
	q.QueryVector.badIdx = 0
	if len(q.QueryVector.Float32) == 0 {
		q.QueryVector.Float32 = nil
	}
	return q
}

func TestFastQueryMatchesSlow(t *testing.T) {
	for _, b := range []string{
		`{"filter":{"genre":"scifi"},"indexArn":"arn:aws:s3vectors:us-east-1:123456789012:bucket/b1/index/i1","queryVector":{"float32":[1,0.5]},"returnDistance":true,"returnMetadata":true,"topK":3}`,
		` { "vectorBucketName" : "media", "indexName":"movies", "topK" : 10000 , "queryVector":{"float32":[-1e-3]}, "returnDistance":false, "nextToken":"t\u00e9", "queryMode":"ENHANCED", "filter": {"$and":[{"a":{"$in":[1,"x"]}}]} }`,
		`{"topK":-5,"queryVector":{"float32":[]}}`, `{}`,
	} {
		var fast QueryVectorsRequest
		if !decodeQueryVectorsFast([]byte(b), &fast) {
			t.Errorf("fast path refused %s", b)
			continue
		}
		slow, err := slowDecodeQuery([]byte(b))
		if err != nil {
			t.Fatalf("slow decode of %s: %v", b, err)
		}
		if !reflect.DeepEqual(normalizeQuery(&fast), normalizeQuery(slow)) {
			t.Errorf("fast %+v\nslow %+v", fast, *slow)
		}
	}
	for _, b := range []string{
		`{"topK":3.0}`, `{"topK":3e0}`, `{"topK":03}`, `{"topK":99999999999}`, `{"topK":"3"}`, `{"topK":null}`,
		`{"returnDistance":1}`, `{"returnDistance":tru}`, `{"filter":null}`, `{"filter":{"a":}}`, `{"filter":[1]}`,
		`{"queryVector":{"float32":["NaN"]}}`, `{"topK":1,"topK":2}`, `{"bogus":1}`, `{"topK":1}x`,
	} {
		var q QueryVectorsRequest
		if decodeQueryVectorsFast([]byte(b), &q) {
			t.Errorf("fast path accepted %s", b)
		}
	}
}

func FuzzDecodeQueryVectors(f *testing.F) {
	f.Add([]byte(`{"filter":{"genre":"scifi"},"indexArn":"x","queryVector":{"float32":[1,0.5]},"returnDistance":true,"topK":3}`))
	f.Add([]byte(`{"topK":-0,"queryVector":{"float32":[]},"nextToken":"a\"b","queryMode":"CLASSIC","returnMetadata":false}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast QueryVectorsRequest
		if decodeQueryVectorsFast(b, &fast) {
			slow, err := slowDecodeQuery(b)
			if err != nil {
				t.Fatalf("fast path accepted %q, encoding/json says %v", b, err)
			}
			if !reflect.DeepEqual(normalizeQuery(&fast), normalizeQuery(slow)) {
				t.Fatalf("%q: fast %+v, slow %+v", b, fast, *slow)
			}
		}
	})
}
