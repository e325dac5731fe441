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

// Ground-truth cache file layout (little-endian):
//
//	"VBTRUTH1"                 8-byte magic
//	uint32 n, n bytes          JSON truthHeader
//	NTest*K int32              neighbour ids
//	NTest*K float32            distances
//	uint32                     CRC-32C of every byte before it
const truthMagic = "VBTRUTH1"

type truthHeader struct {
	Dataset     string `json:"dataset"`
	Metric      string `json:"metric"`
	K           int    `json:"k"`
	NTrain      int    `json:"ntrain"`
	NTest       int    `json:"ntest"`
	Dim         int    `json:"dim"`
	Fingerprint uint32 `json:"data_crc32c"` // CRC-32C of the train and test values
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func truthPath(dir string, d *Dataset, k int) string {
	return filepath.Join(dir, d.Name, fmt.Sprintf("truth-%dx%d-k%d.bin", d.NTrain, d.NTest, k))
}

// fingerprint identifies a data set's values, so a cache built from other data is stale.
func fingerprint(d *Dataset) uint32 {
	c := crc32.Update(0, castagnoli, floatBytes(d.Train))
	return crc32.Update(c, castagnoli, floatBytes(d.Test))
}

func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

func writeTruthFile(path string, t *Truth, dim int, fp uint32) error {
	hdr, err := json.Marshal(truthHeader{t.Dataset, t.Metric, t.K, t.NTrain, t.NTest, dim, fp})
	if err != nil {
		return err
	}
	n := len(t.IDs)
	b := make([]byte, 0, 8+4+len(hdr)+8*n+4)
	b = append(b, truthMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(b, hdr...)
	for _, id := range t.IDs {
		b = binary.LittleEndian.AppendUint32(b, uint32(id))
	}
	for _, x := range t.Dist {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
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

// readTruthFile reads a cache file and checks it belongs to d, k and fingerprint fp.
func readTruthFile(path string, d *Dataset, k int, fp uint32) (*Truth, error) {
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
	want := truthHeader{d.Name, d.Metric, k, d.NTrain, d.NTest, d.Dim, fp}
	if h != want {
		return nil, fmt.Errorf("%w: %s: stale (header %+v, want %+v)", ErrFormat, path, h, want)
	}
	n := h.NTest * h.K
	p := body[12+hl:]
	if len(p) != 8*n {
		return nil, fmt.Errorf("%w: %s: %d payload bytes, want %d", ErrFormat, path, len(p), 8*n)
	}
	t := &Truth{Dataset: h.Dataset, Metric: h.Metric, K: h.K, NTrain: h.NTrain, NTest: h.NTest,
		IDs: make([]int32, n), Dist: make([]float32, n)}
	for i := range n {
		t.IDs[i] = int32(binary.LittleEndian.Uint32(p[4*i:]))
		t.Dist[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*(n+i):]))
	}
	return t, nil
}
