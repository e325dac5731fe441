//go:build hdf5

package datasets

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"

	"gonum.org/v1/hdf5"
)

// The serial HDF5 library that Debian ships is not thread-safe.
var hdf5Mu sync.Mutex

// ReadHDF5 reads an ann-benchmarks HDF5 file: 2-d datasets "train" (N×D) and "test" (Q×D),
// optionally "neighbors" (Q×K ids) and "distances" (Q×K), and the file attribute "distance"
// ("euclidean", or "angular"/"cosine"). Values stored as float64 or 64-bit integers (as
// ann-benchmarks writes them) are converted. The returned Truth is nil when the file has no
// neighbors. Missing, corrupt or truncated files give an error wrapping ErrFormat.
func ReadHDF5(path string) (*Dataset, *Truth, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("read hdf5: %w", err)
	}
	hdf5Mu.Lock()
	defer hdf5Mu.Unlock()
	if !hdf5.IsHDF5(path) {
		return nil, nil, fmt.Errorf("read hdf5 %s: %w: not an HDF5 file", path, ErrFormat)
	}
	f, err := hdf5.OpenFile(path, hdf5.F_ACC_RDONLY)
	if err != nil {
		return nil, nil, fmt.Errorf("read hdf5 %s: %w: %v", path, ErrFormat, err)
	}
	defer f.Close()
	d, t, err := readHDF5(f, fileStem(path))
	if err != nil {
		return nil, nil, fmt.Errorf("read hdf5 %s: %w", path, err)
	}
	return d, t, nil
}

func readHDF5(f *hdf5.File, name string) (*Dataset, *Truth, error) {
	metric := Euclidean
	if strings.HasSuffix(name, "-angular") || strings.HasSuffix(name, "-cosine") {
		metric = Cosine
	}
	root, err := f.OpenGroup("/")
	if err != nil {
		return nil, nil, fmt.Errorf("%w: root group: %v", ErrFormat, err)
	}
	defer root.Close()
	{
		if a, err := root.OpenAttribute("distance"); err == nil {
			var s string
			err := a.Read(&s, hdf5.T_GO_STRING)
			a.Close()
			if err != nil {
				return nil, nil, fmt.Errorf("%w: attribute distance: %v", ErrFormat, err)
			}
			switch s {
			case "euclidean", "l2":
				metric = Euclidean
			case "angular", "cosine":
				metric = Cosine
			default:
				return nil, nil, fmt.Errorf("%w: distance %q not supported (euclidean, angular)", ErrFormat, s)
			}
		}
	}
	train, ntrain, dim, err := readHDF5Floats(f, "train")
	if err != nil {
		return nil, nil, err
	}
	test, ntest, dim2, err := readHDF5Floats(f, "test")
	if err != nil {
		return nil, nil, err
	}
	if dim2 != dim {
		return nil, nil, fmt.Errorf("%w: test dimension %d, train dimension %d", ErrFormat, dim2, dim)
	}
	d := &Dataset{Name: name, Dim: dim, Metric: metric, Train: train, Test: test, NTrain: ntrain, NTest: ntest,
		Description: fmt.Sprintf("ann-benchmarks HDF5 file %s: %d train, %d test, %d-d, %s", name, ntrain, ntest, dim, metric)}
	if !f.LinkExists("neighbors") {
		return d, nil, nil
	}
	ids, nq, k, err := readHDF5Ints(f, "neighbors")
	if err != nil {
		return nil, nil, err
	}
	if nq != ntest {
		return nil, nil, fmt.Errorf("%w: neighbors for %d queries, %d test vectors", ErrFormat, nq, ntest)
	}
	for _, id := range ids {
		if id < 0 || int(id) >= ntrain {
			return nil, nil, fmt.Errorf("%w: neighbor id %d outside 0..%d", ErrFormat, id, ntrain-1)
		}
	}
	t := &Truth{Dataset: name, Metric: metric, K: k, NTrain: ntrain, NTest: ntest, IDs: ids}
	if f.LinkExists("distances") {
		dist, nq2, k2, err := readHDF5Floats(f, "distances")
		if err != nil {
			return nil, nil, err
		}
		if nq2 != nq || k2 != k {
			return nil, nil, fmt.Errorf("%w: distances %d×%d, neighbors %d×%d", ErrFormat, nq2, k2, nq, k)
		}
		t.Dist = dist
	} else {
		// Recompute the distances of the given neighbours exactly.
		t.Dist = make([]float32, len(ids))
		for q := range ntest {
			for i, id := range t.Neighbors(q) {
				t.Dist[q*k+i] = float32(Distance(metric, d.TestVec(q), d.TrainVec(int(id))))
			}
		}
	}
	return d, t, nil
}

