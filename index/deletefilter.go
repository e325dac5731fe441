package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/vectorbucket/vectorbucket/index/filter"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// Filtered listing and delete by filter (vectorbucket extensions, see
// docs/extensions.md). Both use the QueryVectors filter language with the
// index's non-filterable keys.

// rowFilter is a compiled metadata filter; a nil *rowFilter matches every row.
type rowFilter struct{ f *filter.Filter }

// compileFilter compiles raw (nil or empty: no filter) as QueryVectors does;
// a bad document is a *ValidationError naming the offending path.
func (ix *Index) compileFilter(raw json.RawMessage) (*rowFilter, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	f, err := filter.Compile(raw, filter.Options{NonFilterable: ix.nonFilterable})
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			return nil, &ValidationError{Field: "vectorbucket." + fe.Path, Message: fe.Msg}
		}
		return nil, invalid("vectorbucket.filter", "%v", err)
	}
	if f.MatchesAll() {
		return &rowFilter{}, nil
	}
	return &rowFilter{f: f}, nil
}

// matchRow reports whether row of s passes the filter.
func (r *rowFilter) matchRow(s *segment, row int) bool {
	return r == nil || r.f == nil || r.f.Match(s.metadata(row))
}

// maxFilterDeleteAttempts bounds how often DeleteMatching recomputes its
// matches after another commit won the race for the next generation.
const maxFilterDeleteAttempts = 8

// ErrFilterDeleteContended reports a delete by filter given up because the
// index kept changing under it; it matches ErrConflict (ConflictException).
var ErrFilterDeleteContended = fmt.Errorf("%w: index changed during delete by filter, retry", ErrConflict)

// DeleteMatching deletes every vector whose metadata matches the filter
// document raw (required; "{}" matches every vector) and returns how many it
// deleted. It is atomic as of one generation: it reads the newest
// generation, finds the matching keys there, and commits their deletion as
// one WAL batch in the very next generation (a create-only manifest write
// based on the one it read), so no write committed in between can be lost
// or half-applied. When another commit wins that generation it starts over
// on the newer one, at most maxFilterDeleteAttempts times, then returns
// ErrFilterDeleteContended. A filter that matches nothing commits nothing
// and returns 0.
func (ix *Index) DeleteMatching(ctx context.Context, raw json.RawMessage) (int, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return 0, invalid("vectorbucket.filter", "is required")
	}
	flt, err := ix.compileFilter(raw)
	if err != nil {
		return 0, err
	}
	for attempt := 0; attempt < maxFilterDeleteAttempts; attempt++ {
		if ix.isClosed() {
			return 0, ErrClosed
		}
		v, err := ix.current(ctx)
		if err != nil {
			return 0, err
		}
		keys, err := ix.matchingKeys(ctx, v, flt)
		if errors.Is(err, errNotFoundObject) {
			continue // the generation was collected under us: read a newer one
		}
		if err != nil {
			return 0, err
		}
		if len(keys) == 0 {
			return 0, nil
		}
		err = ix.commitDeletes(ctx, v, keys)
		if errors.Is(err, errConflictRetry) {
			continue
		}
		if err != nil {
			return 0, err
		}
		ix.nudge()
		return len(keys), nil
	}
	return 0, ErrFilterDeleteContended
}

// matchingKeys returns the sorted live keys of generation v whose metadata
// passes flt.
func (ix *Index) matchingKeys(ctx context.Context, v *view, flt *rowFilter) ([]string, error) {
	var st ioStats
	if err := v.loadWAL(ctx, ix, &st); err != nil {
		return nil, wrapVanished(err)
	}
	nbhds, err := ix.loadNbhds(ctx, v, nil, &st)
	if err != nil {
		return nil, wrapVanished(err)
	}
	seen := map[string]bool{}
	var keys []string
	for _, s := range nbhds {
		for r := range s.Len() {
			if s.Deleted(r) {
				continue
			}
			k := s.Key(r)
			if seen[k] {
				continue // a boundary replica of a key already taken
			}
			if _, newer := v.walLatest[k]; newer {
				continue // the WAL holds its newest version
			}
			if flt.matchRow(s, r) {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	for _, p := range v.walLive {
		s := v.wal[p.seg]
		if k := s.Key(int(p.row)); !seen[k] && flt.matchRow(s, int(p.row)) {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// commitDeletes writes tombstones for keys as one WAL object and commits a
// manifest listing it as the successor of base (errConflictRetry when
// another commit got there first; the object is then removed).
func (ix *Index) commitDeletes(ctx context.Context, base *view, keys []string) error {
	recs := make([]neighborhoods.Record, len(keys))
	for i, k := range keys {
		recs[i] = neighborhoods.Record{Key: k, Deleted: true, Seq: uint64(i)}
	}
	cfg := ix.info.Config
	data, err := neighborhoods.EncodeSegment(cfg.Dimension, cfg.Metric, recs)
	if err != nil {
		return fmt.Errorf("encode delete-by-filter batch: %w", err)
	}
	key, born, err := ix.putWAL(ctx, data)
	if err != nil {
		return err
	}
	_, err = ix.commit(ctx, base, base.m.nextWithWAL(key, len(recs), int64(len(data))), born)
	if errors.Is(err, errConflictRetry) {
		// Never referenced: no manifest lists it.
		_ = ix.store.Delete(ctx, key)
	}
	return err
}
