package main

import (
	"bufio"
	"bytes"
	"context"
	encbin "encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/datasets"
)

const importHelp = `Bulk-loads vectors into an existing index, in PutVectors requests of
--batch vectors sent by --concurrency workers, with a progress bar on stderr.
FILE "-" reads standard input; --format is then required.

Formats (--format, or from the file extension):
  fvecs    little-endian int32 dimension + float32 values per vector (.fvecs)
  jsonl    one JSON object per line: {"key":"k","data":{"float32":[…]},"metadata":{…}}
           ("vector":[…] is accepted in place of "data") (.jsonl, .ndjson, .json)
  parquet  a vector column (list of float) and an optional "key" column (.parquet)
  arrow    the same as an Arrow IPC file or stream (.arrow, .feather, .ipc)
Vectors without a key get --key-prefix followed by their record number
(0-based, counted from the start of the file even with --skip).

Every vector is checked against the index's dimension before it is sent.
An error names the file and line (JSONL) or vector/row number (fvecs:
with its byte offset) and says how many vectors were committed. PutVectors
replaces vectors by key, so running the same import again is safe;
--skip N resumes after the first N records.`

// importFormats are the --format values.
var importFormats = []string{"jsonl", "fvecs", "parquet", "arrow"}

// stdin is what "import -" reads; tests replace it.
var stdin io.Reader = os.Stdin

// importRow is one JSONL line.
type importRow struct {
	Key      string          `json:"key"`
	Data     *api.VectorData `json:"data"`
	Vector   []float32       `json:"vector"`
	Metadata api.Metadata    `json:"metadata"`
}