// hdf5Matrix opens a 2-d dataset and returns it with its shape and stored type.
func hdf5Matrix(f *hdf5.File, name string) (*hdf5.Dataset, *hdf5.Datatype, int, int, error) {
	if !f.LinkExists(name) {
		return nil, nil, 0, 0, fmt.Errorf("%w: no dataset %q", ErrFormat, name)
	}
	ds, err := f.OpenDataset(name)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%w: dataset %s: %v", ErrFormat, name, err)
	}
	sp := ds.Space()
	if sp == nil {
		ds.Close()
		return nil, nil, 0, 0, fmt.Errorf("%w: dataset %s: no dataspace", ErrFormat, name)
	}
	dims, _, err := sp.SimpleExtentDims()
	sp.Close()
	if err != nil || len(dims) != 2 || dims[0] > math.MaxInt32 || dims[1] == 0 || dims[1] > maxVecsDim {
		ds.Close()
		return nil, nil, 0, 0, fmt.Errorf("%w: dataset %s: shape %v, want 2-d (%v)", ErrFormat, name, dims, err)
	}
	dt, err := ds.Datatype()
	if err != nil {
		ds.Close()
		return nil, nil, 0, 0, fmt.Errorf("%w: dataset %s: type: %v", ErrFormat, name, err)
	}
	return ds, dt, int(dims[0]), int(dims[1]), nil
}

var errHDF5Type = errors.New("unsupported HDF5 element type")

func readHDF5Floats(f *hdf5.File, name string) ([]float32, int, int, error) {
	ds, dt, n, dim, err := hdf5Matrix(f, name)
	if err != nil {
		return nil, 0, 0, err
	}
	defer ds.Close()
	defer dt.Close()
	var out []float32
	switch {
	case dt.Equal(hdf5.T_NATIVE_FLOAT):
		out = make([]float32, n*dim)
		err = ds.Read(&out)
	case dt.Equal(hdf5.T_NATIVE_DOUBLE):
		tmp := make([]float64, n*dim)
		if err = ds.Read(&tmp); err == nil {
			out = make([]float32, len(tmp))
			for i, x := range tmp {
				out[i] = float32(x)
			}
		}
	case dt.Equal(hdf5.T_NATIVE_UINT8):
		tmp := make([]uint8, n*dim)
		if err = ds.Read(&tmp); err == nil {
			out = make([]float32, len(tmp))
			for i, x := range tmp {
				out[i] = float32(x)
			}
		}
	default:
		return nil, 0, 0, fmt.Errorf("%w: dataset %s: %w (class %d, %d bytes)", ErrFormat, name, errHDF5Type, dt.Class(), dt.Size())
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: dataset %s: %v", ErrFormat, name, err)
	}
	return out, n, dim, nil
}

