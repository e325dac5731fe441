package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// encodeIDX writes an unsigned-byte IDX array.
func encodeIDX(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, idxUbyte, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestReadIDXRoundTrip(t *testing.T) {
	data := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	x, err := ReadIDX(bytes.NewReader(encodeIDX([]int{3, 2, 2}, data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Dims) != 3 || x.Dims[0] != 3 || x.Dims[1] != 2 || x.Dims[2] != 2 {
		t.Fatalf("dims = %v, want [3 2 2]", x.Dims)
	}
	if !bytes.Equal(x.Data, data) {
		t.Fatalf("data = %v, want %v", x.Data, data)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "x-idx3-ubyte.gz")
	if err := os.WriteFile(p, gz(t, encodeIDX([]int{3, 2, 2}, data)), 0o644); err != nil {
		t.Fatal(err)
	}
	vecs, n, dim, err := ReadIDXImages(p)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || dim != 4 || vecs[5] != 6 || vecs[11] != 12 {
		t.Fatalf("images: n=%d dim=%d vecs=%v", n, dim, vecs)
	}
	if _, err := ReadIDXLabels(p); !errors.Is(err, ErrFormat) {
		t.Fatalf("3-d file read as labels: err = %v, want ErrFormat", err)
	}
}

func TestReadIDXCorrupt(t *testing.T) {
	good := encodeIDX([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	cases := map[string][]byte{
		"empty":          {},
		"short header":   good[:3],
		"bad magic":      append([]byte{1, 0}, good[2:]...),
		"float type":     append([]byte{0, 0, 0x0d}, good[3:]...),
		"zero dims":      {0, 0, idxUbyte, 0},
		"truncated dims": good[:6],
		"truncated data": good[:len(good)-1],
		"trailing bytes": append(append([]byte(nil), good...), 7),
		"huge":           encodeIDX([]int{1 << 20, 1 << 20}, nil),
	}
	for name, b := range cases {
		if _, err := ReadIDX(bytes.NewReader(b)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}

	dir := t.TempDir()
	z := gz(t, good)
	files := map[string][]byte{
		"truncated gzip": z[:len(z)-6],
		"bad crc":        append(append([]byte(nil), z[:len(z)-8]...), 0, 0, 0, 0, z[len(z)-4], z[len(z)-3], z[len(z)-2], z[len(z)-1]),
		"not gzip":       good,
	}
	for name, b := range files {
		p := filepath.Join(dir, "f.gz")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadIDXFile(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
