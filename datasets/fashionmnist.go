package datasets

import (
	"context"
	"fmt"
	"path/filepath"
)

// FashionMNISTDir is where the Debian package dataset-fashion-mnist puts its files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

const fashionMNISTPackage = "dataset-fashion-mnist"

func fashionMNISTFiles() (trainX, trainY, testX, testY string) {
	f := func(s string) string { return filepath.Join(FashionMNISTDir, s) }
	return f("train-images-idx3-ubyte.gz"), f("train-labels-idx1-ubyte.gz"),
		f("t10k-images-idx3-ubyte.gz"), f("t10k-labels-idx1-ubyte.gz")
}

// loadFashionMNIST reads the 60,000 train and 10,000 test images as 784-d float32 vectors
// (pixel values 0–255, as ann-benchmarks uses them) with their class labels.
func loadFashionMNIST(ctx context.Context, name string, o LoadOptions) (*Dataset, error) {
	trainX, trainY, testX, testY := fashionMNISTFiles()
	if !allExist(trainX, trainY, testX, testY) {
		if o.NoInstall {
			return nil, fmt.Errorf("%w: %s missing (apt-get install %s)", ErrNotInstalled, FashionMNISTDir, fashionMNISTPackage)
		}
		if err := aptInstall(ctx, o.log(), fashionMNISTPackage); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
		}
		if !allExist(trainX, trainY, testX, testY) {
			return nil, fmt.Errorf("%w: %s still missing after installing %s", ErrNotInstalled, FashionMNISTDir, fashionMNISTPackage)
		}
	}
	d := &Dataset{Name: name, Metric: Euclidean, Description: "Fashion-MNIST 28×28 images, 60,000 train + 10,000 test, 784-d, L2 (Debian dataset-fashion-mnist)"}
	var err error
	var dim2 int
	if d.Train, d.NTrain, d.Dim, err = ReadIDXImages(trainX); err != nil {
		return nil, err
	}
	if d.Test, d.NTest, dim2, err = ReadIDXImages(testX); err != nil {
		return nil, err
	}
	if dim2 != d.Dim {
		return nil, fmt.Errorf("%w: test dimension %d != train dimension %d", ErrFormat, dim2, d.Dim)
	}
	if d.TrainLabels, err = ReadIDXLabels(trainY); err != nil {
		return nil, err
	}
	if d.TestLabels, err = ReadIDXLabels(testY); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return d, ctx.Err()
}
