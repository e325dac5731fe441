package local

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

var update = flag.Bool("update", false, "rewrite the golden object files in testdata")

// goldenData is the content of the golden objects: deterministic and
// spanning two 16 KiB blocks.
func goldenData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>8)
	}
	return b
}

func encodeObject(data []byte, writeID uint64, mod time.Time) []byte {
	hdr, _ := encodeHeader(data, writeID, mod)
	return append(hdr, data...)
}

// TestGoldenV1 pins format version 1: files written by this version must
// stay readable forever, and encoding must not drift silently.
func TestGoldenV1(t *testing.T) {
	mod := time.Unix(1_700_000_000, 123_456_789)
	tests := []struct {
		file string
		data []byte
	}{
		{"object-v1-20000.bin", goldenData(20_000)},
		{"object-v1-empty.bin", nil},
	}
	for _, tt := range tests {
		path := filepath.Join("testdata", tt.file)
		enc := encodeObject(tt.data, 0x0123456789abcdef, mod)
		if *update {
			if err := os.WriteFile(path, enc, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(enc, golden) {
			t.Errorf("%s: encoding differs from the golden file; a format change needs a new version", tt.file)
		}
		h, data, err := decodeObject(golden)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if !bytes.Equal(data, tt.data) || !h.mod.Equal(mod) || h.writeID != 0x0123456789abcdef {
			t.Errorf("%s: decoded %d bytes, mod %v, write id %x", tt.file, len(data), h.mod, h.writeID)
		}
		if want := objectstore.Checksum(tt.data); h.crc != want || h.etag()[:8] != string(hexCRC(want)) {
			t.Errorf("%s: crc %08x etag %s, want crc %08x", tt.file, h.crc, h.etag(), want)
		}
	}
}

func hexCRC(c uint32) []byte {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[c&15]
		c >>= 4
	}
	return b
}

// FuzzDecodeObject: any byte string either decodes to data matching its
// checksum, or fails with ErrCorrupt; it never panics.
func FuzzDecodeObject(f *testing.F) {
	mod := time.Unix(1_700_000_000, 0)
	for _, n := range []int{0, 1, 100, 16 << 10, 20_000} {
		obj := encodeObject(goldenData(n), uint64(n), mod)
		f.Add(obj)
		f.Add(obj[:len(obj)-1])
		bad := bytes.Clone(obj)
		bad[len(bad)/2] ^= 1
		f.Add(bad)
	}
	f.Add([]byte{})
	f.Add([]byte("VBO\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, data, err := decodeObject(b)
		if err != nil {
			if !errors.Is(err, objectstore.ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if int64(len(data)) != h.size || objectstore.Checksum(data) != h.crc {
			t.Fatalf("decoded %d bytes (header says %d) with a wrong checksum", len(data), h.size)
		}
	})
}
