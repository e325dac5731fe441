package parquetfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vectorbucket/vectorbucket/datasets"
)

func table(n, dim int, keys bool) *datasets.VectorTable {
	t := &datasets.VectorTable{Dim: dim, N: n}
	for i := range n * dim {
		t.Vectors = append(t.Vectors, float32(i%97)*0.25-3)
	}
	if keys {
		for i := range n {
			t.Keys = append(t.Keys, fmt.Sprintf("k%04d", i))
		}
	}
	return t
}

func TestRoundTrip(t *testing.T) {
	for _, keys := range []bool{true, false} {
		want := table(257, 9, keys)
		p := filepath.Join(t.TempDir(), "v.parquet")
		if err := Write(p, want); err != nil {
			t.Fatal(err)
		}
		got, err := Read(context.Background(), p, datasets.VectorColumns{})
		if err != nil {
			t.Fatal(err)
		}
		if got.N != want.N || got.Dim != want.Dim || !slices.Equal(got.Vectors, want.Vectors) || !slices.Equal(got.Keys, want.Keys) {
			t.Fatalf("keys=%v: got %d×%d (%d keys), want %d×%d (%d keys) with equal values", keys, got.N, got.Dim, len(got.Keys), want.N, want.Dim, len(want.Keys))
		}
	}
}

// Truncated files fail with ErrFormat; flipped bytes give an error or a table of the
// right shape, never a panic.
func TestCorrupt(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "v.parquet")
	if err := Write(src, table(100, 8, true)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "bad.parquet")
	for _, c := range []int{0, 4, 8, 100, len(b) / 2, len(b) - 20, len(b) - 1} {
		os.WriteFile(p, b[:c], 0o644)
		if _, err := Read(context.Background(), p, datasets.VectorColumns{}); !errors.Is(err, datasets.ErrFormat) {
			t.Errorf("cut at %d of %d: err = %v, want ErrFormat", c, len(b), err)
		}
	}
	for i := 50; i < len(b)-50; i += len(b) / 17 {
		c := slices.Clone(b)
		c[i] ^= 0x5a
		os.WriteFile(p, c, 0o644)
		if got, err := Read(context.Background(), p, datasets.VectorColumns{}); err == nil && (got.N != 100 || got.Dim != 8) {
			t.Errorf("flipped at %d: no error but %d×%d", i, got.N, got.Dim)
		}
	}
	if _, err := Read(context.Background(), filepath.Join(dir, "missing.parquet"), datasets.VectorColumns{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}
