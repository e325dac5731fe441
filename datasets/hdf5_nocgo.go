//go:build !cgo || nohdf5

package datasets

import (
	"errors"
	"fmt"
)

var errNoCgo = errors.New("HDF5 support needs cgo and libhdf5 (this binary was built with CGO_ENABLED=0 or -tags nohdf5)")

// ReadHDF5 reads an ann-benchmarks HDF5 file; this build has no HDF5 support.
func ReadHDF5(path string) (*Dataset, *Truth, error) {
	return nil, nil, fmt.Errorf("read hdf5 %s: %w", path, errNoCgo)
}

// WriteHDF5 writes an ann-benchmarks HDF5 file; this build has no HDF5 support.
func WriteHDF5(path string, d *Dataset, t *Truth) error {
	return fmt.Errorf("write hdf5 %s: %w", path, errNoCgo)
}
