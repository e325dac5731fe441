package neighborhoods

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files and fuzz seeds in testdata")

// goldenRecords is the fixed content of the golden segment: keys of several lengths (one
// empty-free multibyte), metadata present and absent, a tombstone, large sequence numbers.
func goldenRecords() []Record {
	return []Record{
		{Key: "a", Vector: []float32{1, 2, 3, 4}, Seq: 1, Metadata: []byte(`{"genre":"jazz","year":1959}`)},
		{Key: "bb", Vector: []float32{-1.5, 0, 0.25, 1e-3}, Seq: 2},
		{Key: "ключ", Vector: []float32{0, 0, 0, 0}, Seq: 1 << 40, Metadata: []byte(`{}`)},
		{Key: "gone", Seq: 1<<64 - 1, Deleted: true},
		{Key: "e", Vector: []float32{3, 4, 0, 0}, Seq: 7, Metadata: []byte(`{"tags":["x","y"]}`)},
	}
}

func goldenCentroids() ([]float32, []string) {
	return []float32{0, 1, 2, 3, -4, -5, -6, -7.5}, []string{"n-000001", "n-000002"}
}

func checkGolden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *rewrite {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -run Golden -rewrite to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: encoder output differs from the golden file (%d vs %d bytes): the format changed; add a new FormatVersion instead", name, len(got), len(want))
	}
	return want
}

func TestGoldenSegmentV1(t *testing.T) {
	recs := goldenRecords()
	enc, err := EncodeSegment(4, Euclidean, recs)
	if err != nil {
		t.Fatal(err)
	}
	golden := checkGolden(t, "segment_v1.arrow", enc)
	seg, err := DecodeSegment(golden)
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	if seg.Version() != FormatV1 || seg.Dim() != 4 || seg.Metric() != Euclidean || seg.Len() != len(recs) {
		t.Fatalf("header: version %d dim %d metric %v len %d", seg.Version(), seg.Dim(), seg.Metric(), seg.Len())
	}
	for i, want := range recs {
		got := seg.Record(i)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("row %d = %+v, want %+v", i, got, want)
		}
		if want.Vector != nil && seg.Norm(i) != Norm(want.Vector) {
			t.Errorf("row %d norm %v, want %v", i, seg.Norm(i), Norm(want.Vector))
		}
	}
	if !seg.Deleted(3) || !reflect.DeepEqual(seg.Vector(3), []float32{0, 0, 0, 0}) {
		t.Errorf("tombstone row: deleted %v vector %v", seg.Deleted(3), seg.Vector(3))
	}
}

func TestGoldenCentroidsV1(t *testing.T) {
	flat, ids := goldenCentroids()
	enc, err := EncodeCentroids(4, Cosine, flat, ids)
	if err != nil {
		t.Fatal(err)
	}
	golden := checkGolden(t, "centroids_v1.arrow", enc)
	c, err := DecodeCentroids(golden)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 || c.Dim() != 4 || c.Metric() != Cosine || c.Version() != FormatV1 {
		t.Fatalf("header: len %d dim %d metric %v version %d", c.Len(), c.Dim(), c.Metric(), c.Version())
	}
	if !reflect.DeepEqual(c.Vectors(), flat) || c.ID(0) != ids[0] || c.ID(1) != ids[1] {
		t.Errorf("got %v %q %q", c.Vectors(), c.ID(0), c.ID(1))
	}
	if _, err := DecodeSegment(golden); !errors.Is(err, ErrCorrupt) {
		t.Errorf("DecodeSegment(centroids) = %v, want ErrCorrupt", err)
	}
	seg, _ := EncodeSegment(4, Cosine, goldenRecords())
	if _, err := DecodeCentroids(seg); !errors.Is(err, ErrCorrupt) {
		t.Errorf("DecodeCentroids(segment) = %v, want ErrCorrupt", err)
	}
}

func TestGoldenCentroidsCalibratedV1(t *testing.T) {
	flat, ids := goldenCentroids()
	cal := &Calibration{K: 10, Recall: []float32{0.75, 1}}
	enc, err := EncodeCentroidsCalibrated(4, Euclidean, flat, ids, cal)
	if err != nil {
		t.Fatal(err)
	}
	golden := checkGolden(t, "centroids_v1_calibrated.arrow", enc)
	c, err := DecodeCentroids(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Calibration(), cal) {
		t.Errorf("calibration %+v, want %+v", c.Calibration(), cal)
	}
	plain, _ := EncodeCentroids(4, Euclidean, flat, ids)
	if c, _ := DecodeCentroids(plain); c.Calibration() != nil {
		t.Errorf("uncalibrated table has calibration %+v", c.Calibration())
	}
	for _, bad := range []*Calibration{{K: 0, Recall: []float32{1}}, {K: 10}, {K: 10, Recall: []float32{0.9, 0.8}}, {K: 10, Recall: []float32{1.5}}} {
		if _, err := EncodeCentroidsCalibrated(4, Euclidean, flat, ids, bad); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("calibration %+v: err = %v", bad, err)
		}
	}
}

