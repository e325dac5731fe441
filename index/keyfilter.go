package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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

// filterHash is a key's two hashes, whose combinations h1 + i·h2 are its
// bit positions in every filter: FNV-1a-64 of the key, mixed by the
// splitmix64 finalizer (FNV alone leaves the low bits of similar short keys
// correlated, which made filters of "k0001"-style keys match 20 % of other
// keys). A lookup hashes a key once and probes every filter with it.
type filterHash struct{ h1, h2 uint32 }

func hashKey(key string) filterHash {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * prime
	}
	s := mix64(h)
	return filterHash{uint32(s), uint32(mix64(s)>>32) | 1}
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (f keyFilter) add(key string) {
	h := hashKey(key)
	m := uint32(len(f) * 8)
	for i := range uint32(keyFilterProbes) {
		b := (h.h1 + i*h.h2) % m
		f[b/8] |= 1 << (b % 8)
	}
}

// mayContain reports whether the key hashed to h may have been added
// (false: it was not).
func (f keyFilter) mayContain(h filterHash) bool {
	if len(f) == 0 {
		return true
	}
	m := uint32(len(f) * 8)
	for i := range uint32(keyFilterProbes) {
		b := (h.h1 + i*h.h2) % m
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

func keyFiltersKey(id, fold string) string {
	return dataDir(id) + "keys/" + fold + "-" + newID() + ".bin"
}

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
// may hold one of keys, or nil — every neighborhood, as loadNbhds reads a
// nil list — without usable filters.
func (v *view) candidates(ctx context.Context, ix *Index, keys []string, st *ioStats) []int {
	filters := v.loadKeyFilters(ctx, ix, st)
	if filters == nil {
		return nil // loadNbhds reads every neighborhood
	}
	hs := make([]filterHash, len(keys))
	for i, k := range keys {
		hs[i] = hashKey(k)
	}
	out := []int{}
	for j, f := range filters {
		for _, h := range hs {
			if f.mayContain(h) {
				out = append(out, j)
				break
			}
		}
	}
	return out
}
