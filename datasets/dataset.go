package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Metric names used by [Dataset.Metric].
const (
	Euclidean = "euclidean" // L2 distance (not squared)
	Cosine    = "cosine"    // 1 − cosine similarity (ann-benchmarks "angular")
)

// ErrUnknownDataset is returned by [Load] and [Lookup] for a name that is not in the registry.
var ErrUnknownDataset = errors.New("unknown data set")

// ErrNotInstalled is returned by [Load] when a data set's files are missing and installing
// is disabled ([LoadOptions.NoInstall]) or failed.
var ErrNotInstalled = errors.New("data set not installed")

// ErrFormat is wrapped by every reader when a file is corrupt, truncated or not of the
// expected format.
var ErrFormat = errors.New("bad data file")

// ErrNoHDF5 reports that this binary was built without HDF5 support: rebuild with
// -tags hdf5 (cgo and Debian's libhdf5-dev), as "make test" and "make bench" do.
var ErrNoHDF5 = errors.New("HDF5 support is not compiled in (build with -tags hdf5, cgo and Debian's libhdf5-dev)")

// Dataset is a loaded data set: train (base) vectors to index and test (query) vectors,
// each stored flat in row-major order.
type Dataset struct {
	Name        string    // registry name, e.g. "fashion-mnist-784-euclidean"
	Description string    // one line for humans; says "synthetic" for synthetic sets
	Dim         int       // vector dimension
	Metric      string    // Euclidean or Cosine
	Train       []float32 // NTrain*Dim values
	Test        []float32 // NTest*Dim values
	NTrain      int
	NTest       int
	TrainLabels []uint8  // class labels of the train vectors (Fashion-MNIST), nil otherwise
	TestLabels  []uint8  // class labels of the test vectors (Fashion-MNIST), nil otherwise
	TrainWords  []string // the word of each train vector (GloVe), nil otherwise
	TestWords   []string // the word of each test vector (GloVe), nil otherwise
	Synthetic   bool     // true for generated data: label any figure measured on it synthetic
}

// TrainVec returns train vector i (a sub-slice of Train, not a copy).
func (d *Dataset) TrainVec(i int) []float32 { return d.Train[i*d.Dim : (i+1)*d.Dim : (i+1)*d.Dim] }

// TestVec returns test vector i (a sub-slice of Test, not a copy).
func (d *Dataset) TestVec(i int) []float32 { return d.Test[i*d.Dim : (i+1)*d.Dim : (i+1)*d.Dim] }

// LoadOptions tune [Load]. The zero value loads the whole data set, installing it if needed.
type LoadOptions struct {
	// MaxTrain keeps only the first MaxTrain train vectors when > 0 (for CI).
	MaxTrain int
	// MaxTest keeps only the first MaxTest test vectors when > 0 (for CI).
	MaxTest int
	// DataDir overrides [DataDir] for converted data and caches.
	DataDir string
	// NoInstall makes Load fail with ErrNotInstalled instead of running a package manager.
	NoInstall bool
	// Log receives what installing and converting do; nil means os.Stderr.
	Log io.Writer
}

func (o LoadOptions) log() io.Writer {
	if o.Log == nil {
		return os.Stderr
	}
	return o.Log
}

func (o LoadOptions) dataDir() (string, error) {
	if o.DataDir != "" {
		return o.DataDir, nil
	}
	return DataDir()
}

// DataDir is the directory for converted data sets and cached ground truth:
// $VECTORBUCKET_DATA_DIR if set, else $XDG_CACHE_HOME/vectorbucket/datasets, else
// ~/.cache/vectorbucket/datasets. It is not created here.
func DataDir() (string, error) {
	if d := os.Getenv("VECTORBUCKET_DATA_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "vectorbucket", "datasets"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	return filepath.Join(home, ".cache", "vectorbucket", "datasets"), nil
}

// Load returns the named data set, installing it first if its files are missing (unless
// opts.NoInstall). A name ending in .hdf5 or .h5 is read as an ann-benchmarks HDF5 file
// ([ReadHDF5]). At most one LoadOptions is used; none means the zero value.
func Load(ctx context.Context, name string, opts ...LoadOptions) (*Dataset, error) {
	var o LoadOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	var d *Dataset
	var err error
	if isHDF5Path(name) {
		d, _, err = ReadHDF5(name)
	} else {
		var e Entry
		if e, err = Lookup(name); err != nil {
			return nil, err
		}
		d, err = e.load(ctx, name, o)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	d.truncate(o.MaxTrain, o.MaxTest)
	return d, nil
}

// truncate keeps the first maxTrain train and maxTest test vectors (when > 0).
func (d *Dataset) truncate(maxTrain, maxTest int) {
	if maxTrain > 0 && maxTrain < d.NTrain {
		d.NTrain = maxTrain
		d.Train = d.Train[: maxTrain*d.Dim : maxTrain*d.Dim]
		if d.TrainLabels != nil {
			d.TrainLabels = d.TrainLabels[:maxTrain]
		}
		if d.TrainWords != nil {
			d.TrainWords = d.TrainWords[:maxTrain]
		}
	}
	if maxTest > 0 && maxTest < d.NTest {
		d.NTest = maxTest
		d.Test = d.Test[: maxTest*d.Dim : maxTest*d.Dim]
		if d.TestLabels != nil {
			d.TestLabels = d.TestLabels[:maxTest]
		}
		if d.TestWords != nil {
			d.TestWords = d.TestWords[:maxTest]
		}
	}
}

// Validate checks that the sizes of d agree with each other.
func (d *Dataset) Validate() error {
	switch {
	case d.Dim <= 0:
		return fmt.Errorf("data set %s: dimension %d", d.Name, d.Dim)
	case d.Metric != Euclidean && d.Metric != Cosine:
		return fmt.Errorf("data set %s: unknown metric %q", d.Name, d.Metric)
	case len(d.Train) != d.NTrain*d.Dim:
		return fmt.Errorf("data set %s: %d train values for %d×%d", d.Name, len(d.Train), d.NTrain, d.Dim)
	case len(d.Test) != d.NTest*d.Dim:
		return fmt.Errorf("data set %s: %d test values for %d×%d", d.Name, len(d.Test), d.NTest, d.Dim)
	case d.TrainLabels != nil && len(d.TrainLabels) != d.NTrain:
		return fmt.Errorf("data set %s: %d train labels for %d vectors", d.Name, len(d.TrainLabels), d.NTrain)
	case d.TestLabels != nil && len(d.TestLabels) != d.NTest:
		return fmt.Errorf("data set %s: %d test labels for %d vectors", d.Name, len(d.TestLabels), d.NTest)
	}
	return nil
}
