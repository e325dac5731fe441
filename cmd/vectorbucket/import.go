package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/schollz/progressbar/v3"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/datasets"
)

const importHelp = `Bulk-loads vectors into an existing index, in PutVectors requests of
--batch vectors sent by --concurrency workers, with a progress bar on stderr.

Formats (--format, or guessed from the file name):
  fvecs    little-endian int32 dimension + float32 values per vector (.fvecs)
  jsonl    one JSON object per line: {"key":"k","data":{"float32":[…]},"metadata":{…}}
           ("vector":[…] is accepted in place of "data")
  parquet  a vector column (list of float) and an optional "key" column (.parquet)
  arrow    the same as an Arrow IPC file or stream (.arrow, .feather, .ipc)
Vectors without a key get --key-prefix followed by their row number.`

// importRow is one JSONL line.
type importRow struct {
	Key      string          `json:"key"`
	Data     *api.VectorData `json:"data"`
	Vector   []float32       `json:"vector"`
	Metadata api.Metadata    `json:"metadata"`
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var format, keyPrefix, vectorCol, keyCol string
	var batch, concurrency, limit int
	var quiet bool
	fs := newFlags("import", "import --bucket B --index I [flags] FILE", importHelp, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	fs.StringVar(&format, "format", "", "fvecs, jsonl, parquet or arrow (default: from the file extension)")
	fs.StringVar(&keyPrefix, "key-prefix", "", "prefix of generated keys")
	fs.StringVar(&vectorCol, "vector-column", "", "parquet/arrow: the vector column (default \"vector\" or the first list column)")
	fs.StringVar(&keyCol, "key-column", "", "parquet/arrow: the key column (default \"key\" if present)")
	fs.IntVar(&batch, "batch", api.MaxPutVectors, "vectors per PutVectors request, 1-500")
	fs.IntVar(&concurrency, "concurrency", 4, "concurrent requests")
	fs.IntVar(&limit, "limit", 0, "import at most this many vectors (0: all)")
	fs.BoolVar(&quiet, "quiet", false, "no progress bar")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	ref, err := ixf.ref()
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("import: exactly one FILE is required")
	}
	if batch < 1 || batch > api.MaxPutVectors {
		return fmt.Errorf("--batch must be 1-%d", api.MaxPutVectors)
	}
	if concurrency < 1 {
		concurrency = 1
	}
	path := fs.Arg(0)
	if format == "" {
		format = formatOf(path)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	key := func(i int) string { return keyPrefix + strconv.Itoa(i) }

	// Producers send batches; workers upload them.
	batches := make(chan []api.PutInputVector, concurrency)
	var total int64 = -1
	var produce func() error
	switch format {
	case "fvecs":
		vecs, n, dim, err := datasets.ReadFvecsFile(path, limit)
		if err != nil {
			return err
		}
		total = int64(n)
		produce = func() error {
			return sendBatches(ctx, batches, batch, n, func(i int) api.PutInputVector {
				return api.PutInputVector{Key: key(i), Data: api.Float32Vector(vecs[i*dim : (i+1)*dim : (i+1)*dim])}
			})
		}
	case "parquet", "arrow":
		var t *datasets.VectorTable
		cols := datasets.VectorColumns{Vector: vectorCol, Key: keyCol}
		if format == "parquet" {
			t, err = readParquet(ctx, path, cols)
		} else {
			t, err = datasets.ReadArrowFile(path, cols)
		}
		if err != nil {
			return err
		}
		n := t.N
		if limit > 0 && limit < n {
			n = limit
		}
		total = int64(n)
		produce = func() error {
			return sendBatches(ctx, batches, batch, n, func(i int) api.PutInputVector {
				k := key(i)
				if t.Keys != nil {
					k = t.Keys[i]
				}
				return api.PutInputVector{Key: k, Data: api.Float32Vector(t.Vec(i))}
			})
		}
	case "jsonl":
		produce = func() error { return sendJSONL(ctx, path, batches, batch, limit, key) }
	default:
		return fmt.Errorf("import: unknown format %q (want fvecs, jsonl, parquet or arrow)", format)
	}

	var bar *progressbar.ProgressBar
	if !quiet {
		bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("importing "+filepath.Base(path)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("vectors"),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
		)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	done := 0
	for range concurrency {
		wg.Go(func() {
			for b := range batches {
				err := c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: b})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("put vectors %s…: %w", b[0].Key, err)
					cancel()
				}
				if err == nil {
					done += len(b)
					if bar != nil {
						_ = bar.Add(len(b))
					}
				}
				mu.Unlock()
			}
		})
	}
	perr := produce()
	close(batches)
	wg.Wait()
	if bar != nil {
		_ = bar.Finish()
	}
	if firstErr != nil {
		return firstErr
	}
	if perr != nil {
		return perr
	}
	fmt.Fprintf(stdout, "imported %d vectors into %s/%s\n", done, ixf.bucket, ixf.index)
	return nil
}

func formatOf(path string) string {
	p := strings.ToLower(path)
	p = strings.TrimSuffix(p, ".gz")
	switch filepath.Ext(p) {
	case ".fvecs":
		return "fvecs"
	case ".jsonl", ".ndjson", ".json":
		return "jsonl"
	case ".parquet", ".pq":
		return "parquet"
	case ".arrow", ".feather", ".ipc", ".arrows":
		return "arrow"
	}
	return ""
}

// sendBatches cuts rows 0..n-1 into batches.
func sendBatches(ctx context.Context, out chan<- []api.PutInputVector, size, n int, row func(int) api.PutInputVector) error {
	for i := 0; i < n; i += size {
		b := make([]api.PutInputVector, 0, min(size, n-i))
		for j := i; j < min(i+size, n); j++ {
			b = append(b, row(j))
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// sendJSONL streams a JSON-lines file in batches.
func sendJSONL(ctx context.Context, path string, out chan<- []api.PutInputVector, size, limit int, key func(int) string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), api.MaxRequestBytes)
	var b []api.PutInputVector
	flush := func() error {
		if len(b) == 0 {
			return nil
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = nil
		return nil
	}
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var r importRow
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		v := api.PutInputVector{Key: r.Key, Metadata: r.Metadata}
		switch {
		case r.Data != nil:
			if err := r.Data.Err(); err != nil {
				return fmt.Errorf("%s:%d: data: %w", path, line, err)
			}
			v.Data = *r.Data
		case r.Vector != nil:
			v.Data = api.Float32Vector(r.Vector)
		default:
			return fmt.Errorf("%s:%d: no \"data\" or \"vector\"", path, line)
		}
		if v.Key == "" {
			v.Key = key(n)
		}
		b = append(b, v)
		n++
		if len(b) == size {
			if err := flush(); err != nil {
				return err
			}
		}
		if limit > 0 && n >= limit {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return flush()
}
