package local

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Object file format, version 1. All integers are little-endian.
//
//	offset  size  field
//	0       4     magic "VBO" followed by the format version byte (1)
//	4       4     block size B in bytes (blockSize)
//	8       8     data size N in bytes
//	16      4     CRC32C of the whole data (Attrs.CRC32C)
//	20      4     reserved, zero
//	24      8     write id: random per put, part of the ETag
//	32      8     modification time, Unix nanoseconds
//	40      4     CRC32C of the block table
//	44      4     CRC32C of bytes [0, 44)
//	48      4·K   CRC32C of each data block, K = ceil(N / B)
//	48+4K   N     data
//
// A whole-object read checks the header, table and whole-data CRCs; a ranged
// read checks the header CRC and the CRC of every block it touches, so a
// 4 KiB read of a large object reads and verifies at most two blocks. The
// file size must be exactly 48 + 4K + N.
const (
	headerSize    = 48
	formatVersion = 1
	blockSize     = 16 << 10
	// maxObjectSize bounds the size a header may claim (1 PiB), so size
	// arithmetic cannot overflow on a damaged header.
	maxObjectSize = 1 << 50
)

var magic = [4]byte{'V', 'B', 'O', formatVersion}

// header is the decoded fixed part of an object file.
type header struct {
	size     int64
	crc      uint32
	tableCRC uint32
	writeID  uint64
	mod      time.Time
	block    int64
}

func (h header) blocks() int64 { return (h.size + h.block - 1) / h.block }

// dataOffset is where the data starts in the file.
func (h header) dataOffset() int64 { return headerSize + 4*h.blocks() }

func (h header) fileSize() int64 { return h.dataOffset() + h.size }

// etag derives the ETag: the data CRC and the write id, so it changes on
// every write.
func (h header) etag() string { return fmt.Sprintf("%08x%016x", h.crc, h.writeID) }

func (h header) attrs(key string) objectstore.Attrs {
	return objectstore.Attrs{Key: key, Size: h.size, ETag: h.etag(), CRC32C: h.crc, ModTime: h.mod}
}

// encodeHeader returns the header and block table for data.
func encodeHeader(data []byte, writeID uint64, mod time.Time) ([]byte, header) {
	h := header{size: int64(len(data)), crc: objectstore.Checksum(data), writeID: writeID, mod: mod, block: blockSize}
	buf := make([]byte, h.dataOffset())
	copy(buf, magic[:])
	binary.LittleEndian.PutUint32(buf[4:], blockSize)
	binary.LittleEndian.PutUint64(buf[8:], uint64(h.size))
	binary.LittleEndian.PutUint32(buf[16:], h.crc)
	binary.LittleEndian.PutUint64(buf[24:], writeID)
	binary.LittleEndian.PutUint64(buf[32:], uint64(mod.UnixNano()))
	for i := int64(0); i < h.blocks(); i++ {
		blk := data[i*blockSize : min((i+1)*blockSize, h.size)]
		binary.LittleEndian.PutUint32(buf[headerSize+4*i:], objectstore.Checksum(blk))
	}
	h.tableCRC = objectstore.Checksum(buf[headerSize:])
	binary.LittleEndian.PutUint32(buf[40:], h.tableCRC)
	binary.LittleEndian.PutUint32(buf[44:], objectstore.Checksum(buf[:44]))
	return buf, h
}

// decodeHeader parses and verifies the fixed header in b.
func decodeHeader(b []byte) (header, error) {
	if len(b) < headerSize {
		return header{}, fmt.Errorf("short header (%d bytes): %w", len(b), objectstore.ErrCorrupt)
	}
	if got, want := objectstore.Checksum(b[:44]), binary.LittleEndian.Uint32(b[44:]); got != want {
		return header{}, fmt.Errorf("header crc32c %08x, stored %08x: %w", got, want, objectstore.ErrCorrupt)
	}
	if [4]byte(b[:4]) != magic {
		return header{}, fmt.Errorf("unknown object format %q: %w", b[:4], objectstore.ErrCorrupt)
	}
	h := header{
		block:    int64(binary.LittleEndian.Uint32(b[4:])),
		size:     int64(binary.LittleEndian.Uint64(b[8:])),
		crc:      binary.LittleEndian.Uint32(b[16:]),
		writeID:  binary.LittleEndian.Uint64(b[24:]),
		tableCRC: binary.LittleEndian.Uint32(b[40:]),
		mod:      time.Unix(0, int64(binary.LittleEndian.Uint64(b[32:]))),
	}
	if h.block <= 0 || h.size < 0 || h.size > maxObjectSize {
		return header{}, fmt.Errorf("block size %d, size %d: %w", h.block, h.size, objectstore.ErrCorrupt)
	}
	return h, nil
}

// blockCRC returns the stored CRC of block i from a buffer holding the
// table entries starting at block first.
func blockCRC(table []byte, first, i int64) uint32 {
	return binary.LittleEndian.Uint32(table[4*(i-first):])
}

// decodeObject verifies a whole object file held in buf — header, block
// table and data CRCs, and the file size — and returns its data, a
// sub-slice of buf.
func decodeObject(buf []byte) (header, []byte, error) {
	h, err := decodeHeader(buf)
	if err != nil {
		return header{}, nil, err
	}
	if h.fileSize() != int64(len(buf)) {
		return header{}, nil, fmt.Errorf("file is %d bytes, header says %d: %w", len(buf), h.fileSize(), objectstore.ErrCorrupt)
	}
	if got := objectstore.Checksum(buf[headerSize:h.dataOffset()]); got != h.tableCRC {
		return header{}, nil, fmt.Errorf("block table crc32c %08x, stored %08x: %w", got, h.tableCRC, objectstore.ErrCorrupt)
	}
	data := buf[h.dataOffset():]
	if got := objectstore.Checksum(data); got != h.crc {
		return header{}, nil, fmt.Errorf("crc32c %08x, stored %08x: %w", got, h.crc, objectstore.ErrCorrupt)
	}
	return h, data, nil
}
