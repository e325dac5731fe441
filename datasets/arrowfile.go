package datasets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// VectorColumns names the columns of a table of vectors. Empty names pick the defaults.
type VectorColumns struct {
	// Vector is the vector column: a FixedSizeList or List of float32 or float64. Default:
	// "vector" if present, else the first such column.
	Vector string
	// Key is an optional key column (strings or integers). Default: "key" if present.
	Key string
}

// VectorTable is the vectors (and keys) read from an Arrow file (or, through package
// datasets/parquetfile, a Parquet file).
type VectorTable struct {
	Dim     int
	N       int
	Vectors []float32 // N*Dim values, row-major
	Keys    []string  // N keys, nil when the file has no key column
}

// Vec returns vector i (not a copy).
func (t *VectorTable) Vec(i int) []float32 { return t.Vectors[i*t.Dim : (i+1)*t.Dim : (i+1)*t.Dim] }

// ReadArrowFile reads a table of vectors from an Arrow IPC file (file or stream format).
// Corrupt or truncated files give an error wrapping ErrFormat.
func ReadArrowFile(path string, cols VectorColumns) (t *VectorTable, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read arrow: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("read arrow %s: %w: %v", path, ErrFormat, r)
		}
	}()
	t, err = readArrowBytes(b, cols)
	if err != nil {
		return nil, fmt.Errorf("read arrow %s: %w", path, err)
	}
	return t, nil
}

func readArrowBytes(b []byte, cols VectorColumns) (*VectorTable, error) {
	mem := memory.NewGoAllocator()
	var schema *arrow.Schema
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if bytes.HasPrefix(b, []byte("ARROW1")) {
		fr, err := ipc.NewFileReader(bytes.NewReader(b), ipc.WithAllocator(mem))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		defer fr.Close()
		schema = fr.Schema()
		for i := range fr.NumRecords() {
			r, err := fr.RecordBatch(i)
			if err != nil {
				return nil, fmt.Errorf("%w: record batch %d: %v", ErrFormat, i, err)
			}
			r.Retain()
			recs = append(recs, r)
		}
	} else {
		if err := checkStreamPrefix(b); err != nil {
			return nil, err
		}
		sr, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		defer sr.Release()
		schema = sr.Schema()
		for sr.Next() {
			r := sr.RecordBatch()
			r.Retain()
			recs = append(recs, r)
		}
		if err := sr.Err(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
	}
	vi, ki, err := pickColumns(schema, cols)
	if err != nil {
		return nil, err
	}
	t := &VectorTable{}
	for _, r := range recs {
		if err := t.appendVectors(r.Column(vi)); err != nil {
			return nil, err
		}
		if ki >= 0 {
			if err := t.appendKeys(r.Column(ki)); err != nil {
				return nil, err
			}
		}
	}
	return t, t.check(ki >= 0)
}

// checkStreamPrefix rejects an IPC stream whose first message announces more bytes than
// the input holds, before the reader allocates them.
func checkStreamPrefix(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("%w: %d bytes is too short for an Arrow stream", ErrFormat, len(b))
	}
	n, rest := int64(int32(binary.LittleEndian.Uint32(b))), int64(len(b)-4)
	if n == -1 { // continuation marker, then the length
		n, rest = int64(int32(binary.LittleEndian.Uint32(b[4:]))), int64(len(b)-8)
	}
	if n <= 0 || n > rest {
		return fmt.Errorf("%w: not an Arrow IPC file or stream (first message %d bytes, %d left)", ErrFormat, n, rest)
	}
	return nil
}

// TableFromArrow reads a table of vectors from an Arrow table (as a Parquet reader returns
// it): the vector column and the optional key column named by cols, over every chunk.
// Bad columns or values give an error wrapping ErrFormat.
func TableFromArrow(tbl arrow.Table, cols VectorColumns) (*VectorTable, error) {
	vi, ki, err := pickColumns(tbl.Schema(), cols)
	if err != nil {
		return nil, err
	}
	t := &VectorTable{}
	for _, c := range tbl.Column(vi).Data().Chunks() {
		if err := t.appendVectors(c); err != nil {
			return nil, err
		}
	}
	if ki >= 0 {
		for _, c := range tbl.Column(ki).Data().Chunks() {
			if err := t.appendKeys(c); err != nil {
				return nil, err
			}
		}
	}
	if err := t.check(ki >= 0); err != nil {
		return nil, err
	}
	return t, nil
}

func isVectorType(dt arrow.DataType) bool {
	var elem arrow.DataType
	switch lt := dt.(type) {
	case *arrow.FixedSizeListType:
		elem = lt.Elem()
	case *arrow.ListType:
		elem = lt.Elem()
	case *arrow.LargeListType:
		elem = lt.Elem()
	default:
		return false
	}
	return elem.ID() == arrow.FLOAT32 || elem.ID() == arrow.FLOAT64
}

// pickColumns returns the indexes of the vector and key columns (-1: no key column).
func pickColumns(s *arrow.Schema, cols VectorColumns) (vi, ki int, err error) {
	vi, ki = -1, -1
	if cols.Vector != "" {
		idx := s.FieldIndices(cols.Vector)
		if len(idx) == 0 {
			return 0, 0, fmt.Errorf("%w: no column %q", ErrFormat, cols.Vector)
		}
		vi = idx[0]
	} else if idx := s.FieldIndices("vector"); len(idx) > 0 {
		vi = idx[0]
	} else {
		for i, f := range s.Fields() {
			if isVectorType(f.Type) {
				vi = i
				break
			}
		}
	}
	if vi < 0 || !isVectorType(s.Field(vi).Type) {
		return 0, 0, fmt.Errorf("%w: no list-of-float vector column in %v", ErrFormat, s)
	}
	if cols.Key != "" {
		idx := s.FieldIndices(cols.Key)
		if len(idx) == 0 {
			return 0, 0, fmt.Errorf("%w: no column %q", ErrFormat, cols.Key)
		}
		ki = idx[0]
	} else if idx := s.FieldIndices("key"); len(idx) > 0 {
		ki = idx[0]
	}
	return vi, ki, nil
}