func TestDecodeRejectsBadCalibration(t *testing.T) {
	flat, ids := goldenCentroids()
	for _, tc := range []struct{ k, curve string }{{"10", ""}, {"x", "1"}, {"10", "0.5,0.4"}, {"10", "nan"}, {"10", "0.5,,1"}} {
		s := centroidSchema(4, Euclidean)
		md := s.Metadata()
		nm := arrow.NewMetadata(append(md.Keys(), metaRecallK, metaRecall), append(md.Values(), tc.k, tc.curve))
		n := len(ids)
		off := []int32{0}
		var data []byte
		for _, id := range ids {
			data = append(data, id...)
			off = append(off, int32(len(data)))
		}
		enc, err := writeFile(arrow.NewSchema(s.Fields(), &nm), []arrow.ArrayData{
			array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, bufOf(off), memory.NewBufferBytes(data)}, nil, 0, 0),
			vectorData(4, n, flat),
		}, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeCentroids(enc); !errors.Is(err, ErrCorrupt) {
			t.Errorf("k=%q curve=%q: err = %v, want ErrCorrupt", tc.k, tc.curve, err)
		}
	}
}

func TestSegmentZeroCopy(t *testing.T) {
	enc, err := EncodeSegment(4, Euclidean, goldenRecords())
	if err != nil {
		t.Fatal(err)
	}
	seg, err := DecodeSegment(enc)
	if err != nil {
		t.Fatal(err)
	}
	lo := uintptr(unsafe.Pointer(&enc[0]))
	hi := lo + uintptr(len(enc))
	for name, p := range map[string]unsafe.Pointer{
		"vector": unsafe.Pointer(&seg.Vector(0)[0]),
		"key":    unsafe.Pointer(&seg.KeyBytes(0)[0]),
		"meta":   unsafe.Pointer(&seg.Metadata(0)[0]),
		"norm":   unsafe.Pointer(&seg.Norms()[0]),
	} {
		if a := uintptr(p); a < lo || a >= hi {
			t.Errorf("%s column at %#x, outside the input [%#x, %#x): it was copied", name, a, lo, hi)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dim    int
		metric Metric
		recs   []Record
		want   error
	}{
		{"dim 0", 0, Euclidean, nil, ErrInvalidRecord},
		{"dim too big", MaxDim + 1, Euclidean, nil, ErrInvalidRecord},
		{"bad metric", 2, Metric(9), nil, ErrUnknownMetric},
		{"short vector", 2, Euclidean, []Record{{Key: "k", Vector: []float32{1}}}, ErrInvalidRecord},
		{"missing vector", 2, Euclidean, []Record{{Key: "k"}}, ErrInvalidRecord},
	} {
		if _, err := EncodeSegment(tc.dim, tc.metric, tc.recs); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := EncodeCentroids(2, Euclidean, []float32{1, 2, 3}, []string{"a"}); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("EncodeCentroids length mismatch: err = %v", err)
	}
}

func TestEmptySegment(t *testing.T) {
	enc, err := EncodeSegment(3, Cosine, nil)
	if err != nil {
		t.Fatal(err)
	}
	seg, err := DecodeSegment(enc)
	if err != nil {
		t.Fatal(err)
	}
	if seg.Len() != 0 || len(seg.Vectors()) != 0 {
		t.Errorf("len %d, %d values", seg.Len(), len(seg.Vectors()))
	}
}

// encodeWithMeta writes the golden records under a schema whose metadata is edited by edit.
func encodeWithMeta(t *testing.T, edit func(keys, vals []string) ([]string, []string)) []byte {
	t.Helper()
	s := segmentSchema(4, Euclidean)
	md := s.Metadata()
	k, v := edit(append([]string(nil), md.Keys()...), append([]string(nil), md.Values()...))
	nm := arrow.NewMetadata(k, v)
	s2 := arrow.NewSchema(s.Fields(), &nm)
	enc, err := EncodeSegment(4, Euclidean, goldenRecords())
	if err != nil {
		t.Fatal(err)
	}
	seg, err := DecodeSegment(enc)
	if err != nil {
		t.Fatal(err)
	}
	_ = seg
	// Re-encode the same columns under the edited schema.
	f, err := openFile(enc, kindSegment, segmentSchema)
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]arrow.ArrayData, len(f.rec.Columns()))
	for i, c := range f.rec.Columns() {
		cols[i] = c.Data()
	}
	out, err := writeFile(s2, cols, int(f.rec.NumRows()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeRejectsHeaders(t *testing.T) {
	set := func(key, val string) func(k, v []string) ([]string, []string) {
		return func(k, v []string) ([]string, []string) {
			for i := range k {
				if k[i] == key {
					v[i] = val
				}
			}
			return k, v
		}
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"version 2", encodeWithMeta(t, set(metaFormat, "2")), ErrUnknownVersion},
		{"version 0", encodeWithMeta(t, set(metaFormat, "0")), ErrUnknownVersion},
		{"version junk", encodeWithMeta(t, set(metaFormat, "v1")), ErrCorrupt},
		{"dim mismatch", encodeWithMeta(t, set(metaDim, "5")), ErrCorrupt},
		{"metric junk", encodeWithMeta(t, set(metaMetric, "dot")), ErrCorrupt},
		{"kind", encodeWithMeta(t, set(metaKind, "wal")), ErrCorrupt},
		{"no metadata", encodeWithMeta(t, func(k, v []string) ([]string, []string) { return nil, nil }), ErrCorrupt},
		{"empty", nil, ErrCorrupt},
		{"junk", []byte("ARROW1\x00\x00not really an arrow file at all ARROW1"), ErrCorrupt},
	} {
		if _, err := DecodeSegment(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDecodeWrongColumnType(t *testing.T) {
	// A file with the right header but seq stored as int64.
	s := segmentSchema(4, Euclidean)
	fields := s.Fields()
	fields[2].Type = arrow.PrimitiveTypes.Int64
	md := s.Metadata()
	s2 := arrow.NewSchema(fields, &md)
	n := 1
	cols := []arrow.ArrayData{
		array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, bufOf([]int32{0, 1}), memory.NewBufferBytes([]byte("k"))}, nil, 0, 0),
		vectorData(4, n, []float32{1, 2, 3, 4}),
		array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{nil, bufOf([]uint64{1})}, nil, 0, 0),
		array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, bufOf([]int32{0, 0}), memory.NewBufferBytes(nil)}, nil, 0, 0),
		array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{nil, memory.NewBufferBytes([]byte{0})}, nil, 0, 0),
		array.NewData(arrow.PrimitiveTypes.Float32, n, []*memory.Buffer{nil, bufOf([]float32{1})}, nil, 0, 0),
	}
	data, err := writeFile(s2, cols, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeSegment(data); !errors.Is(err, ErrCorrupt) {
		t.Errorf("err = %v, want ErrCorrupt", err)
	}
}