func readHDF5Ints(f *hdf5.File, name string) ([]int32, int, int, error) {
	ds, dt, n, k, err := hdf5Matrix(f, name)
	if err != nil {
		return nil, 0, 0, err
	}
	defer ds.Close()
	defer dt.Close()
	var out []int32
	switch {
	case dt.Equal(hdf5.T_NATIVE_INT32):
		out = make([]int32, n*k)
		err = ds.Read(&out)
	case dt.Equal(hdf5.T_NATIVE_INT64):
		tmp := make([]int64, n*k)
		if err = ds.Read(&tmp); err == nil {
			out = make([]int32, len(tmp))
			for i, x := range tmp {
				if x < math.MinInt32 || x > math.MaxInt32 {
					return nil, 0, 0, fmt.Errorf("%w: dataset %s: id %d out of range", ErrFormat, name, x)
				}
				out[i] = int32(x)
			}
		}
	default:
		return nil, 0, 0, fmt.Errorf("%w: dataset %s: %w (class %d, %d bytes)", ErrFormat, name, errHDF5Type, dt.Class(), dt.Size())
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: dataset %s: %v", ErrFormat, name, err)
	}
	return out, n, k, nil
}

// WriteHDF5 writes d (and t, when not nil) as an ann-benchmarks HDF5 file: float32 train and
// test, int32 neighbors, float32 distances, and the attributes distance ("euclidean" or
// "angular") and dimension.
func WriteHDF5(path string, d *Dataset, t *Truth) error {
	if err := d.Validate(); err != nil {
		return err
	}
	hdf5Mu.Lock()
	defer hdf5Mu.Unlock()
	f, err := hdf5.CreateFile(path, hdf5.F_ACC_TRUNC)
	if err != nil {
		return fmt.Errorf("write hdf5 %s: %w", path, err)
	}
	werr := writeHDF5(f, d, t)
	if err := f.Close(); werr == nil && err != nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("write hdf5 %s: %w", path, werr)
	}
	return nil
}

func writeHDF5(f *hdf5.File, d *Dataset, t *Truth) error {
	metric := "euclidean"
	if d.Metric == Cosine {
		metric = "angular"
	}
	root, err := f.OpenGroup("/")
	if err != nil {
		return err
	}
	defer root.Close()
	if err := writeHDF5Attr(root, "distance", &metric, hdf5.T_GO_STRING); err != nil {
		return err
	}
	dim := int64(d.Dim)
	if err := writeHDF5Attr(root, "dimension", &dim, hdf5.T_NATIVE_INT64); err != nil {
		return err
	}
	if err := writeHDF5Matrix(f, "train", hdf5.T_NATIVE_FLOAT, &d.Train, d.NTrain, d.Dim); err != nil {
		return err
	}
	if err := writeHDF5Matrix(f, "test", hdf5.T_NATIVE_FLOAT, &d.Test, d.NTest, d.Dim); err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if err := writeHDF5Matrix(f, "neighbors", hdf5.T_NATIVE_INT32, &t.IDs, t.NTest, t.K); err != nil {
		return err
	}
	return writeHDF5Matrix(f, "distances", hdf5.T_NATIVE_FLOAT, &t.Dist, t.NTest, t.K)
}

func writeHDF5Attr(g *hdf5.Group, name string, v any, typ *hdf5.Datatype) error {
	sp, err := hdf5.CreateDataspace(hdf5.S_SCALAR)
	if err != nil {
		return err
	}
	defer sp.Close()
	dt, err := typ.Copy()
	if err != nil {
		return err
	}
	defer dt.Close()
	a, err := g.CreateAttribute(name, dt, sp)
	if err != nil {
		return fmt.Errorf("attribute %s: %w", name, err)
	}
	defer a.Close()
	if err := a.Write(v, dt); err != nil {
		return fmt.Errorf("attribute %s: %w", name, err)
	}
	return nil
}

func writeHDF5Matrix(f *hdf5.File, name string, typ *hdf5.Datatype, data any, n, dim int) error {
	if n == 0 {
		return fmt.Errorf("dataset %s: no rows", name)
	}
	sp, err := hdf5.CreateSimpleDataspace([]uint{uint(n), uint(dim)}, nil)
	if err != nil {
		return err
	}
	defer sp.Close()
	ds, err := f.CreateDataset(name, typ, sp)
	if err != nil {
		return fmt.Errorf("dataset %s: %w", name, err)
	}
	defer ds.Close()
	if err := ds.Write(data); err != nil {
		return fmt.Errorf("dataset %s: %w", name, err)
	}
	return nil
}
