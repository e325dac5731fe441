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
