package neighborhoods

import (
	"encoding/binary"
	"fmt"
)

// preflight checks the parts of an Arrow IPC file that arrow-go trusts before it allocates:
// the footer's schema (vector lengths, nesting, types) and the record batch message (no body
// compression, whose length prefix arrow-go would allocate blindly). A corrupt length there
// would make arrow-go request terabytes, which is a fatal error, not a recoverable panic.
// Everything arrow-go then reads is bounded by len(data). Only the shapes this package writes
// pass: no dictionaries, exactly one record batch, little-endian, a handful of plain types.
func preflight(data []byte) error {
	const magic = "ARROW1"
	if len(data) < 8+10 || string(data[:6]) != magic || string(data[len(data)-6:]) != magic {
		return fmt.Errorf("not an Arrow IPC file (%d bytes): %w", len(data), ErrCorrupt)
	}
	flen := int64(int32(binary.LittleEndian.Uint32(data[len(data)-10:])))
	start := int64(len(data)) - 10 - flen
	if flen <= 0 || start < 8 {
		return fmt.Errorf("footer length %d: %w", flen, ErrCorrupt)
	}
	fb := flatbuf(data[start : len(data)-10])
	footer, err := fb.root()
	if err != nil {
		return err
	}
	if n, err := fb.vectorLen(footer, 2, 24); err != nil || n != 0 {
		return fmt.Errorf("footer dictionaries (%d, %v): %w", n, err, ErrCorrupt)
	}
	nb, err := fb.vectorLen(footer, 3, 24)
	if err != nil || nb != 1 {
		return fmt.Errorf("footer has %d record batches (%v), want 1: %w", nb, err, ErrCorrupt)
	}
	if _, err := fb.vectorLen(footer, 4, 4); err != nil {
		return err
	}
	schema, ok, err := fb.table(footer, 1)
	if err != nil || !ok {
		return fmt.Errorf("footer schema missing (%v): %w", err, ErrCorrupt)
	}
	if e, err := fb.scalar(schema, 0, 2); err != nil || e != 0 {
		return fmt.Errorf("schema endianness %d (%v): %w", e, err, ErrCorrupt)
	}
	for _, f := range []struct{ field, elem int }{{2, 4}, {3, 8}} {
		if n, err := fb.vectorLen(schema, f.field, f.elem); err != nil || n > 64 {
			return fmt.Errorf("schema vector %d of length %d (%v): %w", f.field, n, err, ErrCorrupt)
		}
	}
	if err := fb.fields(schema, 1, 0); err != nil {
		return err
	}
	// The record batch block and its message.
	vpos, _, _ := fb.vector(footer, 3)
	blk := fb[vpos+4:]
	off := int64(binary.LittleEndian.Uint64(blk[0:]))
	metaLen := int64(int32(binary.LittleEndian.Uint32(blk[8:])))
	if off < 8 || metaLen < 8 || off+metaLen > start {
		return fmt.Errorf("record batch block at %d (+%d): %w", off, metaLen, ErrCorrupt)
	}
	msg := data[off : off+metaLen]
	skip := 4
	if binary.LittleEndian.Uint32(msg) == 0xFFFFFFFF {
		skip = 8
	}
	mb := flatbuf(msg[skip:])
	m, err := mb.root()
	if err != nil {
		return err
	}
	if ht, err := mb.scalar(m, 1, 1); err != nil || ht != 3 { // MessageHeader.RecordBatch
		return fmt.Errorf("message header type %d (%v): %w", ht, err, ErrCorrupt)
	}
	rb, ok, err := mb.table(m, 2)
	if err != nil || !ok {
		return fmt.Errorf("record batch header missing (%v): %w", err, ErrCorrupt)
	}
	if _, ok, err := mb.table(rb, 3); err != nil || ok {
		return fmt.Errorf("compressed record batch (%v): %w", err, ErrCorrupt)
	}
	for _, f := range []struct{ field, elem int }{{1, 16}, {2, 16}, {4, 8}} {
		if _, err := mb.vectorLen(rb, f.field, f.elem); err != nil {
			return err
		}
	}
	return nil
}

// flatbuf is a bounds-checked reader of FlatBuffers tables (positions are offsets into it).
type flatbuf []byte

func (b flatbuf) u32(pos int) (uint32, error) {
	if pos < 0 || pos > len(b)-4 {
		return 0, fmt.Errorf("flatbuffer offset %d outside %d bytes: %w", pos, len(b), ErrCorrupt)
	}
	return binary.LittleEndian.Uint32(b[pos:]), nil
}

func (b flatbuf) root() (int, error) {
	o, err := b.u32(0)
	if err != nil {
		return 0, err
	}
	if int64(o) > int64(len(b)-4) {
		return 0, fmt.Errorf("flatbuffer root %d outside %d bytes: %w", o, len(b), ErrCorrupt)
	}
	return int(o), nil
}

