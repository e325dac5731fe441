package datasets

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"unsafe"
)

// Ground-truth cache file layout, version 2 (little-endian):
//
//	"VBTRUTH2"                 8-byte magic
//	uint32 n, n bytes          JSON truthHeader
//	NTest*K int32              neighbour ids
//	NTest*K float32            distances
//	NTest uint32               CRC-32C of each test vector's values
//	uint32                     CRC-32C of every byte before it
//
// The per-query checksums let a cache computed for more queries (and a larger k) answer a
// request for a prefix of them over the same train vectors.
const truthMagic = "VBTRUTH2"

type truthHeader struct {
	Dataset  string `json:"dataset"`
	Metric   string `json:"metric"`
	K        int    `json:"k"`
	NTrain   int    `json:"ntrain"`
	NTest    int    `json:"ntest"`
	Dim      int    `json:"dim"`
	TrainCRC uint32 `json:"train_crc32c"` // CRC-32C of the train values
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func truthPath(dir string, d *Dataset, k int) string {
	return filepath.Join(dir, d.Name, fmt.Sprintf("truth-%dx%d-k%d.bin", d.NTrain, d.NTest, k))
}

// dataPrint identifies a data set's values, so that a cache built from other data is stale.
type dataPrint struct {
	train uint32
	test  []uint32 // one per test vector
}

func fingerprint(d *Dataset) dataPrint {
	p := dataPrint{train: crc32.Checksum(floatBytes(d.Train), castagnoli), test: make([]uint32, d.NTest)}
	for q := range d.NTest {
		p.test[q] = crc32.Checksum(floatBytes(d.TestVec(q)), castagnoli)
	}
	return p
}

func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

func writeTruthFile(path string, t *Truth, dim int, fp dataPrint) error {
	hdr, err := json.Marshal(truthHeader{t.Dataset, t.Metric, t.K, t.NTrain, t.NTest, dim, fp.train})
	if err != nil {
		return err
	}
	n := len(t.IDs)
	b := make([]byte, 0, 8+4+len(hdr)+8*n+4*t.NTest+4)
	b = append(b, truthMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(b, hdr...)
	for _, id := range t.IDs {
		b = binary.LittleEndian.AppendUint32(b, uint32(id))
	}
	for _, x := range t.Dist {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	for _, c := range fp.test {
		b = binary.LittleEndian.AppendUint32(b, c)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write ground truth: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write ground truth: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write ground truth: %w", err)
	}
	return nil
}

// readTruthFile reads a cache file and returns the truth for d and k if the file covers
// them: same name, metric, dimension and train values, at least d.NTest queries whose first
// d.NTest are d's test vectors, and at least k neighbours.
func readTruthFile(path string, d *Dataset, k int, fp dataPrint) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 16 || string(b[:8]) != truthMagic {
		return nil, fmt.Errorf("%w: %s: not a ground-truth file", ErrFormat, path)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: %s: checksum mismatch", ErrFormat, path)
	}
	hl := int(binary.LittleEndian.Uint32(body[8:]))
	if hl > len(body)-12 {
		return nil, fmt.Errorf("%w: %s: header length %d", ErrFormat, path, hl)
	}
	var h truthHeader
	if err := json.Unmarshal(body[12:12+hl], &h); err != nil {
		return nil, fmt.Errorf("%w: %s: header: %v", ErrFormat, path, err)
	}
	if h.Dataset != d.Name || h.Metric != d.Metric || h.Dim != d.Dim || h.NTrain != d.NTrain ||
		h.TrainCRC != fp.train || h.NTest < d.NTest || h.K < k || h.K <= 0 {
		return nil, fmt.Errorf("%w: %s: does not cover this request (header %+v)", ErrFormat, path, h)
	}
	n := h.NTest * h.K
	p := body[12+hl:]
	if len(p) != 8*n+4*h.NTest {
		return nil, fmt.Errorf("%w: %s: %d payload bytes, want %d", ErrFormat, path, len(p), 8*n+4*h.NTest)
	}
	for q := range d.NTest {
		if binary.LittleEndian.Uint32(p[8*n+4*q:]) != fp.test[q] {
			return nil, fmt.Errorf("%w: %s: test vector %d differs", ErrFormat, path, q)
		}
	}
	t := &Truth{Dataset: h.Dataset, Metric: h.Metric, K: k, NTrain: h.NTrain, NTest: d.NTest,
		IDs: make([]int32, d.NTest*k), Dist: make([]float32, d.NTest*k)}
	for q := range d.NTest {
		for i := range k {
			j := q*h.K + i
			t.IDs[q*k+i] = int32(binary.LittleEndian.Uint32(p[4*j:]))
			t.Dist[q*k+i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*(n+j):]))
		}
	}
	return t, nil
}

// findTruth returns the truth for d and k from the exact cache file, or else from any cache
// file of the same data set that covers it.
func findTruth(dir string, d *Dataset, k int, fp dataPrint) (*Truth, error) {
	if t, err := readTruthFile(truthPath(dir, d, k), d, k, fp); err == nil {
		return t, nil
	}
	matches, _ := filepath.Glob(filepath.Join(dir, d.Name, fmt.Sprintf("truth-%dx*-k*.bin", d.NTrain)))
	for _, m := range matches {
		if t, err := readTruthFile(m, d, k, fp); err == nil {
			return t, nil
		}
	}
	return nil, fmt.Errorf("no cached ground truth for %s", d.Name)
}
