//go:build !hdf5

package datasets

import "fmt"

// ReadHDF5 reads an ann-benchmarks HDF5 file; this build has no HDF5 support (it needs
// -tags hdf5, cgo and Debian's libhdf5-dev), so it returns an error wrapping ErrNoHDF5.
func ReadHDF5(path string) (*Dataset, *Truth, error) {
	return nil, nil, fmt.Errorf("read hdf5 %s: %w", path, ErrNoHDF5)
}

// WriteHDF5 writes an ann-benchmarks HDF5 file; this build has no HDF5 support, so it
// returns an error wrapping ErrNoHDF5.
func WriteHDF5(path string, d *Dataset, t *Truth) error {
	return fmt.Errorf("write hdf5 %s: %w", path, ErrNoHDF5)
}
