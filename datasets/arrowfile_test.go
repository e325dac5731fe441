package datasets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func sampleTable(n, dim int, keys bool) *VectorTable {
	d := randomDataset(5, n, 1, dim, Euclidean, 0)
	t := &VectorTable{Dim: dim, N: n, Vectors: d.Train}
	if keys {
		for i := range n {
			t.Keys = append(t.Keys, "k"+string(rune('a'+i%26))+string(rune('0'+i/26%10)))
		}
	}
	return t
}

func sameTable(t *testing.T, got, want *VectorTable) {
	t.Helper()
	if got.N != want.N || got.Dim != want.Dim || len(got.Keys) != len(want.Keys) {
		t.Fatalf("got %d×%d with %d keys, want %d×%d with %d keys", got.N, got.Dim, len(got.Keys), want.N, want.Dim, len(want.Keys))
	}
	for i := range want.Vectors {
		if got.Vectors[i] != want.Vectors[i] {
			t.Fatalf("value %d = %v, want %v", i, got.Vectors[i], want.Vectors[i])
		}
	}
	for i := range want.Keys {
		if got.Keys[i] != want.Keys[i] {
			t.Fatalf("key %d = %q, want %q", i, got.Keys[i], want.Keys[i])
		}
	}
}

func TestArrowRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, keys := range []bool{true, false} {
		want := sampleTable(257, 9, keys)
		pa := filepath.Join(dir, "v.arrow")
		if err := WriteArrowFile(pa, want); err != nil {
			t.Fatal(err)
		}
		got, err := ReadArrowFile(pa, VectorColumns{})
		if err != nil {
			t.Fatal(err)
		}
		sameTable(t, got, want)
	}
}

// TestArrowListFloat64Stream reads a List<float64> column named "emb" with int64 ids from
// the IPC stream format.
func TestArrowListFloat64Stream(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "emb", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
	}, nil)
	build := func(rows [][]float64, nullAt int) []byte {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		lb := b.Field(1).(*array.ListBuilder)
		vb := lb.ValueBuilder().(*array.Float64Builder)
		for i, r := range rows {
			b.Field(0).(*array.Int64Builder).Append(int64(100 + i))
			if i == nullAt {
				lb.AppendNull()
				continue
			}
			lb.Append(true)
			vb.AppendValues(r, nil)
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return buf.Bytes()
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "s.arrows")
	os.WriteFile(p, build([][]float64{{1, 2, 3}, {4, 5, 6}}, -1), 0o644)
	got, err := ReadArrowFile(p, VectorColumns{Key: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if got.N != 2 || got.Dim != 3 || got.Vec(1)[2] != 6 || got.Keys[1] != "101" {
		t.Fatalf("got %+v", got)
	}
	if _, err := ReadArrowFile(p, VectorColumns{Vector: "nope"}); !errors.Is(err, ErrFormat) {
		t.Errorf("missing column: err = %v", err)
	}
	if _, err := ReadArrowFile(p, VectorColumns{Vector: "id"}); !errors.Is(err, ErrFormat) {
		t.Errorf("int column as vectors: err = %v", err)
	}
	os.WriteFile(p, build([][]float64{{1, 2, 3}, {4, 5}}, -1), 0o644)
	if _, err := ReadArrowFile(p, VectorColumns{}); !errors.Is(err, ErrFormat) {
		t.Errorf("ragged vectors: err = %v", err)
	}
	os.WriteFile(p, build([][]float64{{1, 2, 3}, {4, 5, 6}}, 1), 0o644)
	if _, err := ReadArrowFile(p, VectorColumns{}); !errors.Is(err, ErrFormat) {
		t.Errorf("null vector: err = %v", err)
	}
}

func TestArrowCorrupt(t *testing.T) {
	dir := t.TempDir()
	want := sampleTable(100, 8, true)
	pa := filepath.Join(dir, "v.arrow")
	if err := WriteArrowFile(pa, want); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{pa} {
		b, _ := os.ReadFile(src)
		cuts := []int{0, 4, 8, 100, len(b) / 2, len(b) - 20, len(b) - 1}
		for _, c := range cuts {
			p := filepath.Join(dir, "cut"+filepath.Ext(src))
			os.WriteFile(p, b[:c], 0o644)
			_, err := ReadArrowFile(p, VectorColumns{})
			if !errors.Is(err, ErrFormat) {
				t.Errorf("%s cut at %d of %d: err = %v, want ErrFormat", filepath.Base(src), c, len(b), err)
			}
		}
		// Flip bytes in the middle: an error or (if the damage hit only values) a table of
		// the right shape; never a panic.
		for i := 50; i < len(b)-50; i += len(b) / 17 {
			c := append([]byte(nil), b...)
			c[i] ^= 0x5a
			p := filepath.Join(dir, "flip"+filepath.Ext(src))
			os.WriteFile(p, c, 0o644)
			got, err := ReadArrowFile(p, VectorColumns{})
			if err == nil && (got.N != 100 || got.Dim != 8) {
				t.Errorf("%s flipped at %d: no error but %d×%d", filepath.Base(src), i, got.N, got.Dim)
			}
		}
	}
}
