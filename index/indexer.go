package index

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
)

// IndexerOptions tune background maintenance. Zero values pick defaults.
type IndexerOptions struct {
	// Disabled turns the background indexer off (Compact and GC still work).
	Disabled bool
	// BuildThreshold is the number of WAL vectors at which the first
	// neighborhoods are built; below it the WAL is scanned exactly. Default 4096.
	BuildThreshold int
	// FoldThreshold is the number of WAL vectors that triggers a fold once
	// neighborhoods exist. Default 2048.
	FoldThreshold int
	// NeighborhoodSize is the target number of vectors per neighborhood;
	// neighborhoods split above 2× and merge below ¼ of it. Default
	// neighborhoods.DefaultTargetSize.
	NeighborhoodSize int
	// GCGrace is how old an unreferenced object must be before GC deletes
	// it; it also bounds how long a cached manifest is trusted. Default 1m.
	GCGrace time.Duration
	// KeepManifests is how many newest manifests GC always keeps. Default 4.
	KeepManifests int
	// GCInterval is how often the background indexer runs GC. Default 1m.
	GCInterval time.Duration
	// IdleFold is how long the WAL must go without new writes before the
	// indexer folds it whatever its size, so an idle index ends up fully
	// folded. Default 1s.
	IdleFold time.Duration
	// Seed makes clustering deterministic.
	Seed int64
}

func (o *IndexerOptions) fill() {
	if o.BuildThreshold == 0 {
		o.BuildThreshold = 4096
	}
	if o.FoldThreshold == 0 {
		o.FoldThreshold = 2048
	}
	if o.NeighborhoodSize == 0 {
		o.NeighborhoodSize = neighborhoods.DefaultTargetSize
	}
	if o.GCGrace == 0 {
		o.GCGrace = time.Minute
	}
	if o.KeepManifests == 0 {
		o.KeepManifests = 4
	}
	if o.GCInterval == 0 {
		o.GCInterval = time.Minute
	}
	if o.IdleFold == 0 {
		o.IdleFold = time.Second
	}
}

// maxFoldRecords bounds the WAL records one fold into existing
// neighborhoods takes (memory); a build takes the whole WAL.
const maxFoldRecords = 200000

func (ix *Index) start() {
	ix.mu.Lock()
	ix.started = true
	ix.mu.Unlock()
	if ix.db.opts.Indexer.Disabled {
		close(ix.done)
		return
	}
	go ix.run()
}

// nudge wakes the background indexer after a commit.
func (ix *Index) nudge() {
	select {
	case ix.kick <- struct{}{}:
	default:
	}
}

func (ix *Index) run() {
	defer close(ix.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-ix.stop
		cancel()
	}()
	gcTick := time.NewTicker(ix.db.opts.Indexer.GCInterval)
	defer gcTick.Stop()
	backoff := 10 * time.Millisecond
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	// idleArmed: idle runs for IdleFold since the last write (or since a
	// pass found the WAL still pending). Only a write restarts it: a GC
	// tick more frequent than IdleFold must not postpone the idle fold
	// forever.
	idleArmed := false
	for {
		force := false
		select {
		case <-ix.stop:
			return
		case <-ix.kick:
			idle.Reset(ix.db.opts.Indexer.IdleFold)
			idleArmed = true
		case <-idle.C:
			force = true
			idleArmed = false
		case <-gcTick.C:
			if _, err := ix.GC(ctx); err != nil && ctx.Err() == nil {
				ix.bgErr.Store(err)
			}
		}
		for ctx.Err() == nil {
			did, err := ix.compactOnce(ctx, force)
			force = false
			if err != nil {
				if errors.Is(err, ErrIndexNotFound) || errors.Is(err, ErrClosed) {
					return
				}
				ix.bgErr.Store(err)
				select {
				case <-time.After(backoff):
				case <-ix.stop:
					return
				}
				backoff = min(2*backoff, 5*time.Second)
				continue
			}
			backoff = 10 * time.Millisecond
			if !did {
				break
			}
		}
		// Whatever stays below the fold threshold is folded once the
		// index has been idle for IdleFold.
		ix.mu.Lock()
		pendingWAL := ix.cur != nil && len(ix.cur.m.WAL) > 0
		ix.mu.Unlock()
		if pendingWAL && !force && !idleArmed {
			idle.Reset(ix.db.opts.Indexer.IdleFold)
			idleArmed = true
		}
		if hook := ix.db.opts.afterIndexerPass; hook != nil {
			hook(ix)
		}
	}
}

