// Package parquetfile reads and writes tables of vectors as Parquet files.
//
// It is its own package because Apache Arrow's Parquet reader links arrow/compute, Arrow
// Flight, gRPC and several codecs (about 35 MB of binary): the server and its CLI do not
// import it; the benchmark harness (vectorbucket-bench) does, and "vectorbucket import
// file.parquet" converts through it.
package parquetfile

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vectorbucket/vectorbucket/datasets"
)

// Read reads a table of vectors from a Parquet file: the vector column (a FixedSizeList or
// List of float32 or float64) and the optional key column that cols names (the defaults of
// [datasets.VectorColumns] when empty). Corrupt or truncated files give an error wrapping
// datasets.ErrFormat.
func Read(ctx context.Context, path string, cols datasets.VectorColumns) (t *datasets.VectorTable, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	defer f.Close()
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("read parquet %s: %w: %v", path, datasets.ErrFormat, r)
		}
	}()
	mem := memory.NewGoAllocator()
	tbl, err := pqarrow.ReadTable(ctx, f, parquet.NewReaderProperties(mem), pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return nil, fmt.Errorf("read parquet %s: %w: %v", path, datasets.ErrFormat, err)
	}
	defer tbl.Release()
	if t, err = datasets.TableFromArrow(tbl, cols); err != nil {
		return nil, fmt.Errorf("read parquet %s: %w", path, err)
	}
	return t, nil
}

// Write writes t as a Parquet file with a "vector" FixedSizeList<float32> column and, when t
// has keys, a "key" utf8 column (the columns of [datasets.WriteArrowFile]), atomically.
func Write(path string, t *datasets.VectorTable) error {
	mem := memory.NewGoAllocator()
	rec := t.Record(mem)
	defer rec.Release()
	return datasets.WriteFileAtomic(path, func(w io.Writer) error {
		tbl := array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
		defer tbl.Release()
		// WriteTable closes a writer that is an io.Closer; the file is closed by the caller.
		return pqarrow.WriteTable(tbl, struct{ io.Writer }{w}, 64*1024, parquet.NewWriterProperties(parquet.WithAllocator(mem)),
			pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	})
}
