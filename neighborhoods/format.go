package neighborhoods

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FormatVersion numbers the object formats in history order. A reader accepts only the versions
// it knows; files of every released version stay in testdata forever (see docs/format.md).
type FormatVersion uint32

const (
	formatVersionInvalid FormatVersion = iota
	// FormatV1 is the first format: key, vector, seq, metadata, deleted and norm columns for
	// segments; id and vector for centroid tables.
	FormatV1
	formatVersionNext
)

// CurrentFormat is the version EncodeSegment and EncodeCentroids write.
const CurrentFormat = FormatV1

// Schema metadata keys (on the Arrow schema of every object).
const (
	metaFormat = "vectorbucket.format"
	metaKind   = "vectorbucket.kind"
	metaDim    = "vectorbucket.dim"
	metaMetric = "vectorbucket.metric"

	kindSegment   = "segment"
	kindCentroids = "centroids"
)

// MaxDim is the largest dimension the format accepts (S3 Vectors allows 1–4096).
const MaxDim = 4096

var (
	// ErrCorrupt marks bytes that are not a valid object of the expected kind.
	ErrCorrupt = errors.New("corrupt neighborhood object")
	// ErrUnknownVersion marks an object written by a newer (or unknown) format version.
	ErrUnknownVersion = errors.New("unknown neighborhood format version")
	// ErrInvalidRecord marks input to an encoder that cannot be stored (wrong dimension, ...).
	ErrInvalidRecord = errors.New("invalid record")
)

// Record is one row of a segment: a vector with its key, the sequence number of the write that
// put it, and its metadata. WAL objects also carry tombstones (Deleted, with a nil Vector).
type Record struct {
	Key      string
	Vector   []float32 // len == dim; may be nil only when Deleted
	Seq      uint64
	Metadata []byte // a JSON object, or nil for none
	Deleted  bool
}

// EncodeSegment writes recs as a segment object (a neighborhood or a WAL batch) in the current
// format. Rows keep the order of recs. A Deleted record's vector is stored as zeros.
func EncodeSegment(dim int, metric Metric, recs []Record) ([]byte, error) {
	if err := checkHeader(dim, metric); err != nil {
		return nil, err
	}
	n := len(recs)
	keyOff := make([]int32, n+1)
	var keyLen, metaLen int
	for i, r := range recs {
		if !r.Deleted && len(r.Vector) != dim {
			return nil, fmt.Errorf("record %d (key %q): vector has %d dimensions, want %d: %w", i, r.Key, len(r.Vector), dim, ErrInvalidRecord)
		}
		if r.Deleted && r.Vector != nil && len(r.Vector) != dim {
			return nil, fmt.Errorf("record %d (key %q): tombstone vector has %d dimensions, want %d or none: %w", i, r.Key, len(r.Vector), dim, ErrInvalidRecord)
		}
		keyLen += len(r.Key)
		metaLen += len(r.Metadata)
		if keyLen > math.MaxInt32 || metaLen > math.MaxInt32 {
			return nil, fmt.Errorf("segment too large for 32-bit offsets: %w", ErrInvalidRecord)
		}
	}
	keys := make([]byte, 0, keyLen)
	metaOff := make([]int32, n+1)
	metas := make([]byte, 0, metaLen)
	metaValid := make([]byte, bitmapBytes(n))
	delBits := make([]byte, bitmapBytes(n))
	vecs := make([]float32, n*dim)
	seqs := make([]uint64, n)
	norms := make([]float32, n)
	metaNulls := 0
	for i, r := range recs {
		keys = append(keys, r.Key...)
		keyOff[i+1] = int32(len(keys))
		if r.Metadata != nil {
			metas = append(metas, r.Metadata...)
			metaValid[i/8] |= 1 << (i % 8)
		} else {
			metaNulls++
		}
		metaOff[i+1] = int32(len(metas))
		if r.Deleted {
			delBits[i/8] |= 1 << (i % 8)
		}
		if r.Vector != nil {
			copy(vecs[i*dim:(i+1)*dim], r.Vector)
			norms[i] = Norm(r.Vector)
		}
		seqs[i] = r.Seq
	}
	if metaNulls == 0 {
		metaValid = nil
	}
	schema := segmentSchema(dim, metric)
	cols := []arrow.ArrayData{
		array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, bufOf(keyOff), memory.NewBufferBytes(keys)}, nil, 0, 0),
		vectorData(dim, n, vecs),
		array.NewData(arrow.PrimitiveTypes.Uint64, n, []*memory.Buffer{nil, bufOf(seqs)}, nil, 0, 0),
		array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{bufOrNil(metaValid), bufOf(metaOff), memory.NewBufferBytes(metas)}, nil, metaNulls, 0),
		array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{nil, memory.NewBufferBytes(delBits)}, nil, 0, 0),
		array.NewData(arrow.PrimitiveTypes.Float32, n, []*memory.Buffer{nil, bufOf(norms)}, nil, 0, 0),
	}
	return writeFile(schema, cols, n)
}

