package datasets

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rawGloVeVector finds `"word":[` inside the package's "vectors" object by plain text search
// and parses the first n numbers after it, independently of the JSON decoder.
func rawGloVeVector(t *testing.T, tgz, word string, n int) []float64 {
	t.Helper()
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == gloveJSON {
			break
		}
	}
	br := bufio.NewReaderSize(tr, 1<<20)
	var window []byte
	marker := []byte(`"vectors":{`)
	for {
		b, err := br.ReadBytes(']')
		if err != nil {
			t.Fatalf("%q not found: %v", word, err)
		}
		window = append(window, b...)
		if i := bytes.Index(window, marker); i >= 0 {
			window = window[i+len(marker):]
			break
		}
		window = window[max(0, len(window)-len(marker)):]
	}
	rest, _ := br.Peek(1 << 16)
	s := string(append(window, rest...))
	i := strings.Index(s, `"`+word+`":[`)
	if i < 0 {
		t.Fatalf("%q not near the start of vectors", word)
	}
	s = s[i+len(word)+4:]
	fields := strings.SplitN(s, ",", n+1)
	out := make([]float64, n)
	for j := range n {
		if out[j], err = strconv.ParseFloat(fields[j], 64); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestGloVe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: GloVe is 341,479 vectors")
	}
	d := needData(t, gloveName, LoadOptions{MaxTrain: 100000, MaxTest: 1000})
	if d.Dim != 100 || d.Metric != Cosine || d.NTrain != 100000 || d.NTest != 1000 || d.Synthetic {
		t.Fatalf("got dim %d, %s, %d train, %d test", d.Dim, d.Metric, d.NTrain, d.NTest)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Description, "6B") {
		t.Errorf("description does not say 6B: %q", d.Description)
	}
	// Train keeps the package's order, so "the" (index 0) is the first train vector unless
	// the seeded split drew it as a query.
	root, _ := DataDir()
	want := rawGloVeVector(t, filepath.Join(root, gloveName, gloveTarball), "the", 100)
	var got []float32
	for i, w := range d.TrainWords {
		if w == "the" {
			got = d.TrainVec(i)
		}
	}
	for i, w := range d.TestWords {
		if w == "the" {
			got = d.TestVec(i)
		}
	}
	if got == nil {
		t.Fatal(`no vector for "the" in the first 100,000 train words or 1,000 test words`)
	}
	for i := range want {
		if got[i] != float32(want[i]) {
			t.Fatalf(`"the"[%d] = %v, want %v`, i, got[i], want[i])
		}
	}
	// glove.6B.100d's published vector for "the" starts -0.038194 -0.24487 0.72812.
	if got[0] != -0.038194 || got[1] != -0.24487 || got[2] != 0.72812 {
		t.Errorf(`"the" starts %v, want glove.6B.100d's -0.038194 -0.24487 0.72812`, got[:3])
	}
	// Exact ground truth on real cosine data agrees with the float64 brute force.
	small := needData(t, gloveName, LoadOptions{MaxTrain: 20000, MaxTest: 20})
	tr, _, err := computeTruth(context.Background(), small, 100, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, small, tr, []int{0, 5, 19})

	// The split is deterministic: loading again gives the same queries.
	d2 := needData(t, gloveName, LoadOptions{MaxTrain: 10, MaxTest: 5})
	for i := range 5 {
		if d2.TestWords[i] != d.TestWords[i] {
			t.Fatalf("query %d is %q then %q", i, d.TestWords[i], d2.TestWords[i])
		}
	}
}

func TestGloVeJSONErrors(t *testing.T) {
	ctx := context.Background()
	good := `{"size":2,"dimensions":2,"words":["a","b"],"vectors":{"b":[0,2,2,1],"a":[3,4,5,0]},"unkVector":[0,0]}`
	v, w, dim, err := decodeGloVeJSON(ctx, strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if dim != 2 || w[0] != "a" || v[0] != 3 || v[1] != 4 || v[2] != 0 || v[3] != 2 {
		t.Fatalf("decoded %v %v %d", v, w, dim)
	}
	for name, s := range map[string]string{
		"truncated":      good[:60],
		"not an object":  `[1,2]`,
		"missing vector": `{"size":2,"dimensions":2,"words":["a","b"],"vectors":{"a":[3,4,5,0]}}`,
		"bad norm":       `{"size":1,"dimensions":2,"words":["a"],"vectors":{"a":[3,4,7,0]}}`,
		"bad index":      `{"size":1,"dimensions":2,"words":["a"],"vectors":{"a":[3,4,5,1]}}`,
		"short row":      `{"size":1,"dimensions":2,"words":["a"],"vectors":{"a":[3,5,0]}}`,
		"word mismatch":  `{"size":1,"dimensions":2,"words":["x"],"vectors":{"a":[3,4,5,0]}}`,
		"no size":        `{"vectors":{"a":[3,4,5,0]}}`,
		"repeated index": `{"size":2,"dimensions":2,"words":["a","b"],"vectors":{"a":[3,4,5,0],"b":[3,4,5,0]}}`,
	} {
		if _, _, _, err := decodeGloVeJSON(ctx, strings.NewReader(s)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}
