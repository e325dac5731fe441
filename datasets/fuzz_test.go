package datasets

import (
	"bytes"
	"testing"
)

// FuzzReaders feeds arbitrary bytes to the IDX, vecs and Arrow readers: an error or a
// consistent result, never a panic.
func FuzzReaders(f *testing.F) {
	f.Add(encodeIDX([]int{2, 2}, []byte{1, 2, 3, 4}))
	var b bytes.Buffer
	WriteFvecs(&b, []float32{1, 2, 3, 4}, 2)
	f.Add(b.Bytes())
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, in []byte) {
		if x, err := ReadIDX(bytes.NewReader(in)); err == nil {
			n := 1
			for _, d := range x.Dims {
				n *= d
			}
			if n != len(x.Data) {
				t.Fatalf("dims %v but %d values", x.Dims, len(x.Data))
			}
		}
		if v, n, dim, err := ReadFvecs(bytes.NewReader(in), 0); err == nil && len(v) != n*dim {
			t.Fatalf("%d values for %d×%d", len(v), n, dim)
		}
		if v, n, dim, err := ReadBvecs(bytes.NewReader(in), 0); err == nil && len(v) != n*dim {
			t.Fatalf("%d values for %d×%d", len(v), n, dim)
		}
		if tb, err := readArrowBytesSafe(in); err == nil && len(tb.Vectors) != tb.N*tb.Dim {
			t.Fatalf("arrow: %d values for %d×%d", len(tb.Vectors), tb.N, tb.Dim)
		}
	})
}

func readArrowBytesSafe(in []byte) (t *VectorTable, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, ErrFormat
		}
	}()
	return readArrowBytes(in, VectorColumns{})
}