// importOpts are the flags of the import command.
type importOpts struct {
	format, keyPrefix, vectorCol, keyCol string
	batch, concurrency, limit, skip      int
	quiet                                bool
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var out outputFlag
	var o importOpts
	fs := newFlags("import", "import --bucket B --index I [flags] FILE|-", importHelp, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	out.add(fs)
	fs.StringVar(&o.format, "format", "", "jsonl, fvecs, parquet or arrow (default: from the file extension; required for stdin)")
	fs.StringVar(&o.keyPrefix, "key-prefix", "", "prefix of generated keys")
	fs.StringVar(&o.vectorCol, "vector-column", "", "parquet/arrow: the vector column (default \"vector\" or the first list column)")
	fs.StringVar(&o.keyCol, "key-column", "", "parquet/arrow: the key column (default \"key\" if present)")
	fs.IntVar(&o.batch, "batch", api.MaxPutVectors, "vectors per PutVectors request, 1-500")
	fs.IntVar(&o.concurrency, "concurrency", 4, "concurrent requests")
	fs.IntVar(&o.limit, "limit", 0, "import at most this many vectors (0: all)")
	fs.IntVar(&o.skip, "skip", 0, "skip the first N records (to resume an import that stopped)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bar")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := out.check(stderr, "import"); err != nil {
		return err
	}
	ref, err := ixf.ref(stderr, "import")
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef(stderr, "import", "exactly one FILE (or - for stdin) is required, got %d", len(pos))
	}
	path := pos[0]
	switch {
	case o.batch < 1 || o.batch > api.MaxPutVectors:
		return usagef(stderr, "import", "--batch must be 1-%d", api.MaxPutVectors)
	case o.concurrency < 1:
		return usagef(stderr, "import", "--concurrency must be 1 or more")
	case o.limit < 0 || o.skip < 0:
		return usagef(stderr, "import", "--limit and --skip must be 0 or more")
	}
	valid := strings.Join(importFormats, "|")
	switch {
	case o.format != "":
		if !slices.Contains(importFormats, o.format) {
			return usagef(stderr, "import", "--format %q is not valid; use --format %s", o.format, valid)
		}
	case path == "-":
		return usagef(stderr, "import", "--format is required when reading stdin (-); use --format %s", valid)
	default:
		if o.format = formatOf(path); o.format == "" {
			if ext := filepath.Ext(strings.TrimSuffix(path, ".gz")); ext != "" {
				return usagef(stderr, "import", "unknown file extension %q for %q; use --format %s", ext, path, valid)
			}
			return usagef(stderr, "import", "no file extension on %q to tell the format; use --format %s", path, valid)
		}
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	ix, err := c.GetIndex(ctx, &api.GetIndexRequest{IndexRef: ref})
	if err != nil {
		return friendly(err, cf.endpoint)
	}
	src, err := openSource(ctx, path, o)
	if err != nil {
		return err
	}
	defer src.close()
	im := &importer{c: c, ref: ref, o: o, src: src, dim: ix.Index.Dimension, stderr: stderr, committed: o.skip, now: time.Now}
	res, err := im.run(ctx)
	if err != nil {
		return friendly(err, cf.endpoint)
	}
	if out.json() {
		return printJSON(stdout, res)
	}
	t := newTable(stdout, "INDEX", "IMPORTED", "SKIPPED", "SECONDS", "VECTORS/S")
	rate := "-"
	if res.Seconds > 0 {
		rate = strconv.FormatFloat(float64(res.Imported)/res.Seconds, 'f', 0, 64)
	}
	t.row(ixf.String(), res.Imported, res.Skipped, strconv.FormatFloat(res.Seconds, 'f', 2, 64), rate)
	return t.flush()
}

// importResult is what an import did (its JSON output).
type importResult struct {
	VectorBucketName string  `json:"vectorBucketName"`
	IndexName        string  `json:"indexName"`
	Imported         int     `json:"imported"`
	Skipped          int     `json:"skipped"`
	Seconds          float64 `json:"seconds"`
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

// source reads the records of one input.
type source struct {
	name, format string
	// next returns the next record and, for JSONL, its line; io.EOF at the
	// end. Its errors name the place in the input.
	next func() (api.PutInputVector, int, error)
	// skip passes over one record without decoding it where it can.
	skip func() error
	// total is the number of records, -1 if unknown.
	total int64
	// recBytes is the size of one fvecs record.
	recBytes int64
	close    func()
}

// where names record n (0-based) at line line.
func (s *source) where(n, line int) string {
	switch s.format {
	case "jsonl":
		return fmt.Sprintf("%s:%d", s.name, line)
	case "fvecs":
		return fmt.Sprintf("%s: vector %d (byte offset %d)", s.name, n+1, int64(n)*s.recBytes)
	}
	return fmt.Sprintf("%s: row %d", s.name, n+1)
}

func openSource(ctx context.Context, path string, o importOpts) (*source, error) {
	name := path
	var r io.Reader = stdin
	closeFn := func() {}
	if path == "-" {
		name = "stdin"
		if o.format == "parquet" || o.format == "arrow" {
			// Both readers need a whole file: spool stdin into one.
			tmp, err := os.CreateTemp("", "vectorbucket-stdin-*."+o.format)
			if err != nil {
				return nil, err
			}
			defer os.Remove(tmp.Name())
			if _, err := io.Copy(tmp, stdin); err != nil {
				tmp.Close()
				return nil, fmt.Errorf("read stdin: %w", err)
			}
			tmp.Close()
			path = tmp.Name()
		}
	} else if o.format == "jsonl" || o.format == "fvecs" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r, closeFn = f, func() { f.Close() }
	}
	src := &source{name: name, format: o.format, total: -1, close: closeFn}
	switch o.format {
	case "jsonl":
		jsonlSource(src, r)
	case "fvecs":
		if f, ok := r.(*os.File); ok && f != os.Stdin {
			if st, err := f.Stat(); err == nil {
				src.total = st.Size() // turned into records at the first vector
			}
		}
		fvecsSource(src, r)
	default:
		var t *datasets.VectorTable
		var err error
		cols := datasets.VectorColumns{Vector: o.vectorCol, Key: o.keyCol}
		if o.format == "parquet" {
			t, err = readParquet(ctx, path, cols)
		} else {
			t, err = datasets.ReadArrowFile(path, cols)
		}
		if err != nil {
			if name == "stdin" {
				err = fmt.Errorf("stdin: %w", err)
			}
			return nil, err
		}
		tableSource(src, t)
	}
	return src, nil
}

func tableSource(src *source, t *datasets.VectorTable) {
	src.total = int64(t.N)
	i := 0
	src.next = func() (api.PutInputVector, int, error) {
		if i >= t.N {
			return api.PutInputVector{}, 0, io.EOF
		}
		v := api.PutInputVector{Data: api.Float32Vector(t.Vec(i))}
		if t.Keys != nil {
			v.Key = t.Keys[i]
		}
		i++
		return v, 0, nil
	}
	src.skip = func() error { _, _, err := src.next(); return err }
}

func jsonlSource(src *source, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), api.MaxRequestBytes)
	line := 0
	// scan returns the next non-blank line.
	scan := func() ([]byte, error) {
		for sc.Scan() {
			line++
			if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
				return b, nil
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return nil, fmt.Errorf("%s:%d: line longer than %d bytes", src.name, line+1, api.MaxRequestBytes)
			}
			return nil, fmt.Errorf("%s:%d: %w", src.name, line+1, err)
		}
		return nil, io.EOF
	}
	src.skip = func() error { _, err := scan(); return err }
	src.next = func() (api.PutInputVector, int, error) {
		text, err := scan()
		if err != nil {
			return api.PutInputVector{}, line, err
		}
		var r importRow
		if err := json.Unmarshal(text, &r); err != nil {
			return api.PutInputVector{}, line, fmt.Errorf("%s:%d: %w", src.name, line, err)
		}
		v := api.PutInputVector{Key: r.Key, Metadata: r.Metadata}
		switch {
		case r.Data != nil:
			if err := r.Data.Err(); err != nil {
				return v, line, fmt.Errorf("%s:%d: data: %w", src.name, line, err)
			}
			v.Data = *r.Data
		case r.Vector != nil:
			v.Data = api.Float32Vector(r.Vector)
		default:
			return v, line, fmt.Errorf("%s:%d: no \"data\" or \"vector\"", src.name, line)
		}
		return v, line, nil
	}
}

