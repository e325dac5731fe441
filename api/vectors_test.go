package api

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// plainVector is the encoding/json reference the hand-written decoder is
// tested against.
type plainVector struct {
	Float32 []float32 `json:"float32"`
}

func TestVectorDecoderMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	formats := []func(f float32) string{
		func(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) },
		func(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 64) }, // widened, as AWS returns
		func(f float32) string { return strconv.FormatFloat(float64(f), 'e', 12, 64) },
		func(f float32) string { return strconv.FormatFloat(float64(f), 'f', -1, 64) },
		func(f float32) string { return strconv.FormatFloat(float64(f), 'E', 3, 64) },
	}
	for trial := range 300 {
		n := 1 + rng.IntN(50)
		var b strings.Builder
		b.WriteString(`{ "float32" : [`)
		for i := range n {
			if i > 0 {
				b.WriteString(" ,\n")
			}
			var f float32
			switch rng.IntN(5) {
			case 0:
				f = float32(rng.NormFloat64())
			case 1:
				f = float32(rng.IntN(2000) - 1000)
			case 2:
				f = float32(rng.NormFloat64() * 1e30)
			case 3:
				f = float32(rng.NormFloat64() * 1e-30)
			default:
				f = 0
			}
			b.WriteString(formats[rng.IntN(len(formats))](f))
		}
		b.WriteString("]\t}")
		src := b.String()
		var want plainVector
		if err := json.Unmarshal([]byte(src), &want); err != nil {
			t.Fatalf("reference decode of %s: %v", src, err)
		}
		var got VectorData
		if err := json.Unmarshal([]byte(src), &got); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if err := got.Err(); err != nil {
			t.Fatalf("trial %d: Err() = %v for %s", trial, err, src)
		}
		if len(got.Float32) != len(want.Float32) {
			t.Fatalf("trial %d: %d elements, want %d", trial, len(got.Float32), len(want.Float32))
		}
		for i := range want.Float32 {
			if math.Float32bits(got.Float32[i]) != math.Float32bits(want.Float32[i]) {
				t.Fatalf("trial %d element %d: %v, want %v (%s)", trial, i, got.Float32[i], want.Float32[i], src)
			}
		}
	}
}

func TestVectorRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	v := make([]float32, 257)
	for i := range v {
		v[i] = float32(rng.NormFloat64()) * float32(math.Pow(10, float64(rng.IntN(60)-30)))
	}
	v[0], v[1] = math.MaxFloat32, math.SmallestNonzeroFloat32
	b, err := json.Marshal(Float32Vector(v))
	if err != nil {
		t.Fatal(err)
	}
	var back VectorData
	if err := json.Unmarshal(b, &back); err != nil || back.Err() != nil {
		t.Fatalf("decode: %v %v", err, back.Err())
	}
	for i := range v {
		if back.Float32[i] != v[i] {
			t.Fatalf("element %d: %v, want %v", i, back.Float32[i], v[i])
		}
	}
}

