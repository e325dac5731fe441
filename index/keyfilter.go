package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
)

// Key filters: a Bloom filter of the keys of each neighborhood, all of one
// generation's in one immutable object (data/<id>/keys/<uuid>.bin) that the
// manifest names (manifest.KeyFilters), so that GetVectors of a key reads
// the neighborhoods whose filter may hold it — about one — instead of every
// neighborhood. The filters are advisory: a generation without a table, a
// table that cannot be read, or one whose rows do not name the generation's
// neighborhoods makes the read fall back to every neighborhood.

// keyFilterBits is the filter size per key (10 bits and 7 probes: about 1 %
// false positives); keyFilterProbes the number of bit probes per key.
const (
	keyFilterBits   = 10
	keyFilterProbes = 7
)

// keyFilterMagic starts a key filter table object (format version 1).
var keyFilterMagic = []byte("vbkeyf01")

// errKeyFilterTable marks an unreadable key filter table.
var errKeyFilterTable = errors.New("key filter table")

// keyFilter is a Bloom filter over keys: a bit array whose length is a
// multiple of 64 bits.
type keyFilter []byte

// newKeyFilter returns an empty filter sized for n keys.
func newKeyFilter(n int) keyFilter {
	words := max(1, (n*keyFilterBits+63)/64)
	return make(keyFilter, 8*words)
}

// filterHashes returns the two hashes whose combinations h1 + i·h2 are
// the bit positions: FNV-1a of the key, mixed by the splitmix64 finalizer
// (FNV alone leaves the low bits of similar short keys correlated, which
// made filters of "k0001"-style keys match 20 % of other keys).
func filterHashes(key string) (uint32, uint32) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	s := mix64(h.Sum64())
	return uint32(s), uint32(mix64(s)>>32) | 1
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (f keyFilter) add(key string) {
	h1, h2 := filterHashes(key)
	m := uint32(len(f) * 8)
	for i := range uint32(keyFilterProbes) {
		b := (h1 + i*h2) % m
		f[b/8] |= 1 << (b % 8)
	}
}

// mayContain reports whether key may have been added (false: it was not).
func (f keyFilter) mayContain(key string) bool {
	if len(f) == 0 {
		return true
	}
	h1, h2 := filterHashes(key)
	m := uint32(len(f) * 8)
	for i := range uint32(keyFilterProbes) {
		b := (h1 + i*h2) % m
		if f[b/8]&(1<<(b%8)) == 0 {
			return false
		}
	}
	return true
}

// segmentKeyFilter is the filter of every key of s (tombstones included:
// neighborhoods hold none).
func segmentKeyFilter(s *segment) keyFilter {
	f := newKeyFilter(s.Len())
	for i := range s.Len() {
		f.add(s.Key(i))
	}
	return f
}

// encodeKeyFilters writes a table: magic, row count, then per row the
// neighborhood object it covers and its filter, and a CRC-32 of the rest.
func encodeKeyFilters(objects []string, filters []keyFilter) []byte {
	var b bytes.Buffer
	b.Write(keyFilterMagic)
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(objects)))
	for i, o := range objects {
		_ = binary.Write(&b, binary.LittleEndian, uint16(len(o)))
		b.WriteString(o)
		_ = binary.Write(&b, binary.LittleEndian, uint32(len(filters[i])))
		b.Write(filters[i])
	}
	_ = binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes()
}

// decodeKeyFilters reads a table and checks that its rows cover exactly the
// neighborhoods refs, in order.
func decodeKeyFilters(data []byte, refs []nbhdRef) ([]keyFilter, error) {
	if len(data) < len(keyFilterMagic)+8 || !bytes.Equal(data[:len(keyFilterMagic)], keyFilterMagic) {
		return nil, fmt.Errorf("%w: bad header", errKeyFilterTable)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", errKeyFilterTable)
	}
	p := body[len(keyFilterMagic):]
	n := binary.LittleEndian.Uint32(p)
	p = p[4:]
	if int(n) != len(refs) {
		return nil, fmt.Errorf("%w: %d rows for %d neighborhoods", errKeyFilterTable, n, len(refs))
	}
	out := make([]keyFilter, n)
	for i := range out {
		if len(p) < 2 {
			return nil, fmt.Errorf("%w: truncated", errKeyFilterTable)
		}
		l := int(binary.LittleEndian.Uint16(p))
		if len(p) < 2+l+4 {
			return nil, fmt.Errorf("%w: truncated", errKeyFilterTable)
		}
		if string(p[2:2+l]) != refs[i].Object {
			return nil, fmt.Errorf("%w: row %d covers %s, the generation has %s", errKeyFilterTable, i, p[2:2+l], refs[i].Object)
		}
		p = p[2+l:]
		fl := int(binary.LittleEndian.Uint32(p))
		if len(p) < 4+fl || fl%8 != 0 {
			return nil, fmt.Errorf("%w: truncated", errKeyFilterTable)
		}
		out[i] = keyFilter(p[4 : 4+fl : 4+fl])
		p = p[4+fl:]
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errKeyFilterTable, len(p))
	}
	return out, nil
}

func keyFiltersKey(id string) string { return dataDir(id) + "keys/" + newID() + ".bin" }

// loadKeyFilters returns the generation's key filters, nil when it has none
// usable (then every neighborhood is a candidate). The table is read once
// per view.
func (v *view) loadKeyFilters(ctx context.Context, ix *Index, st *ioStats) []keyFilter {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kfLoaded || v.m.KeyFilters == "" {
		return v.keyFilters
	}
	data, _, err := ix.store.Get(ctx, v.m.KeyFilters)
	if err != nil {
		if ctx.Err() != nil {
			return nil // try again on the next read
		}
		v.kfLoaded = true
		return nil
	}
	st.objectsStore++
	st.bytesStore += int64(len(data))
	if f, err := decodeKeyFilters(data, v.m.Neighborhoods); err == nil {
		v.keyFilters = f
	}
	v.kfLoaded = true
	return v.keyFilters
}

// candidates returns the neighborhoods (indexes into m.Neighborhoods) that
// may hold one of keys: all of them without usable filters.
func (v *view) candidates(ctx context.Context, ix *Index, keys []string, st *ioStats) []int {
	filters := v.loadKeyFilters(ctx, ix, st)
	var out []int
	for j := range v.m.Neighborhoods {
		if filters == nil {
			out = append(out, j)
			continue
		}
		for _, k := range keys {
			if filters[j].mayContain(k) {
				out = append(out, j)
				break
			}
		}
	}
	return out
}