func fvecsSource(src *source, r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	size := src.total // the file size, or -1
	src.total = -1
	if hdr, err := br.Peek(4); err == nil && size >= 0 {
		if d := int64(int32(encbin.LittleEndian.Uint32(hdr))); d > 0 && size%(4+4*d) == 0 {
			src.total = size / (4 + 4*d)
		}
	}
	n, dim := 0, -1
	var off int64
	var buf []byte
	read := func(decode bool) ([]float32, error) {
		var hdr [4]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%s: vector %d (byte offset %d): truncated dimension header", src.name, n+1, off)
		}
		d := int(int32(encbin.LittleEndian.Uint32(hdr[:])))
		switch {
		case d < 1 || d > api.MaxDimension:
			return nil, fmt.Errorf("%s: vector %d (byte offset %d): dimension %d is not 1-%d (not an fvecs file?)", src.name, n+1, off, d, api.MaxDimension)
		case dim < 0:
			dim = d
			src.recBytes = int64(4 + 4*d)
		case d != dim:
			return nil, fmt.Errorf("%s: vector %d (byte offset %d): dimension %d differs from the first vector's %d", src.name, n+1, off, d, dim)
		}
		if cap(buf) < 4*d {
			buf = make([]byte, 4*d)
		}
		buf = buf[:4*d]
		if got, err := io.ReadFull(br, buf); err != nil {
			return nil, fmt.Errorf("%s: vector %d (byte offset %d): truncated after %d of %d values", src.name, n+1, off, got/4, d)
		}
		off += int64(4 + 4*d)
		n++
		if !decode {
			return nil, nil
		}
		v := make([]float32, d)
		for i := range v {
			v[i] = math.Float32frombits(encbin.LittleEndian.Uint32(buf[4*i:]))
		}
		return v, nil
	}
	src.skip = func() error { _, err := read(false); return err }
	src.next = func() (api.PutInputVector, int, error) {
		v, err := read(true)
		return api.PutInputVector{Data: api.Float32Vector(v)}, 0, err
	}
}

