package neighborhoods

import (
	"fmt"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// Segment is a decoded segment object: a read-only view over the bytes given to DecodeSegment.
// Keys, vectors, metadata and the other columns are slices into those bytes (no copies), so the
// caller must not modify the bytes while the Segment is in use. A Segment is safe for concurrent
// reads.
type Segment struct {
	version FormatVersion
	dim     int
	metric  Metric
	n       int

	keyOff  []int32
	keyData []byte
	vecs    []float32
	seqs    []uint64
	metaOff []int32
	meta    []byte
	metaOK  bitmap // nil when no row is null
	deleted bitmap
	norms   []float32

	hasDeleted bool
}

// bitmap is an Arrow validity/boolean bitmap starting at bit off.
type bitmap struct {
	b   []byte
	off int
}

func (m bitmap) get(i int) bool {
	j := m.off + i
	return m.b[j>>3]&(1<<(j&7)) != 0
}

// Len is the number of rows.
func (s *Segment) Len() int { return s.n }

// Dim is the vector dimension.
func (s *Segment) Dim() int { return s.dim }

// Metric is the metric recorded in the object.
func (s *Segment) Metric() Metric { return s.metric }

// Version is the format version the object was written with.
func (s *Segment) Version() FormatVersion { return s.version }

// Key returns row i's key. The string shares memory with the decoded bytes.
func (s *Segment) Key(i int) string {
	b := s.KeyBytes(i)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// KeyBytes returns row i's key as a slice into the decoded bytes.
func (s *Segment) KeyBytes(i int) []byte { return s.keyData[s.keyOff[i]:s.keyOff[i+1]] }

// Vector returns row i's vector, a slice into the decoded bytes (zeros for a tombstone).
func (s *Segment) Vector(i int) []float32 { return s.vecs[i*s.dim : (i+1)*s.dim : (i+1)*s.dim] }

// Vectors returns all vectors, row-major (Len()*Dim() values), a slice into the decoded bytes.
func (s *Segment) Vectors() []float32 { return s.vecs }

// Seq returns the sequence number of the write that put row i.
func (s *Segment) Seq(i int) uint64 { return s.seqs[i] }

// Metadata returns row i's metadata JSON as a slice into the decoded bytes, or nil for none.
func (s *Segment) Metadata(i int) []byte {
	if s.metaOK.b != nil && !s.metaOK.get(i) {
		return nil
	}
	return s.meta[s.metaOff[i]:s.metaOff[i+1]:s.metaOff[i+1]]
}

// Deleted reports whether row i is a tombstone (WAL objects only).
func (s *Segment) Deleted(i int) bool { return s.deleted.get(i) }

// anyDeleted reports whether any row is a tombstone (cached at decode).
func (s *Segment) anyDeleted() bool { return s.hasDeleted }

// Norm returns ‖Vector(i)‖, stored at encode time.
func (s *Segment) Norm(i int) float32 { return s.norms[i] }

// Norms returns the norm column, a slice into the decoded bytes.
func (s *Segment) Norms() []float32 { return s.norms }

// Record returns a copy of row i that does not share memory with the decoded bytes.
func (s *Segment) Record(i int) Record {
	r := Record{Key: string(s.KeyBytes(i)), Seq: s.seqs[i], Deleted: s.Deleted(i)}
	if !r.Deleted {
		r.Vector = append([]float32(nil), s.Vector(i)...)
	}
	if m := s.Metadata(i); m != nil {
		r.Metadata = append([]byte{}, m...)
	}
	return r
}

// DecodeSegment decodes a segment object without copying its columns (when data is 8-byte
// aligned, as every Go heap allocation and mmap is; otherwise it copies data once). Invalid,
// truncated or foreign bytes return an error wrapping ErrCorrupt, and a newer format an error
// wrapping ErrUnknownVersion; it never panics.
func DecodeSegment(data []byte) (seg *Segment, err error) {
	f, err := openFile(data, kindSegment, segmentSchema)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			seg, err = nil, fmt.Errorf("decode segment: %v: %w", r, ErrCorrupt)
		}
	}()
	defer f.rec.Release()
	n := int(f.rec.NumRows())
	s := &Segment{version: f.version, dim: f.dim, metric: f.metric, n: n}
	cols := f.rec.Columns()
	if s.keyOff, s.keyData, _, err = stringColumn(cols[0].Data(), n, false); err != nil {
		return nil, fmt.Errorf("key column: %w", err)
	}
	if s.vecs, err = vectorColumn(cols[1].Data(), n, f.dim); err != nil {
		return nil, fmt.Errorf("vector column: %w", err)
	}
	if s.seqs, err = fixedColumn[uint64](cols[2].Data(), n); err != nil {
		return nil, fmt.Errorf("seq column: %w", err)
	}
	if s.metaOff, s.meta, s.metaOK, err = stringColumn(cols[3].Data(), n, true); err != nil {
		return nil, fmt.Errorf("metadata column: %w", err)
	}
	if s.deleted, err = boolColumn(cols[4].Data(), n); err != nil {
		return nil, fmt.Errorf("deleted column: %w", err)
	}
	if s.norms, err = fixedColumn[float32](cols[5].Data(), n); err != nil {
		return nil, fmt.Errorf("norm column: %w", err)
	}
	for i := 0; i < n; i++ {
		if s.deleted.get(i) {
			s.hasDeleted = true
			break
		}
	}
	return s, nil
}

