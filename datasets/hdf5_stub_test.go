//go:build !hdf5

package datasets

import (
	"errors"
	"path/filepath"
	"testing"
)

// Without -tags hdf5 the readers say how to get HDF5 support, and Load passes the
// error on for an .hdf5 path instead of trying to install it.
func TestHDF5NotCompiledIn(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.hdf5")
	if _, _, err := ReadHDF5(p); !errors.Is(err, ErrNoHDF5) {
		t.Fatalf("ReadHDF5: got %v, want ErrNoHDF5", err)
	}
	if err := WriteHDF5(p, &Dataset{}, nil); !errors.Is(err, ErrNoHDF5) {
		t.Fatalf("WriteHDF5: got %v, want ErrNoHDF5", err)
	}
	if _, err := Load(t.Context(), p); !errors.Is(err, ErrNoHDF5) {
		t.Fatalf("Load: got %v, want ErrNoHDF5", err)
	}
}