// Compact folds the whole WAL tail into neighborhoods now (building them
// first if needed, whatever the thresholds), splitting and merging as it
// goes. Readers and writers are never blocked; writes that land meanwhile
// stay in the WAL.
func (ix *Index) Compact(ctx context.Context) error {
	expired := 0
	for {
		did, err := ix.compactOnce(ctx, true)
		if errors.Is(err, errFoldExpired) && expired < maxFoldExpiries {
			expired++
			continue
		}
		if err != nil || !did {
			return err
		}
	}
}

// maxFoldExpiries is how often Compact redoes a fold abandoned because its
// objects grew too old before it could commit.
const maxFoldExpiries = 3

// errFoldExpired reports a fold abandoned because the objects it wrote
// became old enough for GC to collect them before its manifest committed.
var errFoldExpired = errors.New("fold abandoned: its objects outlived half the GC grace period before commit")

// rec is a record to store in a new neighborhood: a row of a decoded
// segment and its absolute sequence number.
type rec struct {
	s   *segment
	row int32
	seq uint64
}

func (r rec) vector() []float32 { return r.s.Vector(int(r.row)) }

// compactOnce performs one fold of (a prefix of) the WAL. It reports
// whether it changed anything.
func (ix *Index) compactOnce(ctx context.Context, force bool) (bool, error) {
	ix.compactMu.Lock()
	defer ix.compactMu.Unlock()
	o := ix.db.opts.Indexer
	v, err := ix.current(ctx)
	if err != nil {
		return false, err
	}
	m := v.m
	indexed := m.nbhdCount()
	nw, count := 0, 0
	if total := m.walCount(); total > indexed {
		// A first build, or a WAL that outgrew the neighborhoods: cluster
		// it whole (a bulk load is one build, not many folds of
		// maxFoldRecords into ever-changing neighborhoods).
		nw, count = len(m.WAL), total
	}
	for nw < len(m.WAL) && (nw == 0 || count+m.WAL[nw].Count <= maxFoldRecords) {
		count += m.WAL[nw].Count
		nw++
	}
	if nw == 0 {
		return false, nil
	}
	// Fold once the WAL holds FoldThreshold vectors or 1/8 of the
	// neighborhoods' vectors, whichever is more: each fold rewrites the
	// neighborhoods it touches, so folding in proportion to the index size
	// bounds write amplification while the index grows.
	threshold := max(o.FoldThreshold, indexed/8)
	if len(m.Neighborhoods) == 0 {
		threshold = o.BuildThreshold
	}
	if !force && count < threshold {
		return false, nil
	}
	var st ioStats
	if err := v.loadWAL(ctx, ix, &st); err != nil {
		return false, err
	}
	// The newest version of each key within the folded prefix.
	latest := make(map[string]rec, count)
	order := make([]string, 0, count)
	for si := range nw {
		s := v.wal[si]
		for r := range s.Len() {
			k := s.Key(r)
			if _, ok := latest[k]; !ok {
				order = append(order, k)
			}
			latest[k] = rec{s, int32(r), m.WAL[si].FirstSeq + s.Seq(r)}
		}
	}
	b := &foldBuild{ix: ix, v: v, dim: m.Config.Dimension, metric: m.Config.Metric, foldID: newID()}
	defer func() { b.lease.end(context.WithoutCancel(ctx)) }()
	if len(m.Neighborhoods) == 0 || count > indexed {
		// First build, or the WAL outgrew the neighborhoods: cluster
		// everything afresh (better partitions than assigning and
		// splitting, and no more work).
		var live []rec
		if len(m.Neighborhoods) > 0 {
			segs, err := ix.loadNbhds(ctx, v, nil, &st)
			if err != nil {
				return false, err
			}
			for _, s := range segs {
				for r := range s.Len() {
					if _, newer := latest[s.Key(r)]; !newer {
						live = append(live, rec{s, int32(r), s.Seq(r)})
					}
				}
			}
		}
		for _, k := range order {
			if r := latest[k]; !r.s.Deleted(int(r.row)) {
				live = append(live, r)
			}
		}
		if err := b.build(ctx, live); err != nil {
			return false, b.abort(ctx, err)
		}
	} else if err := b.fold(ctx, latest, order); err != nil {
		return false, b.abort(ctx, err)
	}
	return true, b.commit(ctx, nw)
}

