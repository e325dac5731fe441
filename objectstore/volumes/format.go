package volumes

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Every copy of an object is stored in its volume's local.Store as one
// object under the same key: a fixed header followed by the payload.
//
//	offset size  field
//	0      4     magic "VBV\x01" (the last byte is the format version)
//	4      1     flags: 1 = tombstone (the object was deleted; no payload)
//	5      3     reserved, zero
//	8      8     version (uint64 LE): above every version the writer saw,
//	             and at least the wall clock in nanoseconds (ops.go nextVersion)
//	16     8     write id (uint64 LE, random): the ETag
//	24     8     modification time (int64 LE, Unix nanoseconds)
//	32     4     CRC32C of the payload (uint32 LE)
//	36     4     CRC32C of bytes 0..35 (uint32 LE)
//	40     ...   payload
//
// local.Store checksums the whole copy (header and payload) on every read;
// the header's own CRCs let a header be trusted when read alone.
const headerSize = 40

var magic = [4]byte{'V', 'B', 'V', 1}

const flagTombstone = 1

// header describes one copy.
type header struct {
	tombstone bool
	version   uint64
	writeID   uint64
	mod       time.Time
	crc       uint32
	size      int64 // payload bytes (from the copy's length)
}

func (h header) etag() string { return fmt.Sprintf("%016x", h.writeID) }

func (h header) attrs(key string) objectstore.Attrs {
	return objectstore.Attrs{Key: key, Size: h.size, ETag: h.etag(), CRC32C: h.crc, ModTime: h.mod}
}

// newer reports whether h is a newer version than o.
func (h header) newer(o header) bool {
	return h.version > o.version || (h.version == o.version && h.writeID > o.writeID)
}

// same reports whether h and o describe the same version.
func (h header) same(o header) bool { return h.version == o.version && h.writeID == o.writeID }

// encodeCopy returns the bytes of a copy of data with header h (size and
// crc are filled in).
func encodeCopy(h header, data []byte) ([]byte, header) {
	h.size = int64(len(data))
	h.crc = objectstore.Checksum(data)
	buf := make([]byte, headerSize+len(data))
	copy(buf, magic[:])
	if h.tombstone {
		buf[4] = flagTombstone
	}
	binary.LittleEndian.PutUint64(buf[8:], h.version)
	binary.LittleEndian.PutUint64(buf[16:], h.writeID)
	binary.LittleEndian.PutUint64(buf[24:], uint64(h.mod.UnixNano()))
	binary.LittleEndian.PutUint32(buf[32:], h.crc)
	binary.LittleEndian.PutUint32(buf[36:], objectstore.Checksum(buf[:36]))
	copy(buf[headerSize:], data)
	return buf, h
}

// decodeHeader parses the header at the start of b; total is the length of
// the whole copy.
func decodeHeader(b []byte, total int64) (header, error) {
	if len(b) < headerSize || total < headerSize {
		return header{}, fmt.Errorf("copy of %d bytes has no header: %w", total, objectstore.ErrCorrupt)
	}
	if [4]byte(b[:4]) != magic {
		return header{}, fmt.Errorf("copy header magic %q: %w", b[:4], objectstore.ErrCorrupt)
	}
	if got, want := objectstore.Checksum(b[:36]), binary.LittleEndian.Uint32(b[36:]); got != want {
		return header{}, fmt.Errorf("copy header crc32c %08x, stored %08x: %w", got, want, objectstore.ErrCorrupt)
	}
	h := header{
		tombstone: b[4]&flagTombstone != 0,
		version:   binary.LittleEndian.Uint64(b[8:]),
		writeID:   binary.LittleEndian.Uint64(b[16:]),
		mod:       time.Unix(0, int64(binary.LittleEndian.Uint64(b[24:]))),
		crc:       binary.LittleEndian.Uint32(b[32:]),
		size:      total - headerSize,
	}
	if h.tombstone && h.size != 0 {
		return header{}, fmt.Errorf("tombstone with %d payload bytes: %w", h.size, objectstore.ErrCorrupt)
	}
	return h, nil
}

// decodeCopy parses a whole copy and verifies the payload checksum.
func decodeCopy(b []byte) (header, []byte, error) {
	h, err := decodeHeader(b, int64(len(b)))
	if err != nil {
		return header{}, nil, err
	}
	data := b[headerSize:]
	if got := objectstore.Checksum(data); got != h.crc {
		return header{}, nil, fmt.Errorf("payload crc32c %08x, stored %08x: %w", got, h.crc, objectstore.ErrCorrupt)
	}
	return h, data, nil
}
