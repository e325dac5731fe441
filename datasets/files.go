package datasets

import (
	"path/filepath"
	"strings"
)

// fileStem is a file's base name without its extension, used as the data set name.
func fileStem(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// isHDF5Path reports whether a data set name is an HDF5 file path.
func isHDF5Path(name string) bool {
	return strings.HasSuffix(name, ".hdf5") || strings.HasSuffix(name, ".h5")
}
