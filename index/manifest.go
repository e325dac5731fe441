package index

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// manifestV1 is the only manifest version so far. Readers reject newer ones.
const manifestV1 = 1

// manifest is one generation of an index: the single source of truth. It is
// JSON (small: one entry per neighborhood and per unfolded WAL object) and
// written create-only under data/<id>/manifest/<Seq, 20 digits>.
type manifest struct {
	V       int         `json:"v"`
	Seq     uint64      `json:"seq"`
	IndexID string      `json:"indexId"`
	Config  IndexConfig `json:"config"`
	// Epoch is bumped by the first commit of each Index instance (process);
	// it records which writer produced a generation. Commits are serialized
	// by the create-only write, so it fences nothing by itself.
	Epoch uint64 `json:"epoch"`
	// NextSeq is the sequence number the next written record gets. Records
	// are numbered from 1 in commit order.
	NextSeq uint64 `json:"nextSeq"`
	// NextNbhd is the id the next new neighborhood gets.
	NextNbhd uint64 `json:"nextNbhd"`
	// Centroids is the centroid table object ("" before the first build);
	// its rows are in the order of Neighborhoods.
	Centroids string `json:"centroids,omitempty"`
	// KeyFilters is the key filter table object (keyfilter.go) whose rows
	// cover Neighborhoods in order; "" for none (reads then consider every
	// neighborhood).
	KeyFilters    string    `json:"keyFilters,omitempty"`
	Neighborhoods []nbhdRef `json:"neighborhoods,omitempty"`
	// WAL lists the write batches not yet folded into neighborhoods, oldest
	// first; every WAL record is newer than every neighborhood record.
	WAL []walRef `json:"wal,omitempty"`
	// Calibration is the recall@10 estimated for probing 1, 2, … of the
	// CalibrationK neighborhoods the last full build produced
	// (neighborhoods.Calibrate); queries turn a target recall into nprobe
	// with it, scaled to the current neighborhood count.
	Calibration  []float32 `json:"calibration,omitempty"`
	CalibrationK int       `json:"calibrationK,omitempty"`
	// Deleted marks the tombstone generation of a deleted index.
	Deleted bool `json:"deleted,omitempty"`
}

// nbhdRef points at one neighborhood object.
type nbhdRef struct {
	ID     uint64 `json:"id"`
	Object string `json:"object"`
	Count  int    `json:"count"`
	Bytes  int64  `json:"bytes"`
}

// walRef points at one WAL object. Its rows carry sequence numbers relative
// to the batch (0…Count-1); record i has sequence FirstSeq+i.
type walRef struct {
	Object   string `json:"object"`
	FirstSeq uint64 `json:"firstSeq"`
	Count    int    `json:"count"`
	Bytes    int64  `json:"bytes"`
}

func (m *manifest) encode() []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode manifest: %v", err)) // plain structs always marshal
	}
	return b
}

func decodeManifest(data []byte) (*manifest, error) {
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	if m.V != manifestV1 {
		return nil, fmt.Errorf("decode manifest: version %d, this build reads %d", m.V, manifestV1)
	}
	return &m, nil
}

// next returns a copy of m for the following generation.
func (m *manifest) next() *manifest {
	n := *m
	n.Seq++
	n.Neighborhoods = slices.Clone(m.Neighborhoods)
	n.WAL = slices.Clone(m.WAL)
	n.Calibration = slices.Clone(m.Calibration)
	n.Config.NonFilterableKeys = slices.Clone(m.Config.NonFilterableKeys)
	return &n
}

// walCount is the number of records in the WAL tail.
func (m *manifest) walCount() int {
	n := 0
	for _, w := range m.WAL {
		n += w.Count
	}
	return n
}

// nbhdCount is the number of records in neighborhoods.
func (m *manifest) nbhdCount() int {
	n := 0
	for _, r := range m.Neighborhoods {
		n += r.Count
	}
	return n
}

// objects returns every object the generation references.
// nextWithWAL is m's successor with one more WAL object (count records of
// size bytes) at its tail, numbered from m's NextSeq (records start at 1).
func (m *manifest) nextWithWAL(object string, count int, size int64) *manifest {
	next := m.next()
	if next.NextSeq == 0 {
		next.NextSeq = 1
	}
	next.WAL = append(next.WAL, walRef{Object: object, FirstSeq: next.NextSeq, Count: count, Bytes: size})
	next.NextSeq += uint64(count)
	return next
}

func (m *manifest) objects() []string {
	out := make([]string, 0, len(m.Neighborhoods)+len(m.WAL)+1)
	if m.Centroids != "" {
		out = append(out, m.Centroids)
	}
	if m.KeyFilters != "" {
		out = append(out, m.KeyFilters)
	}
	for _, r := range m.Neighborhoods {
		out = append(out, r.Object)
	}
	for _, w := range m.WAL {
		out = append(out, w.Object)
	}
	return out
}

func dataDir(id string) string     { return dataPrefix + id + "/" }
func manifestDir(id string) string { return dataDir(id) + "manifest/" }

func manifestKey(id string, seq uint64) string {
	return fmt.Sprintf("%s%020d", manifestDir(id), seq)
}

func parseManifestKey(key string) (uint64, bool) {
	i := strings.LastIndexByte(key, '/')
	s, err := strconv.ParseUint(key[i+1:], 10, 64)
	return s, err == nil && len(key)-i-1 == 20
}

func walKey(id string) string { return dataDir(id) + "wal/" + newID() + ".arrow" }

// nbhdKey and centroidsKey name a new object written by fold (lease.go).
func nbhdKey(id, fold string) string { return dataDir(id) + "nbhd/" + fold + "-" + newID() + ".arrow" }
func centroidsKey(id, fold string) string {
	return dataDir(id) + "centroids/" + fold + "-" + newID() + ".arrow"
}
