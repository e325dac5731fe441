package s3

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// User metadata keys (sent as x-amz-meta-<key>).
const (
	metaCRC    = "vb-crc32c" // 8 hex digits: CRC32C of the whole object
	metaSize   = "vb-size"   // decimal size in bytes
	metaBlocks = "vb-blocks" // "<log2 block size>:<base64 of big-endian CRC32C per block>"
)

const (
	minBlockShift = 16 // 64 KiB
	maxBlocks     = 256
)

// sums are the checksums stored with one object.
type sums struct {
	size  int64
	crc   uint32
	shift uint     // block size is 1<<shift
	block []uint32 // CRC32C of each block; nil when the object is one block
}

func blockShift(size int64) uint {
	shift := uint(minBlockShift)
	for size > int64(maxBlocks)<<shift {
		shift++
	}
	return shift
}

func computeSums(data []byte) sums {
	s := sums{size: int64(len(data)), crc: objectstore.Checksum(data), shift: blockShift(int64(len(data)))}
	bs := 1 << s.shift
	if len(data) > bs {
		s.block = make([]uint32, 0, (len(data)+bs-1)/bs)
		for off := 0; off < len(data); off += bs {
			s.block = append(s.block, objectstore.Checksum(data[off:min(off+bs, len(data))]))
		}
	}
	return s
}

func (s sums) metadata() map[string]string {
	m := map[string]string{
		metaCRC:  fmt.Sprintf("%08x", s.crc),
		metaSize: strconv.FormatInt(s.size, 10),
	}
	if s.block != nil {
		raw := make([]byte, 4*len(s.block))
		for i, c := range s.block {
			binary.BigEndian.PutUint32(raw[4*i:], c)
		}
		m[metaBlocks] = strconv.Itoa(int(s.shift)) + ":" + base64.StdEncoding.EncodeToString(raw)
	}
	return m
}

// crcBase64 is the whole-object CRC32C as S3's x-amz-checksum-crc32c wants it.
func (s sums) crcBase64() string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], s.crc)
	return base64.StdEncoding.EncodeToString(b[:])
}

// blockSize is the verification granularity of the object.
func (s sums) blockSize() int64 {
	if s.block == nil {
		return max(s.size, 1)
	}
	return 1 << s.shift
}

// parseSums reads the checksum metadata. Missing or malformed metadata is
// ErrCorrupt: the object was not written by this store, and its bytes cannot
// be verified.
func parseSums(meta map[string]string) (sums, error) {
	get := func(k string) (string, bool) {
		if v, ok := meta[k]; ok {
			return v, true
		}
		for mk, v := range meta { // servers differ in the case they return
			if strings.EqualFold(mk, k) {
				return v, true
			}
		}
		return "", false
	}
	bad := func(why string) (sums, error) {
		return sums{}, fmt.Errorf("checksum metadata: %s: %w", why, objectstore.ErrCorrupt)
	}
	crcText, ok := get(metaCRC)
	if !ok {
		return bad("missing x-amz-meta-" + metaCRC)
	}
	raw, err := hex.DecodeString(crcText)
	if err != nil || len(raw) != 4 {
		return bad("malformed " + metaCRC)
	}
	sizeText, ok := get(metaSize)
	if !ok {
		return bad("missing x-amz-meta-" + metaSize)
	}
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 {
		return bad("malformed " + metaSize)
	}
	s := sums{size: size, crc: binary.BigEndian.Uint32(raw), shift: blockShift(size)}
	bs := int64(1) << s.shift
	blocksText, ok := get(metaBlocks)
	if size <= bs {
		if ok {
			return bad("block checksums on a one-block object")
		}
		return s, nil
	}
	if !ok {
		return bad("missing x-amz-meta-" + metaBlocks)
	}
	shiftText, b64, found := strings.Cut(blocksText, ":")
	if !found || shiftText != strconv.Itoa(int(s.shift)) {
		return bad("block size does not match object size")
	}
	rawBlocks, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || int64(len(rawBlocks)) != 4*((size+bs-1)/bs) {
		return bad("malformed block checksums")
	}
	s.block = make([]uint32, len(rawBlocks)/4)
	for i := range s.block {
		s.block[i] = binary.BigEndian.Uint32(rawBlocks[4*i:])
	}
	return s, nil
}

// verify checks data, the bytes of the object at [off, off+len(data)), where
// off is block-aligned and data ends on a block boundary or at the end of
// the object.
func (s sums) verify(off int64, data []byte) error {
	if off == 0 && int64(len(data)) == s.size {
		if objectstore.Checksum(data) != s.crc {
			return fmt.Errorf("CRC32C mismatch: %w", objectstore.ErrCorrupt)
		}
		return nil
	}
	if s.block == nil {
		return fmt.Errorf("partial read of a one-block object cannot be verified: %w", objectstore.ErrCorrupt)
	}
	bs := int64(1) << s.shift
	if off%bs != 0 || (off+int64(len(data)) != s.size && (off+int64(len(data)))%bs != 0) {
		return fmt.Errorf("range [%d, %d) is not block-aligned: %w", off, off+int64(len(data)), objectstore.ErrCorrupt)
	}
	for p := int64(0); p < int64(len(data)); p += bs {
		i := (off + p) / bs
		if objectstore.Checksum(data[p:min(p+bs, int64(len(data)))]) != s.block[i] {
			return fmt.Errorf("CRC32C mismatch in block %d: %w", i, objectstore.ErrCorrupt)
		}
	}
	return nil
}
