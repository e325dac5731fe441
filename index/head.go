package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
)

// The head object, data/<id>/head, is a copy of the manifest of the newest
// generation that changed the neighborhoods, followed by that generation's
// centroid table. It is overwritten after every such commit. A fresh handle
// reads it beside its first manifest LIST: when the LIST finds no newer
// manifest, the handle has its manifest and centroids from that one round
// trip, and a cold query's neighborhood reads are the next (catalog record,
// LIST ∥ head, neighborhoods: three sequential round trips on S3 instead of
// four). The head is only a hint. The LIST decides which generation is
// current; a head that is missing, stale (a WAL commit since, or a late
// write that lost to a newer fold) or unreadable costs the reads it would
// have saved and nothing else. GC leaves it alone (it collects only the
// wal/, nbhd/, centroids/ and keys/ folders); deleting the index removes it
// with the rest of data/<id>/.

// headMagic starts every head object; the version is in it.
const headMagic = "VBHEAD1\n"

// errBadHead reports a head object this build cannot read.
var errBadHead = errors.New("malformed head object")

func headKey(id string) string { return dataDir(id) + "head" }

// encodeHead lays out a head object: magic, the manifest JSON's length
// (uint32, little endian), the manifest JSON, the centroid table object, a
// CRC-32 (IEEE) of everything before it.
func encodeHead(m *manifest, centroids []byte) []byte {
	mj := m.encode()
	out := make([]byte, 0, len(headMagic)+8+len(mj)+len(centroids))
	out = append(out, headMagic...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(mj)))
	out = append(out, mj...)
	out = append(out, centroids...)
	return binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out))
}

// decodeHead splits a head object into its manifest and centroid vectors.
func decodeHead(data []byte) (*manifest, []float32, error) {
	h := len(headMagic)
	if len(data) < h+8 || string(data[:h]) != headMagic {
		return nil, nil, errBadHead
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(data[len(body):]) {
		return nil, nil, fmt.Errorf("%w: checksum mismatch", errBadHead)
	}
	n := int(binary.LittleEndian.Uint32(body[h:]))
	if n > len(body)-h-4 {
		return nil, nil, errBadHead
	}
	m, err := decodeManifest(body[h+4 : h+4+n])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errBadHead, err)
	}
	t, err := neighborhoods.DecodeCentroids(body[h+4+n:])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errBadHead, err)
	}
	c := t.Vectors()
	if m.Centroids == "" || len(c) != len(m.Neighborhoods)*m.Config.Dimension {
		return nil, nil, errBadHead
	}
	return m, c, nil
}

// writeHead overwrites the head with the committed generation m and its
// centroid table. Errors are ignored: the head is a hint (see above), and m
// is committed whatever happens to it.
func (ix *Index) writeHead(ctx context.Context, m *manifest, centroids []byte) {
	if len(centroids) == 0 {
		return
	}
	_, _ = ix.store.Put(ctx, headKey(ix.id), encodeHead(m, centroids), objectstore.Condition{})
}

// readHead reads the head in the background and delivers its manifest (nil
// when there is none, or it cannot be read) after putting its centroids
// into the DB's centroid cache. Without a head (an index last folded by an
// older build), it falls back to reading the newest centroid table on the
// store, which costs a LIST and a GET.
func (ix *Index) readHead(ctx context.Context) <-chan *manifest {
	out := make(chan *manifest, 1)
	go func() {
		data, _, err := ix.store.Get(ctx, headKey(ix.id))
		if errors.Is(err, objectstore.ErrNotFound) {
			ix.prefetchCentroids(ctx)
			out <- nil
			return
		}
		var m *manifest
		if err == nil {
			var c []float32
			if m, c, err = decodeHead(data); err == nil && m.IndexID == ix.id {
				ix.db.centroids.add(m.Centroids, c)
			} else {
				m = nil
			}
		}
		out <- m
	}()
	return out
}

// prefetchCentroids reads the newest centroid table on the store into the
// DB's centroid cache. A table that is not the one the newest generation
// names (a build not yet committed, one not yet collected) only costs a
// read; errors are ignored, as the query path reads whatever table the
// manifest names.
func (ix *Index) prefetchCentroids(ctx context.Context) {
	var newest objectstore.Attrs
	for a, err := range listAfter(ctx, ix.store, dataDir(ix.id)+"centroids/", "") {
		if err != nil {
			return
		}
		if newest.Key == "" || a.ModTime.After(newest.ModTime) {
			newest = a
		}
	}
	if newest.Key != "" {
		var st ioStats
		_, _ = ix.db.centroids.get(ctx, ix.store, newest.Key, &st)
	}
}
