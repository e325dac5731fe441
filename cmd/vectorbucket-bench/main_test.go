package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/cmd/internal/cli"
	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/datasets/parquetfile"
)

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), nil, &out, &errOut); !errors.Is(err, cli.ErrUsage) || !strings.Contains(errOut.String(), "Commands:") {
		t.Fatalf("no args: err %v, stderr %q", err, errOut.String())
	}
	errOut.Reset()
	if err := run(context.Background(), []string{"nope"}, &out, &errOut); !errors.Is(err, cli.ErrUsage) || !strings.Contains(errOut.String(), `unknown command "nope"`) {
		t.Fatalf("unknown: err %v, stderr %q", err, errOut.String())
	}
	if err := run(context.Background(), []string{"--version"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "vectorbucket-bench ") {
		t.Fatalf("--version: err %v, out %q", err, out.String())
	}
	errOut.Reset()
	if err := run(context.Background(), []string{"bench"}, &out, &errOut); !errors.Is(err, cli.ErrUsage) || !strings.Contains(errOut.String(), "--dataset is required") {
		t.Fatalf("bench without --dataset: err %v, stderr %q", err, errOut.String())
	}
}

// "datasets convert" turns a Parquet table into the Arrow file that "vectorbucket import"
// reads, with the named columns.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	in, outPath := filepath.Join(dir, "in.parquet"), filepath.Join(dir, "out.arrow")
	want := &datasets.VectorTable{Dim: 3, N: 4, Vectors: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3}, Keys: []string{"a", "b", "c", "d"}}
	if err := parquetfile.Write(in, want); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"datasets", "convert", "--vector-column", "vector", "--key-column", "key", in, outPath}, &out, &errOut); err != nil {
		t.Fatalf("convert: %v (%s)", err, errOut.String())
	}
	got, err := datasets.ReadArrowFile(outPath, datasets.VectorColumns{})
	if err != nil {
		t.Fatal(err)
	}
	if got.N != 4 || got.Dim != 3 || !slices.Equal(got.Vectors, want.Vectors) || !slices.Equal(got.Keys, want.Keys) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if err := run(context.Background(), []string{"datasets", "convert", "--vector-column", "nope", in, outPath}, &out, &errOut); !errors.Is(err, datasets.ErrFormat) {
		t.Fatalf("missing column: err %v, want ErrFormat", err)
	}
}