func checkHeader(dim int, metric Metric) error {
	if dim < 1 || dim > MaxDim {
		return fmt.Errorf("dimension %d outside 1..%d: %w", dim, MaxDim, ErrInvalidRecord)
	}
	if !metric.Valid() {
		return fmt.Errorf("metric %v: %w", metric, ErrUnknownMetric)
	}
	return nil
}

func schemaMeta(kind string, dim int, metric Metric) *arrow.Metadata {
	md := arrow.NewMetadata(
		[]string{metaFormat, metaKind, metaDim, metaMetric},
		[]string{strconv.Itoa(int(CurrentFormat)), kind, strconv.Itoa(dim), metric.String()},
	)
	return &md
}

func vectorType(dim int) arrow.DataType {
	return arrow.FixedSizeListOfNonNullable(int32(dim), arrow.PrimitiveTypes.Float32)
}

func segmentSchema(dim int, metric Metric) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.BinaryTypes.String},
		{Name: "vector", Type: vectorType(dim)},
		{Name: "seq", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "metadata", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "deleted", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "norm", Type: arrow.PrimitiveTypes.Float32},
	}, schemaMeta(kindSegment, dim, metric))
}

func vectorData(dim, n int, flat []float32) arrow.ArrayData {
	child := array.NewData(arrow.PrimitiveTypes.Float32, n*dim, []*memory.Buffer{nil, bufOf(flat)}, nil, 0, 0)
	return array.NewData(vectorType(dim), n, []*memory.Buffer{nil}, []arrow.ArrayData{child}, 0, 0)
}

func writeFile(schema *arrow.Schema, cols []arrow.ArrayData, n int) ([]byte, error) {
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		arrs[i] = array.MakeFromData(c)
	}
	rec := array.NewRecordBatch(schema, arrs, int64(n))
	// Sized up front: growing a multi-megabyte buffer by doubling copied and
	// cleared it several times (a third of the CPU of a 784-d WAL batch).
	size := 4096
	for _, c := range cols {
		size += dataBytes(c)
	}
	var buf bytes.Buffer
	buf.Grow(size)
	w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(schema), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, fmt.Errorf("arrow writer: %w", err)
	}
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("arrow write: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("arrow close: %w", err)
	}
	return buf.Bytes(), nil
}

// dataBytes bounds the size d's buffers and its children's take in an IPC
// file: each rounded up to 64 bytes (the format pads to at most that).
func dataBytes(d arrow.ArrayData) int {
	n := 0
	for _, b := range d.Buffers() {
		if b != nil {
			n += (b.Len() + 63) &^ 63
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	return n
}

func bitmapBytes(n int) int { return (n + 7) / 8 }

func bufOrNil(b []byte) *memory.Buffer {
	if b == nil {
		return nil
	}
	return memory.NewBufferBytes(b)
}

// bufOf views a numeric slice as an Arrow buffer without copying.
func bufOf[T int32 | uint64 | float32](s []T) *memory.Buffer {
	if len(s) == 0 {
		return memory.NewBufferBytes(nil)
	}
	var z T
	return memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z))))
}
