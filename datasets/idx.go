package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// IDX is one array read from an IDX file (the MNIST family's format): a big-endian header
// of magic bytes {0, 0, type, ndims} and ndims uint32 sizes, then the values. Only the
// unsigned-byte type (0x08) is supported, which is what MNIST-style data sets use.
type IDX struct {
	Dims []int  // sizes, outermost first, e.g. [60000 28 28]
	Data []byte // product(Dims) values, row-major
}

const idxUbyte = 0x08

// maxIDXBytes bounds the size a header may announce before any allocation (4 GiB).
const maxIDXBytes = 1 << 32

// ReadIDX reads an IDX array from r. A truncated stream, trailing bytes, or an unsupported
// header is an error wrapping ErrFormat.
func ReadIDX(r io.Reader) (*IDX, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: idx header: %v", ErrFormat, err)
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, fmt.Errorf("%w: idx magic %x is not 0000xxxx", ErrFormat, hdr)
	}
	if hdr[2] != idxUbyte {
		return nil, fmt.Errorf("%w: idx value type 0x%02x unsupported (only 0x08 unsigned byte)", ErrFormat, hdr[2])
	}
	nd := int(hdr[3])
	if nd == 0 {
		return nil, fmt.Errorf("%w: idx with 0 dimensions", ErrFormat)
	}
	dims := make([]int, nd)
	total := 1
	for i := range dims {
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: idx dimension %d: %v", ErrFormat, i, err)
		}
		dims[i] = int(binary.BigEndian.Uint32(b[:]))
		if dims[i] != 0 && total > maxIDXBytes/dims[i] {
			return nil, fmt.Errorf("%w: idx announces more than %d values", ErrFormat, maxIDXBytes)
		}
		total *= dims[i]
	}
	// Grow with the data actually read, so a header announcing gigabytes costs nothing.
	var data []byte
	var err error
	if total <= 1<<26 {
		data = make([]byte, total)
		var n int
		n, err = io.ReadFull(r, data)
		data = data[:n]
	} else {
		data, err = io.ReadAll(io.LimitReader(r, int64(total)))
	}
	if len(data) != total {
		return nil, fmt.Errorf("%w: idx data truncated: %d of %d bytes: %v", ErrFormat, len(data), total, err)
	}
	var extra [1]byte
	switch n, err := r.Read(extra[:]); {
	case n > 0:
		return nil, fmt.Errorf("%w: idx has trailing bytes after %d values", ErrFormat, total)
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("%w: idx: %v", ErrFormat, err)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// ReadIDXFile reads an IDX file, gunzipping it when its name ends in ".gz".
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read idx: %w", err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("read idx %s: %w: gzip: %v", path, ErrFormat, err)
		}
		defer zr.Close()
		zr.Multistream(false)
		r = zr
	}
	x, err := ReadIDX(r)
	if err != nil {
		return nil, fmt.Errorf("read idx %s: %w", path, err)
	}
	return x, nil
}

// ReadIDXImages reads an image file (3 dimensions: count × rows × cols) as float32 vectors
// of rows*cols pixel values 0–255, returning the flat values, the count and the dimension.
func ReadIDXImages(path string) (vecs []float32, n, dim int, err error) {
	x, err := ReadIDXFile(path)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(x.Dims) != 3 {
		return nil, 0, 0, fmt.Errorf("read idx images %s: %w: %d dimensions, want 3", path, ErrFormat, len(x.Dims))
	}
	n, dim = x.Dims[0], x.Dims[1]*x.Dims[2]
	vecs = make([]float32, len(x.Data))
	for i, b := range x.Data {
		vecs[i] = float32(b)
	}
	return vecs, n, dim, nil
}

// ReadIDXLabels reads a label file (1 dimension).
func ReadIDXLabels(path string) ([]uint8, error) {
	x, err := ReadIDXFile(path)
	if err != nil {
		return nil, err
	}
	if len(x.Dims) != 1 {
		return nil, fmt.Errorf("read idx labels %s: %w: %d dimensions, want 1", path, ErrFormat, len(x.Dims))
	}
	return x.Data, nil
}
