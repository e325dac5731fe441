package datasets

import (
	"context"
	"errors"
	"os"
	"testing"
)

// needData skips (or fails under CI) when a data set cannot be loaded.
func needData(t *testing.T, name string, o LoadOptions) *Dataset {
	t.Helper()
	if os.Getenv("CI") == "" {
		o.NoInstall = true
	}
	d, err := Load(context.Background(), name, o)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("load %s: %v", name, err)
		}
		t.Skipf("data set %s not available (set CI=1 to install): %v", name, err)
	}
	return d
}

func TestFashionMNISTRealFiles(t *testing.T) {
	trainX, _, _, _ := fashionMNISTFiles()
	x := needData(t, "fashion-mnist-784-euclidean", LoadOptions{})
	if x.NTrain != 60000 || x.NTest != 10000 || x.Dim != 784 || x.Metric != Euclidean || x.Synthetic {
		t.Fatalf("got %d train, %d test, dim %d, %s, synthetic %v", x.NTrain, x.NTest, x.Dim, x.Metric, x.Synthetic)
	}
	if err := x.Validate(); err != nil {
		t.Fatal(err)
	}
	raw, err := ReadIDXFile(trainX)
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Dims; len(got) != 3 || got[0] != 60000 || got[1] != 28 || got[2] != 28 {
		t.Fatalf("train header dims = %v, want [60000 28 28]", got)
	}
	// First labels and pixel sums, read independently with Python's gzip module.
	wantTrain := []uint8{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}
	wantTest := []uint8{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}
	for i := range wantTrain {
		if x.TrainLabels[i] != wantTrain[i] || x.TestLabels[i] != wantTest[i] {
			t.Fatalf("label %d: train %d test %d, want %d %d", i, x.TrainLabels[i], x.TestLabels[i], wantTrain[i], wantTest[i])
		}
	}
	sum := func(v []float32) (s float64) {
		for _, f := range v {
			s += float64(f)
		}
		return s
	}
	if s := sum(x.TrainVec(0)); s != 76247 {
		t.Errorf("sum of train image 0 = %v, want 76247", s)
	}
	if s := sum(x.TestVec(0)); s != 33456 {
		t.Errorf("sum of test image 0 = %v, want 33456", s)
	}
	if max := x.TrainVec(0); len(max) != 784 {
		t.Errorf("TrainVec length %d", len(max))
	}

	sub := needData(t, "fashion-mnist-784-euclidean", LoadOptions{MaxTrain: 1000, MaxTest: 10})
	if sub.NTrain != 1000 || sub.NTest != 10 || len(sub.TrainLabels) != 1000 || len(sub.Test) != 7840 {
		t.Fatalf("subset: %d train, %d test, %d labels", sub.NTrain, sub.NTest, len(sub.TrainLabels))
	}
	if err := sub.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, err := Load(context.Background(), "no-such-set-1-euclidean"); !errors.Is(err, ErrUnknownDataset) {
		t.Fatalf("unknown data set: err = %v, want ErrUnknownDataset", err)
	}
}
