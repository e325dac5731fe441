package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestAppendPutVectorsJSONRoundTrip(t *testing.T) {
	req := PutVectorsRequest{IndexRef: IndexRef{VectorBucketName: "media", IndexName: "movies"}, Vectors: []PutInputVector{
		{Key: "plain", Data: Float32Vector([]float32{1, 0.5, -3e-9})},
		{Key: "quote\"back\\slash\n\x01é", Data: Float32Vector([]float32{2}), Metadata: Metadata{"genre": "scifi", "n": json.Number("3"), "l": []any{"a", true}}},
	}}
	b, err := AppendPutVectorsJSON(nil, &req)
	if err != nil {
		t.Fatal(err)
	}
	var back PutVectorsRequest
	if e := Decode(b, &back); e != nil {
		t.Fatalf("Decode(%s): %v", b, e)
	}
	var ref PutVectorsRequest
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("encoding/json rejects %s: %v", b, err)
	}
	if !reflect.DeepEqual(normalize(&back), normalize(&req)) || !reflect.DeepEqual(normalize(&ref), normalize(&req)) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, req)
	}
}

func BenchmarkEncodePutVectors(b *testing.B) {
	body := putBody(500, 768)
	var req PutVectorsRequest
	if e := Decode(body, &req); e != nil {
		b.Fatal(e)
	}
	b.Run("AppendPutVectorsJSON", func(b *testing.B) {
		buf := make([]byte, 0, len(body))
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = AppendPutVectorsJSON(buf[:0], &req)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(&req)
		}
	})
	// Integral values (pixels, as in Fashion-MNIST) take AppendFloat32's
	// integer path.
	ints := PutVectorsRequest{IndexRef: req.IndexRef, Vectors: make([]PutInputVector, len(req.Vectors))}
	for i, v := range req.Vectors {
		d := make([]float32, len(v.Data.Float32))
		for j := range d {
			d[j] = float32((i*31 + j*7) % 256)
		}
		ints.Vectors[i] = PutInputVector{Key: v.Key, Data: Float32Vector(d)}
	}
	b.Run("AppendPutVectorsJSON/integers", func(b *testing.B) {
		buf := make([]byte, 0, len(body))
		for b.Loop() {
			buf, _ = AppendPutVectorsJSON(buf[:0], &ints)
		}
		b.ReportMetric(float64(b.N*len(ints.Vectors))/b.Elapsed().Seconds(), "vectors/s")
	})
}

func TestMarshalResponseMatchesEncodingJSON(t *testing.T) {
	d := VectorData{Float32: []float32{0.4, -1, 3e-9}}
	vs := []GetOutputVector{
		{Key: "a"}, {Key: "b\"<>&\x02é", Data: &d}, {Key: "c", Metadata: Metadata{"g": "x", "n": 1.5, "l": []any{"a", true}}},
		{Key: "d", Data: &d, Metadata: Metadata{}},
	}
	for _, out := range []any{
		&ListVectorsResponse{Vectors: vs, NextToken: "tok\"1"}, ListVectorsResponse{Vectors: []ListOutputVector{}},
		&GetVectorsResponse{Vectors: vs}, &QueryVectorsResponse{DistanceMetric: Cosine, Vectors: []QueryOutputVector{}},
	} {
		got, err := MarshalResponse(out)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(out)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("MarshalResponse wrote invalid JSON %s: %v", got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("MarshalResponse(%T):\n got %s\nwant %s", out, got, want)
		}
	}
}

func TestMarshalResponseNilListIsEmpty(t *testing.T) {
	got, _ := MarshalResponse(&GetVectorsResponse{})
	if string(got) != `{"vectors":[]}` {
		t.Errorf("got %s", got)
	}
}

func BenchmarkMarshalListVectors(b *testing.B) {
	body := putBody(1000, 768)
	var req PutVectorsRequest
	if e := DecodeAllowUnknown(body, &req); e != nil && e.FieldList[0].Path != "vectors" {
		b.Fatal(e)
	}
	resp := &ListVectorsResponse{NextToken: "abc"}
	for i := range req.Vectors {
		resp.Vectors = append(resp.Vectors, GetOutputVector{Key: req.Vectors[i].Key, Data: &req.Vectors[i].Data, Metadata: req.Vectors[i].Metadata})
	}
	b.Run("MarshalResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = MarshalResponse(resp)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(resp)
		}
	})
}

// TestAppendQueryVectorsJSON checks the fast QueryVectors encoder against
// encoding/json: both bodies decode (with Decode) to the same request.
func TestAppendQueryVectorsJSON(t *testing.T) {
	tr := 0.97
	for _, req := range []QueryVectorsRequest{
		{IndexRef: IndexRef{VectorBucketName: "bkt", IndexName: "idx"}, TopK: 10, QueryVector: Float32Vector([]float32{1, -2.5, 3e-7, 255})},
		{IndexRef: IndexRef{IndexArn: "arn:aws:s3vectors:us-east-1:123456789012:bucket/bkt/index/idx"}, TopK: 3, QueryVector: Float32Vector([]float32{0.1}),
			Filter: json.RawMessage(` {"genre" : {"$in": ["a", "b\\u00e9"]}} `), ReturnMetadata: true, ReturnDistance: true,
			NextToken: "tok\"en", QueryMode: ModeEnhanced, Vectorbucket: &QueryExtension{Receipt: true, TargetRecall: &tr}},
		{IndexRef: IndexRef{VectorBucketName: "bkt", IndexName: "idx"}, TopK: 1, QueryVector: Float32Vector(make([]float32, 784))},
	} {
		fast, err := AppendQueryVectorsJSON(nil, &req)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := json.Marshal(&req)
		if err != nil {
			t.Fatal(err)
		}
		var a, b QueryVectorsRequest
		if e := Decode(fast, &a); e != nil {
			t.Fatalf("Decode(%s): %v", fast, e)
		}
		if e := Decode(slow, &b); e != nil {
			t.Fatalf("Decode(%s): %v", slow, e)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("fast %s\ndecodes to %+v\nencoding/json %s\ndecodes to %+v", fast, a, slow, b)
		}
		if !bytes.Equal(fast, slow) {
			t.Errorf("fast %s\nencoding/json %s", fast, slow)
		}
	}
	bad := QueryVectorsRequest{TopK: 1, QueryVector: Float32Vector([]float32{1}), Filter: json.RawMessage(`{"a":`)}
	if _, err := AppendQueryVectorsJSON(nil, &bad); err == nil {
		t.Error("an invalid filter was encoded")
	}
}
