package api

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
)

// specialFloats are the float32 values a float codec gets wrong first.
func specialFloats() []float32 {
	return []float32{
		0, float32(math.Copysign(0, -1)), 1, -1, 0.1, -0.1, 255, 1 << 24, 1<<24 + 2, -(1 << 24), 1e6, 1e-6,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, // smallest subnormal
		math.Float32frombits(0x007fffff),          // largest subnormal
		math.Float32frombits(0x00800000),          // smallest normal
		math.MaxFloat32, -math.MaxFloat32, 3.4e38, // largest exponents
		1.17549435e-38, 16777217, 0.4000000059604645,
	}
}

// randomFinite returns n random finite float32 bit patterns.
func randomFinite(rng *rand.Rand, n int) []float32 {
	out := make([]float32, 0, n)
	for len(out) < n {
		f := math.Float32frombits(rng.Uint32())
		if CheckFinite([]float32{f}) < 0 {
			out = append(out, f)
		}
	}
	return out
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d is %v (%#08x), want %v (%#08x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestFloat32RoundTripExact encodes random bit patterns and the special
// values with the shared encoder and decodes them on both hot paths: the
// server's QueryVectors request decoder and the client's GetVectors
// response decoder. Every float32 must come back bit for bit.
func TestFloat32RoundTripExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	vec := append(specialFloats(), randomFinite(rng, 200000)...)
	for i := range 5000 { // integers, for the integer fast path
		vec = append(vec, float32(rng.IntN(1<<25)-1<<24), float32(i))
	}
	for _, f := range vec {
		s := AppendFloat32(nil, f)
		g, err := strconv.ParseFloat(string(s), 32)
		if err != nil || math.Float32bits(float32(g)) != math.Float32bits(f) {
			t.Fatalf("AppendFloat32(%v) = %q, parses to %v (%v)", f, s, g, err)
		}
	}
	for lo := 0; lo < len(vec); lo += MaxDimension {
		chunk := vec[lo:min(lo+MaxDimension, len(vec))]
		body := AppendVectorJSON([]byte(`{"vectorBucketName":"bkt","indexName":"idx","topK":3,"queryVector":`), chunk)
		body = append(body, '}')
		var q QueryVectorsRequest
		if e := Decode(body, &q); e != nil {
			t.Fatalf("decode query: %v", e)
		}
		sameBits(t, "query request", q.QueryVector.Float32, chunk)

		resp, err := AppendResponse(nil, &GetVectorsResponse{Vectors: []GetOutputVector{{Key: "k", Data: &VectorData{Float32: chunk}}}})
		if err != nil {
			t.Fatal(err)
		}
		var g GetVectorsResponse
		if !decodeGetFast(resp, &g) {
			t.Fatalf("fast decoder refused %.80s…", resp)
		}
		sameBits(t, "get response", g.Vectors[0].Data.Float32, chunk)
	}
}

func decodeGetFast(b []byte, r *GetVectorsResponse) bool {
	var next string
	vs, ok := decodeOutputVectorsFast(b, &next, false)
	r.Vectors = vs
	return ok
}

// TestNonFiniteVectorsRejected: NaN and ±Infinity (sent by the SDKs as
// strings) and numbers beyond the float32 range are ValidationExceptions.
func TestNonFiniteVectorsRejected(t *testing.T) {
	for _, el := range []string{`"NaN"`, `"Infinity"`, `"-Infinity"`, `1e39`, `-3.5e38`, `NaN`} {
		for body, req := range map[string]any{
			`{"vectorBucketName":"bkt","indexName":"idx","topK":1,"queryVector":{"float32":[1,` + el + `]}}`:         &QueryVectorsRequest{},
			`{"vectorBucketName":"bkt","indexName":"idx","vectors":[{"key":"k","data":{"float32":[1,` + el + `]}}]}`: &PutVectorsRequest{},
		} {
			e := Decode([]byte(body), req)
			if e == nil || !errors.Is(e, ErrValidation) {
				t.Errorf("%s: got %v, want a ValidationException", body, e)
			}
		}
	}
	if _, err := AppendQueryVectorsResponse(nil, &QueryVectorsResponse{Vectors: []QueryOutputVector{{Key: "k", Distance: ptr(float32(math.Inf(1)))}}}); err == nil {
		t.Error("an infinite distance was encoded")
	}
}

func ptr[T any](v T) *T { return &v }

// sampleResponses are responses of the three fast-decoded operations.
func sampleResponses(rng *rand.Rand) []any {
	dist := func() *float32 { return ptr(randomFinite(rng, 1)[0]) }
	return []any{
		&QueryVectorsResponse{Vectors: []QueryOutputVector{}, DistanceMetric: Euclidean},
		&QueryVectorsResponse{Vectors: []QueryOutputVector{
			{Key: "a", Distance: dist()},
			{Key: "b\"\\ é \u2028", Distance: dist(), Metadata: Metadata{"genre": "x", "n": 3.5, "l": []any{"p", true}}},
			{Key: "c", Metadata: Metadata{}},
		}, DistanceMetric: Cosine, NextToken: "tok/+="},
		&GetVectorsResponse{Vectors: []GetOutputVector{}},
		&GetVectorsResponse{Vectors: []GetOutputVector{
			{Key: "k1", Data: &VectorData{Float32: randomFinite(rng, 7)}, Metadata: Metadata{"a": 1.0}},
			{Key: "k2", Data: &VectorData{Float32: randomFinite(rng, 7)}},
			{Key: "k3"},
		}},
		&ListVectorsResponse{Vectors: []GetOutputVector{{Key: "k", Data: &VectorData{Float32: specialFloats()}}}, NextToken: "n"},
	}
}

// TestDecodeResponseMatchesEncodingJSON: what the fast response decoders
// produce equals what encoding/json produces from the same bytes.
func TestDecodeResponseMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, in := range sampleResponses(rng) {
		for _, enc := range []func(any) ([]byte, error){json.Marshal, func(v any) ([]byte, error) { return AppendResponse(nil, v) }} {
			b, err := enc(in)
			if err != nil {
				t.Fatal(err)
			}
			fast := reflect.New(reflect.TypeOf(in).Elem()).Interface()
			ref := reflect.New(reflect.TypeOf(in).Elem()).Interface()
			if err := DecodeResponse(b, fast); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if err := json.Unmarshal(b, ref); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if !reflect.DeepEqual(fast, ref) {
				t.Errorf("%s:\nfast %+v\njson %+v", b, fast, ref)
			}
		}
	}
}

