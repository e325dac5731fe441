package neighborhoods

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
)

// The helpers below turn Arrow array data into Go slices over the same memory, checking every
// length, offset and alignment first so that corrupt input becomes ErrCorrupt, not a panic.

func bufferBytes(d arrow.ArrayData, i int) []byte {
	bufs := d.Buffers()
	if i >= len(bufs) || bufs[i] == nil {
		return nil
	}
	return bufs[i].Bytes()
}

// viewAs views b[off*size : (off+n)*size] as []T, checking bounds and alignment.
func viewAs[T int32 | uint64 | float32](b []byte, off, n int) ([]T, error) {
	var z T
	size := int(unsafe.Sizeof(z))
	if off < 0 || n < 0 || off > len(b)/size || n > len(b)/size-off {
		return nil, fmt.Errorf("buffer of %d bytes too short for %d values at %d: %w", len(b), n, off, ErrCorrupt)
	}
	if n == 0 {
		return []T{}, nil
	}
	p := unsafe.Pointer(&b[off*size])
	if uintptr(p)%uintptr(size) != 0 {
		return nil, fmt.Errorf("misaligned buffer: %w", ErrCorrupt)
	}
	return unsafe.Slice((*T)(p), n), nil
}

func checkLen(d arrow.ArrayData, n int) error {
	if d.Len() != n || d.Offset() < 0 {
		return fmt.Errorf("length %d (offset %d), want %d: %w", d.Len(), d.Offset(), n, ErrCorrupt)
	}
	return nil
}

func noNulls(d arrow.ArrayData) error {
	if d.NullN() != 0 {
		return fmt.Errorf("%d nulls in a non-nullable column: %w", d.NullN(), ErrCorrupt)
	}
	return nil
}

func fixedColumn[T int32 | uint64 | float32](d arrow.ArrayData, n int) ([]T, error) {
	if err := checkLen(d, n); err != nil {
		return nil, err
	}
	if err := noNulls(d); err != nil {
		return nil, err
	}
	return viewAs[T](bufferBytes(d, 1), d.Offset(), n)
}

func bitmapOf(b []byte, off, n int) (bitmap, error) {
	if off < 0 || n < 0 || (off+n+7)/8 > len(b) {
		return bitmap{}, fmt.Errorf("bitmap of %d bytes too short for %d bits at %d: %w", len(b), n, off, ErrCorrupt)
	}
	return bitmap{b: b, off: off}, nil
}

func boolColumn(d arrow.ArrayData, n int) (bitmap, error) {
	if err := checkLen(d, n); err != nil {
		return bitmap{}, err
	}
	if err := noNulls(d); err != nil {
		return bitmap{}, err
	}
	return bitmapOf(bufferBytes(d, 1), d.Offset(), n)
}

// stringColumn returns the offsets (n+1 of them), the value bytes and, for a nullable column
// with nulls, the validity bitmap.
func stringColumn(d arrow.ArrayData, n int, nullable bool) ([]int32, []byte, bitmap, error) {
	var valid bitmap
	if err := checkLen(d, n); err != nil {
		return nil, nil, valid, err
	}
	if d.NullN() != 0 {
		if !nullable || d.NullN() < 0 || d.NullN() > n {
			return nil, nil, valid, fmt.Errorf("%d nulls: %w", d.NullN(), ErrCorrupt)
		}
		var err error
		if valid, err = bitmapOf(bufferBytes(d, 0), d.Offset(), n); err != nil {
			return nil, nil, valid, err
		}
	}
	offs, err := viewAs[int32](bufferBytes(d, 1), d.Offset(), n+1)
	if err != nil {
		return nil, nil, valid, err
	}
	data := bufferBytes(d, 2)
	if n >= 0 && len(offs) > 0 {
		if offs[0] < 0 {
			return nil, nil, valid, fmt.Errorf("negative offset: %w", ErrCorrupt)
		}
		for i := 1; i < len(offs); i++ {
			if offs[i] < offs[i-1] {
				return nil, nil, valid, fmt.Errorf("offsets decrease at row %d: %w", i, ErrCorrupt)
			}
		}
		if int(offs[n]) > len(data) {
			return nil, nil, valid, fmt.Errorf("offset %d beyond %d value bytes: %w", offs[n], len(data), ErrCorrupt)
		}
	}
	return offs, data, valid, nil
}

// vectorColumn returns the flat float32 values of a non-null FixedSizeList<float32>[dim] column.
func vectorColumn(d arrow.ArrayData, n, dim int) ([]float32, error) {
	if err := checkLen(d, n); err != nil {
		return nil, err
	}
	if err := noNulls(d); err != nil {
		return nil, err
	}
	ch := d.Children()
	if len(ch) != 1 {
		return nil, fmt.Errorf("%d children, want 1: %w", len(ch), ErrCorrupt)
	}
	c := ch[0]
	if c.NullN() != 0 {
		return nil, fmt.Errorf("null vector elements: %w", ErrCorrupt)
	}
	if c.Offset() < 0 || c.Len() < (d.Offset()+n)*dim {
		return nil, fmt.Errorf("%d vector values for %d rows of %d: %w", c.Len(), n, dim, ErrCorrupt)
	}
	return viewAs[float32](bufferBytes(c, 1), c.Offset()+d.Offset()*dim, n*dim)
}
