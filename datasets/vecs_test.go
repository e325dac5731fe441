package datasets

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

func TestVecsRoundTrip(t *testing.T) {
	f := []float32{1.5, -2, 3, 0, 1e-30, 7}
	var b bytes.Buffer
	if err := WriteFvecs(&b, f, 3); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 2*(4+12) {
		t.Fatalf("fvecs size %d, want 32", b.Len())
	}
	got, n, dim, err := ReadFvecs(bytes.NewReader(b.Bytes()), 0)
	if err != nil || n != 2 || dim != 3 || len(got) != 6 {
		t.Fatalf("read fvecs: n=%d dim=%d err=%v", n, dim, err)
	}
	for i := range f {
		if got[i] != f[i] {
			t.Fatalf("value %d = %v, want %v", i, got[i], f[i])
		}
	}
	if got, n, _, _ := ReadFvecs(bytes.NewReader(b.Bytes()), 1); n != 1 || len(got) != 3 {
		t.Fatalf("max 1: n=%d len=%d", n, len(got))
	}

	iv := []int32{-1, 5, 1 << 30, 7}
	b.Reset()
	if err := WriteIvecs(&b, iv, 2); err != nil {
		t.Fatal(err)
	}
	gi, n, dim, err := ReadIvecs(&b, 0)
	if err != nil || n != 2 || dim != 2 || gi[0] != -1 || gi[2] != 1<<30 {
		t.Fatalf("ivecs: %v n=%d dim=%d err=%v", gi, n, dim, err)
	}

	bv := []uint8{0, 255, 3, 4}
	b.Reset()
	if err := WriteBvecs(&b, bv, 4); err != nil {
		t.Fatal(err)
	}
	gb, n, dim, err := ReadBvecs(&b, 0)
	if err != nil || n != 1 || dim != 4 || !bytes.Equal(gb, bv) {
		t.Fatalf("bvecs: %v n=%d dim=%d err=%v", gb, n, dim, err)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "x.fvecs")
	if err := WriteFvecsFile(p, f, 2); err != nil {
		t.Fatal(err)
	}
	if got, n, dim, err := ReadFvecsFile(p, 0); err != nil || n != 3 || dim != 2 || got[5] != 7 {
		t.Fatalf("fvecs file: n=%d dim=%d err=%v", n, dim, err)
	}
	pi := filepath.Join(dir, "x.ivecs")
	if err := WriteIvecsFile(pi, iv, 4); err != nil {
		t.Fatal(err)
	}
	if got, n, _, err := ReadIvecsFile(pi, 0); err != nil || n != 1 || got[3] != 7 {
		t.Fatalf("ivecs file: n=%d err=%v", n, err)
	}
	if err := WriteFvecs(&b, f, 4); err == nil {
		t.Error("6 values with dimension 4 accepted")
	}
}

func TestVecsCorrupt(t *testing.T) {
	var b bytes.Buffer
	WriteFvecs(&b, []float32{1, 2, 3, 4, 5, 6}, 3)
	good := b.Bytes()
	other := append(append([]byte(nil), good[:16]...), 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	for name, in := range map[string][]byte{
		"truncated values":    good[:len(good)-1],
		"truncated dimension": good[:18],
		"zero dimension":      {0, 0, 0, 0},
		"negative dimension":  {0xff, 0xff, 0xff, 0xff},
		"huge dimension":      {0, 0, 0, 0x7f},
		"dimension changes":   other,
	} {
		if _, _, _, err := ReadFvecs(bytes.NewReader(in), 0); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
	if _, _, _, err := ReadFvecsFile(filepath.Join(t.TempDir(), "missing"), 0); err == nil {
		t.Error("missing file: no error")
	}
}