// TestDecodeTruncatedAndFlipped: every prefix and many single-byte corruptions of a valid
// object decode to an error or to a segment whose accessors stay in bounds — never a panic.
func TestDecodeTruncatedAndFlipped(t *testing.T) {
	enc, err := EncodeSegment(4, Euclidean, goldenRecords())
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(enc); n++ {
		if _, err := DecodeSegment(append([]byte(nil), enc[:n]...)); err == nil {
			t.Errorf("prefix of %d/%d bytes decoded without error", n, len(enc))
		}
	}
	for i := 0; i < len(enc); i++ {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b := append([]byte(nil), enc...)
			b[i] ^= x
			if seg, err := DecodeSegment(b); err == nil {
				touchAll(seg)
			}
		}
	}
}

// touchAll reads every accessor of every row (a panic here fails the test).
func touchAll(s *Segment) {
	for i := 0; i < s.Len(); i++ {
		_ = s.Key(i)
		_ = s.Vector(i)
		_ = s.Seq(i)
		_ = s.Metadata(i)
		_ = s.Deleted(i)
		_ = s.Norm(i)
		_ = s.Record(i)
	}
}

func FuzzDecodeSegment(f *testing.F) {
	enc, err := EncodeSegment(4, Euclidean, goldenRecords())
	if err != nil {
		f.Fatal(err)
	}
	cen, _ := EncodeCentroidsCalibrated(4, Cosine, []float32{1, 2, 3, 4}, []string{"x"}, &Calibration{K: 10, Recall: []float32{0.5, 1}})
	f.Add(enc)
	f.Add(enc[:len(enc)/2])
	f.Add(cen)
	f.Add([]byte{})
	if *rewrite {
		writeFuzzSeeds(f, enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seg, err := DecodeSegment(data)
		if err == nil {
			touchAll(seg)
		} else if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownVersion) {
			t.Fatalf("DecodeSegment error not ErrCorrupt/ErrUnknownVersion: %v", err)
		}
		c, err := DecodeCentroids(data)
		if err == nil {
			for i := 0; i < c.Len(); i++ {
				_, _ = c.ID(i), c.Vector(i)
			}
			if cal := c.Calibration(); cal != nil {
				_ = cal.NProbeFor(0.95)
			}
		} else if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownVersion) {
			t.Fatalf("DecodeCentroids error not ErrCorrupt/ErrUnknownVersion: %v", err)
		}
	})
}

// writeFuzzSeeds commits a corpus of valid and corrupted inputs under testdata/fuzz.
func writeFuzzSeeds(f *testing.F, enc []byte) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeSegment")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	cen, _ := EncodeCentroidsCalibrated(4, Cosine, []float32{1, 2, 3, 4}, []string{"x"}, &Calibration{K: 10, Recall: []float32{0.5, 1}})
	seeds := map[string][]byte{"valid": enc, "truncated-tail": enc[:len(enc)-9], "truncated-head": enc[8:], "centroids": cen}
	for _, off := range []int{8, 64, 200, len(enc) / 2, len(enc) - 16} {
		b := append([]byte(nil), enc...)
		b[off] ^= 0xff
		seeds["flip-"+strconv.Itoa(off)] = b
	}
	for name, b := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			f.Fatal(err)
		}
	}
}