func (t *VectorTable) appendVectors(col arrow.Array) error {
	var values arrow.Array
	var bounds func(i int) (int64, int64)
	switch a := col.(type) {
	case *array.FixedSizeList:
		n := int64(a.DataType().(*arrow.FixedSizeListType).Len())
		values = a.ListValues()
		off := int64(a.Offset())
		bounds = func(i int) (int64, int64) { return (off + int64(i)) * n, (off + int64(i) + 1) * n }
	case *array.List:
		values, bounds = a.ListValues(), a.ValueOffsets
	case *array.LargeList:
		values, bounds = a.ListValues(), a.ValueOffsets
	default:
		return fmt.Errorf("%w: vector column of type %s", ErrFormat, col.DataType())
	}
	var get func(j int64) float32
	switch v := values.(type) {
	case *array.Float32:
		get = func(j int64) float32 { return v.Value(int(j)) }
	case *array.Float64:
		get = func(j int64) float32 { return float32(v.Value(int(j))) }
	default:
		return fmt.Errorf("%w: vector values of type %s", ErrFormat, values.DataType())
	}
	for i := range col.Len() {
		if col.IsNull(i) {
			return fmt.Errorf("%w: vector %d is null", ErrFormat, t.N)
		}
		s, e := bounds(i)
		if s < 0 || e < s || e > int64(values.Len()) {
			return fmt.Errorf("%w: vector %d: offsets %d..%d outside %d values", ErrFormat, t.N, s, e, values.Len())
		}
		if t.N == 0 && t.Dim == 0 {
			t.Dim = int(e - s)
			if t.Dim == 0 {
				return fmt.Errorf("%w: vector 0 is empty", ErrFormat)
			}
		}
		if int(e-s) != t.Dim {
			return fmt.Errorf("%w: vector %d has %d values, earlier vectors %d", ErrFormat, t.N, e-s, t.Dim)
		}
		for j := s; j < e; j++ {
			if values.IsNull(int(j)) {
				return fmt.Errorf("%w: vector %d has a null value", ErrFormat, t.N)
			}
			t.Vectors = append(t.Vectors, get(j))
		}
		t.N++
	}
	return nil
}

func (t *VectorTable) appendKeys(col arrow.Array) error {
	for i := range col.Len() {
		if col.IsNull(i) {
			return fmt.Errorf("%w: key %d is null", ErrFormat, len(t.Keys))
		}
		switch a := col.(type) {
		case *array.String:
			t.Keys = append(t.Keys, a.Value(i))
		case *array.LargeString:
			t.Keys = append(t.Keys, a.Value(i))
		case *array.Int64:
			t.Keys = append(t.Keys, strconv.FormatInt(a.Value(i), 10))
		case *array.Int32:
			t.Keys = append(t.Keys, strconv.FormatInt(int64(a.Value(i)), 10))
		case *array.Uint64:
			t.Keys = append(t.Keys, strconv.FormatUint(a.Value(i), 10))
		default:
			return fmt.Errorf("%w: key column of type %s", ErrFormat, col.DataType())
		}
	}
	return nil
}

func (t *VectorTable) check(keys bool) error {
	if t.N == 0 {
		return fmt.Errorf("%w: no vectors", ErrFormat)
	}
	if len(t.Vectors) != t.N*t.Dim || (keys && len(t.Keys) != t.N) {
		return fmt.Errorf("%w: %d vectors, %d values, %d keys", ErrFormat, t.N, len(t.Vectors), len(t.Keys))
	}
	return nil
}

// Record builds one record batch of t: "key" utf8 (when t has keys) and "vector"
// FixedSizeList<float32>. The caller releases it.
func (t *VectorTable) Record(mem memory.Allocator) arrow.RecordBatch {
	fields := []arrow.Field{{Name: "vector", Type: arrow.FixedSizeListOf(int32(t.Dim), arrow.PrimitiveTypes.Float32)}}
	if t.Keys != nil {
		fields = append([]arrow.Field{{Name: "key", Type: arrow.BinaryTypes.String}}, fields...)
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	vi := 0
	if t.Keys != nil {
		b.Field(0).(*array.StringBuilder).AppendValues(t.Keys, nil)
		vi = 1
	}
	lb := b.Field(vi).(*array.FixedSizeListBuilder)
	vb := lb.ValueBuilder().(*array.Float32Builder)
	for i := range t.N {
		lb.Append(true)
		vb.AppendValues(t.Vec(i), nil)
	}
	return b.NewRecordBatch()
}

// WriteArrowFile writes t as an Arrow IPC file with a "vector" FixedSizeList<float32> column
// and, when t has keys, a "key" utf8 column.
func WriteArrowFile(path string, t *VectorTable) error {
	mem := memory.NewGoAllocator()
	rec := t.Record(mem)
	defer rec.Release()
	return WriteFileAtomic(path, func(w io.Writer) error {
		fw, err := ipc.NewFileWriter(w, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
		if err != nil {
			return err
		}
		if err := fw.Write(rec); err != nil {
			fw.Close()
			return err
		}
		return fw.Close()
	})
}