// file is an opened object: the header fields and its single record batch.
type file struct {
	md      arrow.Metadata
	version FormatVersion
	dim     int
	metric  Metric
	rec     arrow.RecordBatch
}

func openFile(data []byte, kind string, schemaFor func(dim int, m Metric) *arrow.Schema) (f *file, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("decode %s: %v: %w", kind, r, ErrCorrupt)
		}
	}()
	if len(data) > 0 && uintptr(unsafe.Pointer(&data[0]))%8 != 0 {
		data = append(make([]byte, 0, len(data)+8), data...)
	}
	if err := preflight(data); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	rd, err := ipc.NewMappedFileReader(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %v: %w", kind, err, ErrCorrupt)
	}
	defer rd.Close()
	md := rd.Schema().Metadata()
	get := func(k string) string {
		if i := md.FindKey(k); i >= 0 {
			return md.Values()[i]
		}
		return ""
	}
	v, err := strconv.ParseUint(get(metaFormat), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("decode %s: format version %q: %w", kind, get(metaFormat), ErrCorrupt)
	}
	f = &file{md: md, version: FormatVersion(v)}
	if f.version <= formatVersionInvalid || f.version >= formatVersionNext {
		return nil, fmt.Errorf("decode %s: version %d (this build reads 1..%d): %w", kind, v, formatVersionNext-1, ErrUnknownVersion)
	}
	if k := get(metaKind); k != kind {
		return nil, fmt.Errorf("decode %s: object kind is %q: %w", kind, k, ErrCorrupt)
	}
	if f.dim, err = strconv.Atoi(get(metaDim)); err != nil || f.dim < 1 || f.dim > MaxDim {
		return nil, fmt.Errorf("decode %s: dimension %q: %w", kind, get(metaDim), ErrCorrupt)
	}
	if f.metric, err = ParseMetric(get(metaMetric)); err != nil {
		return nil, fmt.Errorf("decode %s: %v: %w", kind, err, ErrCorrupt)
	}
	if rd.NumRecords() != 1 {
		return nil, fmt.Errorf("decode %s: %d record batches, want 1: %w", kind, rd.NumRecords(), ErrCorrupt)
	}
	if err := checkFields(rd.Schema(), schemaFor(f.dim, f.metric)); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	rec, err := rd.RecordBatchAt(0)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %v: %w", kind, err, ErrCorrupt)
	}
	// The columns are views into data (mapped reader, no compression): the slices taken from
	// them stay valid after the caller releases the batch.
	f.rec = rec
	return f, nil
}

func checkFields(got, want *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("schema has %d fields, want %d: %w", got.NumFields(), want.NumFields(), ErrCorrupt)
	}
	for i, w := range want.Fields() {
		g := got.Field(i)
		if g.Name != w.Name || g.Nullable != w.Nullable || !arrow.TypeEqual(g.Type, w.Type) {
			return fmt.Errorf("field %d is %s, want %s: %w", i, g, w, ErrCorrupt)
		}
	}
	return nil
}