// batch is one PutVectors request's worth of records.
type batch struct {
	start int // record number of vecs[0]
	vecs  []api.PutInputVector
	lines []int // JSONL: the line of each vector
}

// importer sends a source's records to an index.
type importer struct {
	c      *client.Client
	ref    api.IndexRef
	o      importOpts
	src    *source
	dim    int
	stderr io.Writer
	now    func() time.Time

	mu        sync.Mutex
	meter     rateMeter
	imported  int
	committed int         // every record below this one is in the index
	pending   map[int]int // committed batches above committed: start → length
	bar       *progressbar.ProgressBar
}

func (im *importer) run(ctx context.Context) (*importResult, error) {
	total := im.src.total
	for i := range im.o.skip {
		if err := im.src.skip(); err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("%s: --skip %d: the input has only %d records", im.src.name, im.o.skip, i)
			}
			return nil, err
		}
	}
	if total >= 0 {
		total = max(total-int64(im.o.skip), 0)
		if im.o.limit > 0 {
			total = min(total, int64(im.o.limit))
		}
	}
	if !im.o.quiet {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(im.stderr),
			progressbar.OptionSetDescription("importing " + filepath.Base(im.src.name)),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(im.stderr) }),
		}
		if total >= 0 {
			opts = append(opts, progressbar.OptionShowCount())
		}
		im.bar = progressbar.NewOptions64(total, opts...)
	}
	im.committed = im.o.skip
	im.pending = map[int]int{}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, im.o.concurrency)
	var wg sync.WaitGroup
	var putErr error
	for range im.o.concurrency {
		wg.Go(func() {
			for b := range batches {
				if ctx.Err() != nil {
					continue
				}
				im.mu.Lock()
				im.meter.begin(im.now())
				im.mu.Unlock()
				err := im.c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: im.ref, Vectors: b.vecs})
				im.mu.Lock()
				if err != nil {
					if putErr == nil {
						putErr = im.locate(b, err)
						cancel()
					}
				} else {
					im.commit(b)
				}
				im.mu.Unlock()
			}
		})
	}
	readErr := im.produce(ctx, batches)
	close(batches)
	wg.Wait()
	if im.bar != nil {
		_ = im.bar.Finish()
	}
	err := putErr
	if err == nil && readErr != nil && !errors.Is(readErr, context.Canceled) {
		err = readErr
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, im.resumeHint())
	}
	return &importResult{VectorBucketName: im.ref.VectorBucketName, IndexName: im.ref.IndexName,
		Imported: im.imported, Skipped: im.o.skip, Seconds: im.meter.elapsed(im.meter.last).Seconds()}, nil
}