// foldBuild collects the result of one fold: the new neighborhood list and
// the objects written for it.
type foldBuild struct {
	ix      *Index
	v       *view
	dim     int
	metric  neighborhoods.Metric
	refs    []nbhdRef
	cents   []float32
	filters []keyFilter // key filter of each of refs (keyfilter.go)
	written []string
	// born is when the first object in written was written.
	born time.Time
	// foldID names the objects this fold writes; lease keeps GC away from
	// them while the fold runs long (lease.go).
	foldID string
	lease  *foldLease
	nextID uint64
	// calib is set by a full build.
	calib *neighborhoods.Calibration
}

// build runs the first clustering over recs.
func (b *foldBuild) build(ctx context.Context, recs []rec) error {
	b.nextID = b.v.m.NextNbhd
	if len(recs) == 0 {
		return nil
	}
	flat := make([]float32, 0, len(recs)*b.dim)
	for _, r := range recs {
		flat = append(flat, r.vector()...)
	}
	o := b.ix.db.opts.Indexer
	p, err := neighborhoods.Partition(ctx, flat, b.dim, b.metric, neighborhoods.PartitionOptions{TargetSize: o.NeighborhoodSize, Seed: o.Seed, Workers: 2})
	if err != nil {
		return fmt.Errorf("first build: %w", err)
	}
	if len(recs) >= 1000 {
		c, err := neighborhoods.Calibrate(ctx, flat, b.dim, b.metric, p, neighborhoods.CalibrateOptions{Seed: o.Seed, Workers: 2})
		if err != nil {
			return fmt.Errorf("calibrate: %w", err)
		}
		b.calib = c
	}
	var outs []outGroup
	for j, members := range p.Members {
		if len(members) == 0 {
			continue
		}
		group := make([]rec, len(members))
		for i, m := range members {
			group[i] = recs[m]
		}
		outs = append(outs, outGroup{recs: group, centroid: p.Centroids[j*b.dim : (j+1)*b.dim]})
	}
	return b.emit(ctx, outs)
}