func TestVectorEncodesNonFiniteAsSDKStrings(t *testing.T) {
	b, _ := json.Marshal(Float32Vector([]float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0.5}))
	if got, want := string(b), `{"float32":["NaN","Infinity","-Infinity",0.5]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestVectorDecodeErrors(t *testing.T) {
	tests := []struct {
		src  string
		elem int
		msg  string
	}{
		{`{"float32":[1,"NaN"]}`, 1, `"NaN" is not allowed`},
		{`{"float32":["Infinity"]}`, 0, `"Infinity" is not allowed`},
		{`{"float32":[0,0,"-Infinity"]}`, 2, `"-Infinity" is not allowed`},
		{`{"float32":[1,"2"]}`, 1, "got string"},
		{`{"float32":[1,null]}`, 1, "got null"},
		{`{"float32":[true]}`, 0, "got boolean"},
		{`{"float32":[[1]]}`, 0, "got array"},
		{`{"float32":[1e39]}`, 0, "float32 range"},
		{`{"float32":[-1e39]}`, 0, "float32 range"},
		{`{"float64":[1]}`, -1, "unknown union member"},
		{`{}`, -1, "no member"},
		{`{"float32":[1],"float64":[2]}`, -1, "exactly one member"},
		{`{"float32":1}`, -1, "must be an array"},
		{`[1,2]`, -1, "must be an object"},
		{`null`, -1, "must be an object"},
		{`"x"`, -1, "must be an object"},
		{`{"float32":[1 2]}`, -1, "unexpected"},
	}
	for _, tt := range tests {
		var v VectorData
		_ = v.UnmarshalJSON([]byte(tt.src))
		err := v.Err()
		if err == nil {
			t.Errorf("%s: no error", tt.src)
			continue
		}
		ve := err.(*VectorError)
		if ve.Element != tt.elem || !strings.Contains(ve.Msg, tt.msg) {
			t.Errorf("%s: got (%d, %q), want (%d, …%q…)", tt.src, ve.Element, ve.Msg, tt.elem, tt.msg)
		}
		if v.Float32 != nil {
			t.Errorf("%s: Float32 = %v, want nil", tt.src, v.Float32)
		}
	}
	// Numbers the JSON grammar forbids but strconv accepts.
	for _, n := range []string{"+1", "01", "1.", ".5", "1e", "0x10", "1_0", "--1"} {
		var v VectorData
		_ = v.UnmarshalJSON([]byte(`{"float32":[` + n + `]}`))
		if v.Err() == nil {
			t.Errorf("number %s accepted as %v", n, v.Float32)
		}
	}
	var empty VectorData
	_ = empty.UnmarshalJSON([]byte(`{"float32":[]}`))
	if empty.Err() != nil || len(empty.Float32) != 0 {
		t.Errorf("empty array: %v %v", empty.Err(), empty.Float32)
	}
}

func FuzzVectorData(f *testing.F) {
	for _, s := range []string{`{"float32":[1,0.5,-2e-3]}`, `{"float32":["NaN"]}`, `{"float32":[]}`, `{"float32":[1e39]}`, `{"x":1}`, `{"float32":[1,`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v VectorData
		_ = v.UnmarshalJSON(b)
		var ref plainVector
		refErr := json.Unmarshal(b, &ref)
		if v.Err() == nil {
			// Whatever we accept, encoding/json must read the same way.
			if refErr != nil {
				t.Fatalf("accepted %q that encoding/json rejects: %v", b, refErr)
			}
			if len(ref.Float32) != len(v.Float32) {
				t.Fatalf("%q: %d elements, reference %d", b, len(v.Float32), len(ref.Float32))
			}
			for i := range ref.Float32 {
				if math.Float32bits(ref.Float32[i]) != math.Float32bits(v.Float32[i]) {
					t.Fatalf("%q element %d: %v, reference %v", b, i, v.Float32[i], ref.Float32[i])
				}
			}
		}
	})
}

// putBody builds a PutVectors body of n vectors of dimension dim.
func putBody(n, dim int) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	req := PutVectorsRequest{IndexRef: IndexRef{VectorBucketName: "bucket", IndexName: "index"}}
	for i := range n {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		req.Vectors = append(req.Vectors, PutInputVector{Key: fmt.Sprintf("key-%d", i), Data: Float32Vector(v),
			Metadata: Metadata{"genre": "scifi", "year": float64(2000 + i%25)}})
	}
	b, _ := json.Marshal(req)
	return b
}

// plainPut mirrors PutVectorsRequest with a plain []float32 so that
// encoding/json decodes the vectors itself.
type plainPut struct {
	IndexArn         string `json:"indexArn"`
	VectorBucketName string `json:"vectorBucketName"`
	IndexName        string `json:"indexName"`
	Vectors          []struct {
		Key      string         `json:"key"`
		Data     plainVector    `json:"data"`
		Metadata map[string]any `json:"metadata"`
	} `json:"vectors"`
}

func TestDecodePutVectorsMatchesPlain(t *testing.T) {
	body := putBody(50, 33)
	var req PutVectorsRequest
	if e := Decode(body, &req); e != nil {
		t.Fatal(e)
	}
	var ref plainPut
	if err := json.Unmarshal(body, &ref); err != nil {
		t.Fatal(err)
	}
	for i, v := range ref.Vectors {
		got := req.Vectors[i]
		if got.Key != v.Key || len(got.Data.Float32) != len(v.Data.Float32) || fmt.Sprint(got.Metadata["year"]) != fmt.Sprint(v.Metadata["year"]) {
			t.Fatalf("vector %d differs", i)
		}
		for j := range v.Data.Float32 {
			if got.Data.Float32[j] != v.Data.Float32[j] {
				t.Fatalf("vector %d element %d: %v, want %v", i, j, got.Data.Float32[j], v.Data.Float32[j])
			}
		}
	}
}

// BenchmarkDecodePutVectors compares Decode (hand-written vector parser
// inside encoding/json) with plain encoding/json on a 500×768 batch.
func BenchmarkDecodePutVectors(b *testing.B) {
	body := putBody(500, 768)
	b.Run("api.Decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var req PutVectorsRequest
			if e := Decode(body, &req); e != nil {
				b.Fatal(e)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var req plainPut
			if err := json.Unmarshal(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeVector768(b *testing.B) {
	v := make([]float32, 768)
	for i := range v {
		v[i] = float32(i) * 0.001
	}
	buf := make([]byte, 0, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendVectorJSON(buf[:0], v)
	}
}

// TestParseFloat32MatchesStrconv drives both branches of parseFloat32 (the
// exact small-decimal path and the strconv fallback) against strconv.
func TestParseFloat32MatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		var s string
		switch rng.IntN(4) {
		case 0: // exact path: small mantissa, small exponent
			m := rng.IntN(1 << 25)
			s = strconv.Itoa(m)
			if e := rng.IntN(23) - 11; e != 0 {
				s += "e" + strconv.Itoa(e)
			}
		case 1: // shortest float32 text, as the AWS SDKs send
			s = strconv.FormatFloat(float64(float32(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(20)-10)))), 'g', -1, 32)
		case 2: // decimal point forms
			s = strconv.Itoa(rng.IntN(100000)) + "." + strconv.Itoa(rng.IntN(1000000000))
		default: // long mantissas
			s = "0." + strconv.FormatUint(rng.Uint64(), 10) + strconv.FormatUint(rng.Uint64(), 10)
		}
		if rng.IntN(2) == 0 {
			s = "-" + s
		}
		want, err := strconv.ParseFloat(s, 32)
		if err != nil {
			continue
		}
		got, end, ok := parseFloat32([]byte(s), 0)
		if !ok || end != len(s) || math.Float32bits(got) != math.Float32bits(float32(want)) {
			t.Fatalf("parseFloat32(%q) = %v (ok %v, end %d), strconv %v", s, got, ok, end, float32(want))
		}
	}
}

// BenchmarkDecodeQueryVectors compares Decode with plain encoding/json on a
// 784-dimensional query (Fashion-MNIST size).
func BenchmarkDecodeQueryVectors(b *testing.B) {
	v := make([]float32, 784)
	for i := range v {
		v[i] = float32(i%255) / 255
	}
	body, _ := json.Marshal(QueryVectorsRequest{IndexRef: IndexRef{VectorBucketName: "media", IndexName: "movies"}, TopK: 10,
		QueryVector: Float32Vector(v), Filter: json.RawMessage(`{"genre":"scifi"}`), ReturnDistance: true})
	b.Run("api.Decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var q QueryVectorsRequest
			if e := Decode(body, &q); e != nil {
				b.Fatal(e)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var q struct {
				IndexArn, VectorBucketName, IndexName string
				TopK                                  int
				QueryVector                           plainVector
				Filter                                json.RawMessage
				ReturnDistance, ReturnMetadata        bool
			}
			if err := json.Unmarshal(body, &q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
