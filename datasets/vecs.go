package datasets

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// The TEXMEX vector formats (fvecs, ivecs, bvecs): each vector is a little-endian int32
// dimension followed by that many float32, int32 or uint8 values. All vectors of a file have
// the same dimension.

const maxVecsDim = 1 << 20

// readVecs reads records of elemSize-byte values, calling add with each record's raw bytes.
// It stops after max records when max > 0.
func readVecs(r io.Reader, elemSize, max int, add func(rec []byte)) (n, dim int, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var hdr [4]byte
	var rec []byte
	for max <= 0 || n < max {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				break
			}
			return n, dim, fmt.Errorf("%w: vector %d: truncated dimension: %v", ErrFormat, n, err)
		}
		d := int(int32(binary.LittleEndian.Uint32(hdr[:])))
		if d <= 0 || d > maxVecsDim {
			return n, dim, fmt.Errorf("%w: vector %d: dimension %d", ErrFormat, n, d)
		}
		if n == 0 {
			dim = d
			rec = make([]byte, d*elemSize)
		} else if d != dim {
			return n, dim, fmt.Errorf("%w: vector %d: dimension %d, earlier vectors %d", ErrFormat, n, d, dim)
		}
		if _, err := io.ReadFull(br, rec); err != nil {
			return n, dim, fmt.Errorf("%w: vector %d: truncated values: %v", ErrFormat, n, err)
		}
		add(rec)
		n++
	}
	return n, dim, nil
}

// ReadFvecs reads float32 vectors from an fvecs stream, at most max when max > 0.
func ReadFvecs(r io.Reader, max int) (vecs []float32, n, dim int, err error) {
	n, dim, err = readVecs(r, 4, max, func(rec []byte) {
		for i := 0; i < len(rec); i += 4 {
			vecs = append(vecs, math.Float32frombits(binary.LittleEndian.Uint32(rec[i:])))
		}
	})
	return vecs, n, dim, err
}

// ReadIvecs reads int32 vectors from an ivecs stream, at most max when max > 0.
func ReadIvecs(r io.Reader, max int) (vecs []int32, n, dim int, err error) {
	n, dim, err = readVecs(r, 4, max, func(rec []byte) {
		for i := 0; i < len(rec); i += 4 {
			vecs = append(vecs, int32(binary.LittleEndian.Uint32(rec[i:])))
		}
	})
	return vecs, n, dim, err
}

// ReadBvecs reads uint8 vectors from a bvecs stream, at most max when max > 0.
func ReadBvecs(r io.Reader, max int) (vecs []uint8, n, dim int, err error) {
	n, dim, err = readVecs(r, 1, max, func(rec []byte) { vecs = append(vecs, rec...) })
	return vecs, n, dim, err
}

// ReadFvecsFile reads an fvecs file, at most max vectors when max > 0.
func ReadFvecsFile(path string, max int) (vecs []float32, n, dim int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read fvecs: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && max <= 0 {
		vecs = make([]float32, 0, st.Size()/4)
	}
	n, dim, err = readVecs(f, 4, max, func(rec []byte) {
		for i := 0; i < len(rec); i += 4 {
			vecs = append(vecs, math.Float32frombits(binary.LittleEndian.Uint32(rec[i:])))
		}
	})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read fvecs %s: %w", path, err)
	}
	return vecs, n, dim, nil
}

// ReadIvecsFile reads an ivecs file, at most max vectors when max > 0.
func ReadIvecsFile(path string, max int) (vecs []int32, n, dim int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read ivecs: %w", err)
	}
	defer f.Close()
	vecs, n, dim, err = ReadIvecs(f, max)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read ivecs %s: %w", path, err)
	}
	return vecs, n, dim, nil
}

var errVecsShape = errors.New("values not a multiple of the dimension")

// writeVecs writes len(vals)/dim records of elemSize-byte values put by put.
func writeVecs(w io.Writer, count, dim, elemSize int, put func(dst []byte, i int)) error {
	if dim <= 0 || dim > maxVecsDim {
		return fmt.Errorf("write vecs: dimension %d", dim)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	rec := make([]byte, 4+dim*elemSize)
	binary.LittleEndian.PutUint32(rec, uint32(dim))
	for v := range count {
		for c := range dim {
			put(rec[4+c*elemSize:], v*dim+c)
		}
		if _, err := bw.Write(rec); err != nil {
			return fmt.Errorf("write vecs: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write vecs: %w", err)
	}
	return nil
}

// WriteFvecs writes len(vecs)/dim float32 vectors in fvecs format.
func WriteFvecs(w io.Writer, vecs []float32, dim int) error {
	if dim <= 0 || len(vecs)%dim != 0 {
		return fmt.Errorf("write fvecs: %d values, dimension %d: %w", len(vecs), dim, errVecsShape)
	}
	return writeVecs(w, len(vecs)/dim, dim, 4, func(dst []byte, i int) {
		binary.LittleEndian.PutUint32(dst, math.Float32bits(vecs[i]))
	})
}

// WriteIvecs writes len(vecs)/dim int32 vectors in ivecs format.
func WriteIvecs(w io.Writer, vecs []int32, dim int) error {
	if dim <= 0 || len(vecs)%dim != 0 {
		return fmt.Errorf("write ivecs: %d values, dimension %d: %w", len(vecs), dim, errVecsShape)
	}
	return writeVecs(w, len(vecs)/dim, dim, 4, func(dst []byte, i int) {
		binary.LittleEndian.PutUint32(dst, uint32(vecs[i]))
	})
}

// WriteBvecs writes len(vecs)/dim uint8 vectors in bvecs format.
func WriteBvecs(w io.Writer, vecs []uint8, dim int) error {
	if dim <= 0 || len(vecs)%dim != 0 {
		return fmt.Errorf("write bvecs: %d values, dimension %d: %w", len(vecs), dim, errVecsShape)
	}
	return writeVecs(w, len(vecs)/dim, dim, 1, func(dst []byte, i int) { dst[0] = vecs[i] })
}

// WriteFvecsFile writes an fvecs file atomically (temporary file, then rename).
func WriteFvecsFile(path string, vecs []float32, dim int) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return WriteFvecs(w, vecs, dim) })
}

// WriteIvecsFile writes an ivecs file atomically (temporary file, then rename).
func WriteIvecsFile(path string, vecs []int32, dim int) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return WriteIvecs(w, vecs, dim) })
}

// WriteFileAtomic creates path with the bytes write writes: into path+".tmp", synced, then
// renamed over path, so a reader never sees a partial file.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
