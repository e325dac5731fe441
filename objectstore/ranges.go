package objectstore

import "fmt"

// ResolveRange turns GetRange's (offset, length) into the half-open byte
// interval [start, end) of an object of size bytes, following the contract of
// Store.GetRange: length < 0 reads to the end, a range past the end is
// truncated, and an offset past the end is ErrInvalidRange. Backends share it
// so they agree on every edge case.
func ResolveRange(size, offset, length int64) (start, end int64, err error) {
	switch {
	case offset < 0:
		return 0, 0, fmt.Errorf("range offset %d: %w", offset, ErrInvalidRange)
	case offset > size, offset == size && size > 0 && length != 0:
		return 0, 0, fmt.Errorf("range offset %d of a %d-byte object: %w", offset, size, ErrInvalidRange)
	}
	if length < 0 || length > size-offset {
		return offset, size, nil
	}
	return offset, offset + length, nil
}