// TestDecodeResponseFallsBack: bodies the fast decoders refuse still decode
// as encoding/json decodes them.
func TestDecodeResponseFallsBack(t *testing.T) {
	for _, b := range []string{
		`{"vectors":[{"key":"a","distance":1}],"distanceMetric":"cosine","extra":{"x":[1]}}`,
		`{"Vectors":[{"Key":"a"}],"distanceMetric":"cosine"}`,
		`{"vectors":[{"key":"a","distance":null}],"distanceMetric":"cosine"}`,
		`{"vectors":[{"key":"a"},{"key":"b"}],"vectors":[{"key":"c"}],"distanceMetric":"cosine"}`,
	} {
		var fast, ref QueryVectorsResponse
		if err := DecodeResponse([]byte(b), &fast); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		_ = json.Unmarshal([]byte(b), &ref)
		if !reflect.DeepEqual(fast, ref) {
			t.Errorf("%s:\nfast %+v\njson %+v", b, fast, ref)
		}
	}
}

// TestAppendQueryVectorsResponseMatchesEncodingJSON compares the decoded
// values of both encoders.
func TestAppendQueryVectorsResponseMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, in := range sampleResponses(rng)[:2] {
		fast, err := AppendResponse(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := json.Marshal(in)
		var a, b any
		if err := json.Unmarshal(fast, &a); err != nil {
			t.Fatalf("%s: %v", fast, err)
		}
		_ = json.Unmarshal(ref, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("fast %s\njson %s", fast, ref)
		}
	}
}

// FuzzFloat32RoundTrip: every finite bit pattern survives the encoder and
// both hot decoders; non-finite ones are refused by Decode.
func FuzzFloat32RoundTrip(f *testing.F) {
	for _, v := range specialFloats() {
		f.Add(math.Float32bits(v))
	}
	f.Add(uint32(0x7fc00000))
	f.Fuzz(func(t *testing.T, bits uint32) {
		v := math.Float32frombits(bits)
		body := append(AppendVectorJSON([]byte(`{"vectorBucketName":"bkt","indexName":"idx","topK":1,"queryVector":`), []float32{v}), '}')
		var q QueryVectorsRequest
		e := Decode(body, &q)
		if CheckFinite([]float32{v}) >= 0 {
			if e == nil {
				t.Fatalf("accepted non-finite %s", body)
			}
			return
		}
		if e != nil {
			t.Fatalf("%s: %v", body, e)
		}
		sameBits(t, "query", q.QueryVector.Float32, []float32{v})
		resp, _ := AppendResponse(nil, &ListVectorsResponse{Vectors: []GetOutputVector{{Key: "k", Data: &VectorData{Float32: []float32{v}}}}})
		var l ListVectorsResponse
		if err := DecodeResponse(resp, &l); err != nil {
			t.Fatal(err)
		}
		sameBits(t, "list", l.Vectors[0].Data.Float32, []float32{v})
	})
}

// FuzzDecodeResponse: whatever the fast response decoders accept, encoding/json
// accepts and reads the same way.
func FuzzDecodeResponse(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, in := range sampleResponses(rng) {
		b, _ := AppendResponse(nil, in)
		f.Add(b)
	}
	f.Add([]byte(`{"vectors":[{"key":"a","distance":1e39}],"distanceMetric":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var q QueryVectorsResponse
		if decodeQueryResponseFast(b, &q) {
			var ref QueryVectorsResponse
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatalf("fast query decoder accepted %q that encoding/json rejects: %v", b, err)
			}
			if !reflect.DeepEqual(q, ref) {
				t.Fatalf("%q:\nfast %+v\njson %+v", b, q, ref)
			}
		}
		var next string
		if vs, ok := decodeOutputVectorsFast(b, &next, true); ok {
			var ref ListVectorsResponse
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatalf("fast list decoder accepted %q that encoding/json rejects: %v", b, err)
			}
			got := ListVectorsResponse{Vectors: vs, NextToken: next}
			if !reflect.DeepEqual(got, ref) {
				t.Fatalf("%q:\nfast %+v\njson %+v", b, got, ref)
			}
		}
	})
}