// fieldPos returns the absolute position of field i of the table at t, or 0 if absent.
func (b flatbuf) fieldPos(t, i int) (int, error) {
	so, err := b.u32(t)
	if err != nil {
		return 0, err
	}
	vt := int64(t) - int64(int32(so))
	if vt < 0 || vt > int64(len(b)-4) {
		return 0, fmt.Errorf("flatbuffer vtable %d outside %d bytes: %w", vt, len(b), ErrCorrupt)
	}
	vtSize := int(binary.LittleEndian.Uint16(b[vt:]))
	if int(vt)+vtSize > len(b) || vtSize < 4 {
		return 0, fmt.Errorf("flatbuffer vtable size %d: %w", vtSize, ErrCorrupt)
	}
	if 4+2*i+2 > vtSize {
		return 0, nil
	}
	fo := int(binary.LittleEndian.Uint16(b[int(vt)+4+2*i:]))
	if fo == 0 {
		return 0, nil
	}
	return t + fo, nil
}

func (b flatbuf) scalar(t, i, size int) (uint64, error) {
	p, err := b.fieldPos(t, i)
	if err != nil || p == 0 {
		return 0, err
	}
	if p < 0 || p > len(b)-size {
		return 0, fmt.Errorf("flatbuffer scalar at %d: %w", p, ErrCorrupt)
	}
	switch size {
	case 1:
		return uint64(b[p]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(b[p:])), nil
	}
	return uint64(binary.LittleEndian.Uint32(b[p:])), nil
}

// ref follows the uoffset stored in field i; ok is false when the field is absent.
func (b flatbuf) ref(t, i int) (pos int, ok bool, err error) {
	p, err := b.fieldPos(t, i)
	if err != nil || p == 0 {
		return 0, false, err
	}
	o, err := b.u32(p)
	if err != nil {
		return 0, false, err
	}
	target := int64(p) + int64(o)
	if target > int64(len(b)-4) {
		return 0, false, fmt.Errorf("flatbuffer reference %d outside %d bytes: %w", target, len(b), ErrCorrupt)
	}
	return int(target), true, nil
}

func (b flatbuf) table(t, i int) (int, bool, error) { return b.ref(t, i) }

func (b flatbuf) vector(t, i int) (pos, n int, err error) {
	p, ok, err := b.ref(t, i)
	if err != nil || !ok {
		return 0, 0, err
	}
	l, err := b.u32(p)
	return p, int(l), err
}

// vectorLen returns the length of vector field i (0 if absent), checking that n elements of
// elem bytes fit in the buffer.
func (b flatbuf) vectorLen(t, i, elem int) (int, error) {
	p, n, err := b.vector(t, i)
	if err != nil {
		return 0, err
	}
	if int64(n)*int64(elem) > int64(len(b)-p-4) {
		return 0, fmt.Errorf("flatbuffer vector of %d×%d bytes at %d outside %d bytes: %w", n, elem, p, len(b), ErrCorrupt)
	}
	return n, nil
}

// allowedTypes are the Arrow type ids this package writes: Int, FloatingPoint, Utf8, Bool,
// FixedSizeList.
var allowedTypes = map[uint64]bool{2: true, 3: true, 5: true, 6: true, 16: true}

// fields checks the [Field] vector in field i of table t, recursively up to depth 2.
func (b flatbuf) fields(t, i, depth int) error {
	n, err := b.vectorLen(t, i, 4)
	if err != nil {
		return err
	}
	if n > 64 || depth > 2 {
		return fmt.Errorf("schema with %d fields at depth %d: %w", n, depth, ErrCorrupt)
	}
	p, _, _ := b.vector(t, i)
	for k := 0; k < n; k++ {
		ep := p + 4 + 4*k
		o, err := b.u32(ep)
		if err != nil {
			return err
		}
		f := int64(ep) + int64(o)
		if f > int64(len(b)-4) {
			return fmt.Errorf("field table outside buffer: %w", ErrCorrupt)
		}
		ft := int(f)
		if tt, err := b.scalar(ft, 2, 1); err != nil || !allowedTypes[tt] {
			return fmt.Errorf("field type %d (%v): %w", tt, err, ErrCorrupt)
		}
		if _, ok, err := b.table(ft, 4); err != nil || ok {
			return fmt.Errorf("dictionary-encoded field (%v): %w", err, ErrCorrupt)
		}
		if n, err := b.vectorLen(ft, 6, 4); err != nil || n > 64 {
			return fmt.Errorf("field metadata of %d entries (%v): %w", n, err, ErrCorrupt)
		}
		if _, err := b.vectorLen(ft, 0, 1); err != nil {
			return err
		}
		if err := b.fields(ft, 5, depth+1); err != nil {
			return err
		}
	}
	return nil
}