// produce reads records into batches, checking each against the index.
func (im *importer) produce(ctx context.Context, out chan<- batch) error {
	n := im.o.skip
	b := batch{start: n}
	send := func() error {
		if len(b.vecs) == 0 {
			return nil
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = batch{start: n}
		return nil
	}
	for count := 0; im.o.limit == 0 || count < im.o.limit; count++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v, line, err := im.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			_ = send()
			return err
		}
		if v.Key == "" {
			v.Key = im.o.keyPrefix + strconv.Itoa(n)
		}
		if err := im.check(v); err != nil {
			_ = send()
			return fmt.Errorf("%s: %w", im.src.where(n, line), err)
		}
		b.vecs = append(b.vecs, v)
		if im.src.format == "jsonl" {
			b.lines = append(b.lines, line)
		}
		n++
		if len(b.vecs) == im.o.batch {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}

// check refuses a vector the server would refuse, before it is sent.
func (im *importer) check(v api.PutInputVector) error {
	if d := len(v.Data.Float32); d != im.dim {
		return fmt.Errorf("vector %q has %d dimensions; index %s/%s has %d", v.Key, d, im.ref.VectorBucketName, im.ref.IndexName, im.dim)
	}
	if i := api.CheckFinite(v.Data.Float32); i >= 0 {
		return fmt.Errorf("vector %q: element %d is %v; vectors must be finite", v.Key, i, v.Data.Float32[i])
	}
	if len(v.Key) > api.MaxKeyLen {
		return fmt.Errorf("key %q… is longer than %d characters", v.Key[:40], api.MaxKeyLen)
	}
	return nil
}

// commit records a batch the server took (im.mu held).
func (im *importer) commit(b batch) {
	im.imported += len(b.vecs)
	im.pending[b.start] = len(b.vecs)
	for {
		l, ok := im.pending[im.committed]
		if !ok {
			break
		}
		delete(im.pending, im.committed)
		im.committed += l
	}
	if im.bar != nil {
		_ = im.bar.Add(len(b.vecs))
		r, ok := im.meter.add(len(b.vecs), im.now())
		im.bar.Describe(progressLine(filepath.Base(im.src.name), im.meter.n, im.src.total < 0, r, ok))
	} else {
		im.meter.add(len(b.vecs), im.now())
	}
}

// locate names the record a PutVectors error is about, when the server's
// field list says, else the batch's range.
func (im *importer) locate(b batch, err error) error {
	line := func(i int) int {
		if b.lines != nil {
			return b.lines[i]
		}
		return 0
	}
	var e *api.Error
	if errors.As(err, &e) {
		for _, f := range e.FieldList {
			rest, ok := strings.CutPrefix(f.Path, "vectors[")
			if !ok {
				continue
			}
			if i, err2 := strconv.Atoi(rest[:max(strings.IndexByte(rest, ']'), 0)]); err2 == nil && i >= 0 && i < len(b.vecs) {
				return fmt.Errorf("%s: vector %q refused: %s %s (%w)", im.src.where(b.start+i, line(i)), b.vecs[i].Key, f.Path, f.Message, err)
			}
		}
	}
	last := len(b.vecs) - 1
	from, to := im.src.where(b.start, line(0)), im.src.where(b.start+last, line(last))
	return fmt.Errorf("%s to %s: PutVectors of records %d-%d failed: %w", from, strings.TrimPrefix(to, im.src.name+":"), b.start+1, b.start+last+1, err)
}

// resumeHint says what was committed and how to go on.
func (im *importer) resumeHint() string {
	im.mu.Lock()
	defer im.mu.Unlock()
	s := fmt.Sprintf("%d vectors were committed before the error", im.imported)
	if im.committed > 0 {
		s += fmt.Sprintf("; the first %d records of %s are all in the index", im.committed, im.src.name)
	}
	s += ".\nRunning the same import again is safe (PutVectors replaces vectors by key)"
	if im.committed > 0 {
		s += fmt.Sprintf("; to resume, add --skip %d", im.committed)
	}
	return s + "."
}

// progressLine is the description of the progress bar: the count when the
// bar cannot show it against a total, and the rate once there is one.
func progressLine(name string, n int64, showCount bool, rate float64, ok bool) string {
	s := "importing " + name
	if showCount {
		s += fmt.Sprintf(": %d vectors", n)
	}
	if ok {
		s += fmt.Sprintf(", %.0f vectors/s", rate)
	}
	return s
}

// rateMeter measures vectors per second from the moment the first
// PutVectors request is sent, so that neither start-up (reading the input,
// GetIndex) nor a zero elapsed time makes the rate up.
type rateMeter struct {
	start, last time.Time // first request sent, last batch committed
	n           int64
}

// begin marks the first request; later calls do nothing.
func (m *rateMeter) begin(t time.Time) {
	if m.start.IsZero() {
		m.start = t
	}
}

// add counts n committed vectors at t and returns the rate so far; ok is
// false while there is no elapsed time to divide by.
func (m *rateMeter) add(n int, t time.Time) (rate float64, ok bool) {
	m.n += int64(n)
	m.last = t
	return m.rate(t)
}

func (m *rateMeter) rate(t time.Time) (float64, bool) {
	d := m.elapsed(t).Seconds()
	if m.n == 0 || d <= 0 {
		return 0, false
	}
	return float64(m.n) / d, true
}

func (m *rateMeter) elapsed(t time.Time) time.Duration {
	if m.start.IsZero() || t.IsZero() {
		return 0
	}
	return t.Sub(m.start)
}
