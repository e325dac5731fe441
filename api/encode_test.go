package api

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestAppendPutVectorsJSONRoundTrip(t *testing.T) {
	req := PutVectorsRequest{IndexRef: IndexRef{VectorBucketName: "media", IndexName: "movies"}, Vectors: []PutInputVector{
		{Key: "plain", Data: Float32Vector([]float32{1, 0.5, -3e-9})},
		{Key: "quote\"back\\slash\n\x01é", Data: Float32Vector([]float32{2}), Metadata: Metadata{"genre": "scifi", "n": 3.0, "l": []any{"a", true}}},
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
}
