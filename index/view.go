package index

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// inherit lets v reuse what base has loaded (WAL segments, the key map of
// the WAL tail, the centroids) where the two generations share objects.
func (v *view) inherit(base *view) {
	base.mu.Lock()
	defer base.mu.Unlock()
	if base.centLoaded && base.m.Centroids == v.m.Centroids {
		v.centLoaded, v.centroids, v.centInv = true, base.centroids, base.centInv
	}
	if base.kfLoaded && base.m.KeyFilters == v.m.KeyFilters && slices.Equal(base.m.Neighborhoods, v.m.Neighborhoods) {
		v.kfLoaded, v.keyFilters = true, base.keyFilters
	}
	if !base.walLoaded || len(base.wal) > len(v.m.WAL) {
		return
	}
	for i, w := range base.m.WAL {
		if v.m.WAL[i].Object != w.Object {
			return
		}
	}
	if len(base.wal) == len(v.m.WAL) {
		v.walLoaded, v.wal, v.walLatest, v.walLive = true, base.wal, base.walLatest, base.walLive
		return
	}
	// v appended batches to base: extend a copy of base's maps lazily.
	v.wal = slices.Clip(base.wal)
	v.walLatest = base.walLatest
	v.walLive = base.walLive
}

// loadWAL decodes the WAL tail and finds the newest entry of every key.
func (v *view) loadWAL(ctx context.Context, ix *Index, st *ioStats) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.walLoaded {
		for _, s := range v.wal {
			st.objectsCache++
			st.bytesCache += s.size
		}
		return nil
	}
	segs := make([]*segment, len(v.m.WAL))
	copy(segs, v.wal)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, fetchParallelism)
	for i := range v.m.WAL {
		if segs[i] != nil {
			st.objectsCache++
			st.bytesCache += segs[i].size
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var local ioStats
			s, err := ix.db.cache.get(ctx, ix.store, v.m.WAL[i].Object, &local)
			mu.Lock()
			defer mu.Unlock()
			st.add(local)
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			if s.Len() != v.m.WAL[i].Count || s.Dim() != v.m.Config.Dimension {
				if first == nil {
					first = fmt.Errorf("wal object %s has %d rows of dim %d, manifest says %d of %d: %w",
						v.m.WAL[i].Object, s.Len(), s.Dim(), v.m.WAL[i].Count, v.m.Config.Dimension, neighborhoods.ErrCorrupt)
				}
				return
			}
			segs[i] = s
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	from := len(v.wal)
	var latest map[string]walPos
	if from > 0 && v.walLatest != nil {
		latest = maps.Clone(v.walLatest)
	} else {
		from = 0
		latest = make(map[string]walPos, v.m.walCount())
	}
	for si := from; si < len(segs); si++ {
		s := segs[si]
		for r := range s.Len() {
			latest[s.Key(r)] = walPos{int32(si), int32(r)}
		}
	}
	live := make([]walPos, 0, len(latest))
	for _, p := range latest {
		if !segs[p.seg].Deleted(int(p.row)) {
			live = append(live, p)
		}
	}
	slices.SortFunc(live, func(a, b walPos) int {
		if a.seg != b.seg {
			return int(a.seg - b.seg)
		}
		return int(a.row - b.row)
	})
	v.wal, v.walLatest, v.walLive, v.walLoaded = segs, latest, live, true
	return nil
}

// loadCentroids decodes the centroid table (nil before the first build).
func (v *view) loadCentroids(ctx context.Context, ix *Index, st *ioStats) ([]float32, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.centLoaded || v.m.Centroids == "" {
		return v.centroids, nil
	}
	c, err := ix.db.centroids.get(ctx, ix.store, v.m.Centroids, st)
	if err != nil {
		return nil, err
	}
	if len(c) != len(v.m.Neighborhoods)*v.m.Config.Dimension {
		return nil, fmt.Errorf("centroid table %s has %d values, want %d×%d: %w",
			v.m.Centroids, len(c), len(v.m.Neighborhoods), v.m.Config.Dimension, neighborhoods.ErrCorrupt)
	}
	v.centroids, v.centLoaded = c, true
	if v.m.Config.Metric == neighborhoods.Cosine {
		dim := v.m.Config.Dimension
		v.centInv = make([]float32, len(c)/dim)
		for i := range v.centInv {
			v.centInv[i] = neighborhoods.InvNorm(c[i*dim : (i+1)*dim])
		}
	}
	return c, nil
}

func (s *ioStats) add(o ioStats) {
	s.objectsStore += o.objectsStore
	s.objectsCache += o.objectsCache
	s.bytesStore += o.bytesStore
	s.bytesCache += o.bytesCache
}