// emit writes one neighborhood object per non-empty group, foldWorkers at a
// time, and records them in the order of groups. After a failed write it
// starts no further groups (the fold is aborted).
func (b *foldBuild) emit(ctx context.Context, groups []outGroup) error {
	type written struct {
		key      string
		size     int64
		centroid []float32
		filter   keyFilter
		err      error
	}
	res := make([]written, len(groups))
	if len(groups) > 0 {
		b.writing()
	}
	parallelChunks(ctx, len(groups), 1, foldWorkers, func(i, _ int) bool {
		if len(groups[i].recs) == 0 {
			return true
		}
		w := &res[i]
		w.key, w.size, w.filter, w.err = b.writeGroup(ctx, groups[i].recs)
		if w.centroid = groups[i].centroid; w.centroid == nil {
			flat := make([]float32, 0, len(groups[i].recs)*b.dim)
			for _, r := range groups[i].recs {
				flat = append(flat, r.vector()...)
			}
			w.centroid = neighborhoods.Centroid(flat, b.dim, b.metric)
		}
		return w.err == nil
	})
	var first error
	for i, w := range res {
		if w.key != "" {
			b.written = append(b.written, w.key)
		}
		if w.err != nil && first == nil {
			first = w.err
		}
		if first != nil || len(groups[i].recs) == 0 {
			continue
		}
		b.refs = append(b.refs, nbhdRef{ID: b.nextID, Object: w.key, Count: len(groups[i].recs), Bytes: w.size})
		b.nextID++
		b.cents = append(b.cents, w.centroid...)
		b.filters = append(b.filters, w.filter)
	}
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// writeGroup encodes and writes one neighborhood object, caches its decoded
// form and returns its key (also when the write failed: it may exist),
// size and key filter.
func (b *foldBuild) writeGroup(ctx context.Context, group []rec) (string, int64, keyFilter, error) {
	out := make([]neighborhoods.Record, len(group))
	for i, r := range group {
		out[i] = neighborhoods.Record{Key: r.s.Key(int(r.row)), Vector: r.vector(), Seq: r.seq, Metadata: r.s.Metadata(int(r.row))}
	}
	data, err := neighborhoods.EncodeSegment(b.dim, b.metric, out)
	if err != nil {
		return "", 0, keyFilter{}, fmt.Errorf("encode neighborhood: %w", err)
	}
	key := nbhdKey(b.ix.id, b.foldID)
	if _, err := b.ix.store.Put(ctx, key, data, objectstore.Condition{}); err != nil {
		return key, 0, keyFilter{}, fmt.Errorf("write neighborhood: %w", err)
	}
	if seg, err := decode(key, data); err == nil {
		b.ix.db.cache.add(key, seg)
	}
	f := newKeyFilter(len(out))
	for _, r := range out {
		f.add(r.Key)
	}
	return key, int64(len(data)), f, nil
}

// commit writes the centroid table and the manifest that swaps the folded
// WAL prefix (nw objects) for the new neighborhoods. If another fold
// committed first, the written objects are deleted and the fold is retried
// by the caller; likewise if they grew older than half the GC grace period
// before the manifest could commit (errFoldExpired).
func (b *foldBuild) commit(ctx context.Context, nw int) error {
	ix := b.ix
	centKey := ""
	var centData []byte
	if len(b.refs) > 0 {
		ids := make([]string, len(b.refs))
		for i, r := range b.refs {
			ids[i] = strconv.FormatUint(r.ID, 10)
		}
		data, err := neighborhoods.EncodeCentroids(b.dim, b.metric, b.cents, ids)
		if err != nil {
			return b.abort(ctx, fmt.Errorf("encode centroids: %w", err))
		}
		centKey, centData = centroidsKey(ix.id, b.foldID), data
		b.writing()
		if _, err := ix.store.Put(ctx, centKey, data, objectstore.Condition{}); err != nil {
			return b.abort(ctx, fmt.Errorf("write centroids: %w", err))
		}
		b.written = append(b.written, centKey)
		ix.db.centroids.add(centKey, b.cents)
	}
	kfKey := ""
	if len(b.refs) > 0 && len(b.filters) == len(b.refs) {
		objs := make([]string, len(b.refs))
		for i, r := range b.refs {
			objs[i] = r.Object
		}
		kfKey = keyFiltersKey(ix.id, b.foldID)
		if _, err := ix.store.Put(ctx, kfKey, encodeKeyFilters(objs, b.filters), objectstore.Condition{}); err != nil {
			return b.abort(ctx, fmt.Errorf("write key filters: %w", err))
		}
		b.written = append(b.written, kfKey)
	}
	base := b.v.m
	for {
		born := b.lease.since(b.born)
		if !born.IsZero() && ix.now().Sub(born) > ix.revalidateWindow() {
			// GC may collect the unreferenced objects before the manifest
			// lands; folding is optional work, so drop it and redo it later.
			return b.abort(ctx, errFoldExpired)
		}
		cur, err := ix.current(ctx)
		if err != nil {
			return b.abort(ctx, err)
		}
		if !sameNbhds(cur.m, base) || len(cur.m.WAL) < nw || !sameWAL(cur.m.WAL[:nw], base.WAL[:nw]) {
			// Another process folded first: our neighborhoods are stale.
			return b.abort(ctx, nil)
		}
		next := cur.m.next()
		next.Neighborhoods = b.refs
		next.Centroids = centKey
		next.KeyFilters = kfKey
		next.NextNbhd = max(b.nextID, cur.m.NextNbhd) // a restore may have raised it
		next.WAL = append([]walRef(nil), cur.m.WAL[nw:]...)
		if b.calib != nil {
			next.Calibration, next.CalibrationK = b.calib.Recall, len(b.refs)
		}
		if len(b.refs) == 0 {
			next.Calibration, next.CalibrationK = nil, 0
		}
		_, err = ix.commit(ctx, cur, next, born)
		if errors.Is(err, errConflictRetry) {
			continue
		}
		if err != nil {
			// Unknown outcome: leave the objects to GC.
			return err
		}
		ix.writeHead(ctx, next, centData)
		return nil
	}
}

// writing notes that the fold is about to write its first object: born,
// and the lease that will protect the objects if the fold runs long.
func (b *foldBuild) writing() {
	if b.born.IsZero() {
		b.born = b.ix.now()
		b.lease = b.ix.startLease(b.foldID)
	}
}

func (b *foldBuild) abort(ctx context.Context, err error) error {
	for _, k := range b.written {
		_ = b.ix.store.Delete(ctx, k)
	}
	return err
}

func sameNbhds(a, b *manifest) bool {
	if a.Centroids != b.Centroids || len(a.Neighborhoods) != len(b.Neighborhoods) {
		return false
	}
	for i := range a.Neighborhoods {
		if a.Neighborhoods[i].Object != b.Neighborhoods[i].Object {
			return false
		}
	}
	return true
}

func sameWAL(a, b []walRef) bool {
	for i := range a {
		if a[i].Object != b[i].Object {
			return false
		}
	}
	return true
}
