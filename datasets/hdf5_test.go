//go:build hdf5

package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/hdf5"
)

func TestHDF5RoundTrip(t *testing.T) {
	for _, metric := range []string{Euclidean, Cosine} {
		d := randomDataset(11, 300, 20, 12, metric, 0)
		tr, err := GroundTruth(context.Background(), d, 10, TruthOptions{NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "random-12-"+metric+".hdf5")
		if err := WriteHDF5(p, d, tr); err != nil {
			t.Fatal(err)
		}
		got, gt, err := ReadHDF5(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Metric != metric || got.Dim != 12 || got.NTrain != 300 || got.NTest != 20 || got.Name != "random-12-"+metric {
			t.Fatalf("read %s %d-d %d/%d %q", got.Metric, got.Dim, got.NTrain, got.NTest, got.Name)
		}
		for i := range d.Train {
			if got.Train[i] != d.Train[i] {
				t.Fatalf("train[%d] = %v, want %v", i, got.Train[i], d.Train[i])
			}
		}
		for i := range d.Test {
			if got.Test[i] != d.Test[i] {
				t.Fatalf("test[%d] = %v, want %v", i, got.Test[i], d.Test[i])
			}
		}
		viaLoad, err := Load(context.Background(), p, LoadOptions{MaxTest: 5})
		if err != nil || viaLoad.NTest != 5 || viaLoad.Metric != metric || viaLoad.Train[7] != d.Train[7] {
			t.Fatalf("Load(%s): %v", p, err)
		}
		if gt == nil || gt.K != 10 || gt.NTest != 20 {
			t.Fatalf("truth %+v", gt)
		}
		for i := range tr.IDs {
			if gt.IDs[i] != tr.IDs[i] || gt.Dist[i] != tr.Dist[i] {
				t.Fatalf("truth %d: %d %v, want %d %v", i, gt.IDs[i], gt.Dist[i], tr.IDs[i], tr.Dist[i])
			}
		}
	}
}

// TestHDF5AnnBenchmarksTypes writes what ann-benchmarks writes with h5py: float64 data when
// the source was float64, int64 neighbours, and no distances here, so they are recomputed.
func TestHDF5AnnBenchmarksTypes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tiny-2-angular.hdf5")
	f, err := hdf5.CreateFile(p, hdf5.F_ACC_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string, typ *hdf5.Datatype, data any, n, k int) {
		sp, _ := hdf5.CreateSimpleDataspace([]uint{uint(n), uint(k)}, nil)
		ds, err := f.CreateDataset(name, typ, sp)
		if err != nil {
			t.Fatal(err)
		}
		if err := ds.Write(data); err != nil {
			t.Fatal(err)
		}
		ds.Close()
		sp.Close()
	}
	train := []float64{1, 0, 0, 1, 1, 1}
	test := []float64{2, 0.1}
	nb := []int64{0, 2}
	put("train", hdf5.T_NATIVE_DOUBLE, &train, 3, 2)
	put("test", hdf5.T_NATIVE_DOUBLE, &test, 1, 2)
	put("neighbors", hdf5.T_NATIVE_INT64, &nb, 1, 2)
	f.Close()

	d, tr, err := ReadHDF5(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Metric != Cosine { // from the name: no distance attribute in this file
		t.Errorf("metric %s, want cosine", d.Metric)
	}
	if d.Train[4] != 1 || d.Test[1] != 0.1 {
		t.Errorf("values %v %v", d.Train, d.Test)
	}
	if tr.IDs[1] != 2 || float64(tr.Dist[0]) != float64(float32(Distance(Cosine, d.TestVec(0), d.TrainVec(0)))) {
		t.Errorf("truth %v %v", tr.IDs, tr.Dist)
	}
}

func TestHDF5Corrupt(t *testing.T) {
	dir := t.TempDir()
	d := randomDataset(12, 2000, 50, 16, Euclidean, 0)
	good := filepath.Join(dir, "good.hdf5")
	if err := WriteHDF5(good, d, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, p := range map[string]string{
		"truncated":   write("truncated.hdf5", b[:len(b)/2]),
		"header only": write("header.hdf5", b[:100]),
		"not hdf5":    write("text.hdf5", []byte("hello, this is not an HDF5 file at all")),
		"empty":       write("empty.hdf5", nil),
	} {
		if _, _, err := ReadHDF5(p); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
	if _, _, err := ReadHDF5(filepath.Join(dir, "missing.hdf5")); err == nil {
		t.Error("missing file: no error")
	}

	// A valid HDF5 file without "train", and one whose train is 1-d.
	p := filepath.Join(dir, "notrain.hdf5")
	f, _ := hdf5.CreateFile(p, hdf5.F_ACC_TRUNC)
	sp, _ := hdf5.CreateSimpleDataspace([]uint{4}, nil)
	ds, _ := f.CreateDataset("test", hdf5.T_NATIVE_FLOAT, sp)
	v := []float32{1, 2, 3, 4}
	ds.Write(&v)
	ds.Close()
	ds, _ = f.CreateDataset("train", hdf5.T_NATIVE_FLOAT, sp)
	ds.Write(&v)
	ds.Close()
	sp.Close()
	f.Close()
	if _, _, err := ReadHDF5(p); !errors.Is(err, ErrFormat) {
		t.Errorf("1-d train: err = %v, want ErrFormat", err)
	}
}
