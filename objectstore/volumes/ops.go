package volumes

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// copyState classifies what one volume said about a key.
type copyState uint8

const (
	unavailable copyState = iota // detached, unreadable or failed
	absent                       // no copy
	present                      // a copy whose header (and payload, if read) verified
	corrupt                      // a copy that failed its checksum
)

// copyResult is one volume's answer.
type copyResult struct {
	state    copyState
	complete bool   // the volume held a complete replica when it answered
	hdr      header // present: the copy's header
	raw      []byte // present and read in full: the whole copy
	letag    string // the local store's ETag of the file read
	err      error
}

// probe asks every volume about key concurrently: the whole copy from the
// volumes for which full(i) is true, the header from the others.
func (s *Store) probe(ctx context.Context, key string, full func(i int) bool) []copyResult {
	res := make([]copyResult, len(s.vols))
	var wg sync.WaitGroup
	for i, v := range s.vols {
		wg.Go(func() { res[i] = s.read(ctx, v, key, full(i)) })
	}
	wg.Wait()
	return res
}

// read gets one volume's copy of key (whole or header only).
func (s *Store) read(ctx context.Context, v *volume, key string, whole bool) copyResult {
	st := v.store()
	if st == nil {
		return copyResult{state: unavailable, err: errors.New("detached")}
	}
	var (
		b   []byte
		la  objectstore.Attrs
		err error
	)
	if whole {
		b, la, err = st.Get(ctx, key)
	} else {
		b, la, err = st.GetRange(ctx, key, 0, headerSize)
	}
	r := copyResult{complete: v.complete(), err: err, letag: la.ETag}
	switch {
	case err == nil:
		var h header
		if whole {
			h, _, err = decodeCopy(b)
			r.raw = b
		} else {
			h, err = decodeHeader(b, la.Size)
		}
		if err != nil {
			r.state, r.err, r.raw = corrupt, err, nil
			s.stats.corruptSeen.Add(1)
		} else {
			r.state, r.hdr = present, h
		}
	case errors.Is(err, objectstore.ErrNotFound):
		r.state = absent
	case errors.Is(err, objectstore.ErrCorrupt):
		r.state = corrupt
		s.stats.corruptSeen.Add(1)
	default:
		r.state = unavailable
	}
	return r
}

// view is what a probe says about a key.
type view struct {
	found   bool   // some copy exists (possibly a tombstone)
	newest  header // the newest version among the copies that verified
	holders []int  // volumes whose copy is the newest version
	answers int    // complete volumes that answered definitively
}

func (vw view) live() bool { return vw.found && !vw.newest.tombstone }

// resolve picks the newest version and checks the read quorum.
func (s *Store) resolve(op, key string, res []copyResult) (view, error) {
	return s.resolveFor(op, key, res, false)
}

// resolveFor is resolve; a writer passes overwrite, so that corrupt copies
// (which it is about to replace) count as answers.
func (s *Store) resolveFor(op, key string, res []copyResult, overwrite bool) (view, error) {
	var vw view
	for i, r := range res {
		if r.complete && (r.state == present || r.state == absent || overwrite && r.state == corrupt) {
			vw.answers++
		}
		if r.state != present {
			continue
		}
		switch {
		case !vw.found || r.hdr.newer(vw.newest):
			vw.found, vw.newest, vw.holders = true, r.hdr, append(vw.holders[:0], i)
		case r.hdr.same(vw.newest):
			vw.holders = append(vw.holders, i)
		}
	}
	if vw.answers < s.r {
		damaged := 0
		for _, r := range res {
			if r.complete && r.state == corrupt {
				damaged++
			}
		}
		if vw.answers+damaged >= s.r {
			return vw, fmt.Errorf("%s %s: %d copies fail their checksum and too few verify: %w", op, key, damaged, objectstore.ErrCorrupt)
		}
		s.stats.noQuorum.Add(1)
		return vw, fmt.Errorf("%s %s: %d of %d volumes answered, need %d (%s): %w",
			op, key, vw.answers, len(s.vols), s.r, firstErr(res), ErrNoQuorum)
	}
	return vw, nil
}

func firstErr(res []copyResult) string {
	for i, r := range res {
		if r.state == unavailable || r.state == corrupt {
			return fmt.Sprintf("volume %d: %v", i, r.err)
		}
	}
	return "volumes without a complete replica"
}

// needsRepair reports whether some complete volume's copy differs from the
// newest version. Volumes being refilled are left to the scrubber, so a
// missing volume does not turn every read into a repair attempt.
func needsRepair(vw view, res []copyResult) bool {
	for _, r := range res {
		if !r.complete {
			continue
		}
		switch r.state {
		case corrupt:
			return true
		case absent:
			if vw.live() {
				return true
			}
		case present:
			if !r.hdr.same(vw.newest) {
				return true
			}
		}
	}
	return false
}

// scheduleRepair queues key for read repair if a copy needs it.
func (s *Store) scheduleRepair(key string, vw view, res []copyResult) {
	if s.repairs == nil || !vw.found && !hasCorrupt(res) || !needsRepair(vw, res) {
		return
	}
	select {
	case s.repairs <- key:
		s.stats.readRepairQueued.Add(1)
	default: // queue full: the scrubber will get it
	}
}

func hasCorrupt(res []copyResult) bool {
	for _, r := range res {
		if r.state == corrupt {
			return true
		}
	}
	return false
}

// readRepairer repairs the keys reads found damaged until ctx ends.
func (s *Store) readRepairer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case key := <-s.repairs:
			var rep Report
			_ = s.repairKey(ctx, key, &rep)
			s.stats.readRepaired.Add(rep.Repaired)
		}
	}
}

func (s *Store) primary(key string) int { return stripeOf(key) % len(s.vols) }

// settled reports whether the newest version seen is held by a write
// quorum (or there is none).
func (s *Store) settled(vw view) bool { return !vw.found || len(vw.holders) >= s.w }

// look probes key and resolves its newest version. A newest version held by
// fewer than W volumes (a write that failed part-way, or a write quorum
// with a member down) is first written back to a write quorum, under the
// key's lock, so that nothing a read returns can later disappear (the
// write-back phase of the ABD register).
func (s *Store) look(ctx context.Context, op, key string, full func(int) bool) (view, []copyResult, error) {
	res := s.probe(ctx, key, full)
	vw, err := s.resolve(op, key, res)
	if err != nil || s.settled(vw) {
		return vw, res, err
	}
	unlock, err := s.lockKey(ctx, key)
	if err != nil {
		return vw, res, fmt.Errorf("%s %s: write back: %w", op, key, err)
	}
	defer unlock()
	return s.writeBack(ctx, op, key, false)
}

// writeBack re-reads every copy of key and writes the newest version to
// the volumes that lack it until a write quorum holds it. The caller holds
// the key's lock; overwrite is resolveFor's.
func (s *Store) writeBack(ctx context.Context, op, key string, overwrite bool) (view, []copyResult, error) {
	res := s.probe(ctx, key, func(int) bool { return true })
	vw, err := s.resolveFor(op, key, res, overwrite)
	if err != nil || s.settled(vw) {
		return vw, res, err
	}
	raw := res[vw.holders[0]].raw
	for i, r := range res {
		if r.state == unavailable || r.state == present && r.hdr.same(vw.newest) {
			continue
		}
		if s.writeCopy(ctx, s.vols[i], key, raw) == nil {
			vw.holders = append(vw.holders, i)
			res[i] = copyResult{state: present, complete: r.complete, hdr: vw.newest, raw: raw}
		}
	}
	s.stats.writeBacks.Add(1)
	if !s.settled(vw) {
		s.stats.noQuorum.Add(1)
		return vw, res, fmt.Errorf("%s %s: version %d is on %d volumes and cannot be written back to %d: %w", op, key, vw.newest.version, len(vw.holders), s.w, ErrNoQuorum)
	}
	return vw, res, nil
}

// nextVersion returns the version of a new write: above every version seen
// and at least the wall clock in nanoseconds. The clock matters: a write
// that failed part-way may sit on a volume that is down now and come back
// later; writers are serialized by the key's lock, so stamping versions
// with the (shared, single-machine) clock keeps every later write above it.
func nextVersion(vw view) uint64 {
	return max(vw.newest.version+1, uint64(time.Now().UnixNano()))
}

// Get returns the newest version of key, verified.
func (s *Store) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	if s.single != nil {
		return s.single.Get(ctx, key)
	}
	if err := begin(ctx, "get", key); err != nil {
		return nil, objectstore.Attrs{}, err
	}
	p := s.primary(key)
	vw, res, err := s.look(ctx, "get", key, func(i int) bool { return i == p })
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	defer s.scheduleRepair(key, vw, res)
	if !vw.live() {
		return nil, objectstore.Attrs{}, notFound("get", key, vw, res)
	}
	if r := res[p]; r.state == present && r.raw != nil && r.hdr.same(vw.newest) {
		return r.raw[headerSize:], vw.newest.attrs(key), nil
	}
	for _, i := range vw.holders {
		r := s.read(ctx, s.vols[i], key, true)
		if r.state == present && r.hdr.same(vw.newest) {
			return r.raw[headerSize:], vw.newest.attrs(key), nil
		}
	}
	// Every copy of the newest version changed or rotted under us: a
	// concurrent write replaced it (retry sees it) or it is corrupt.
	return s.retryGet(ctx, key)
}

// retryGet re-runs Get once after a race with a writer; a second failure is
// reported as corruption, never as data.
func (s *Store) retryGet(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	vw, res, err := s.look(ctx, "get", key, func(int) bool { return true })
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	defer s.scheduleRepair(key, vw, res)
	if !vw.live() {
		return nil, objectstore.Attrs{}, notFound("get", key, vw, res)
	}
	for _, i := range vw.holders {
		if r := res[i]; r.raw != nil {
			return r.raw[headerSize:], vw.newest.attrs(key), nil
		}
	}
	return nil, objectstore.Attrs{}, fmt.Errorf("get %s: no copy of version %d verifies: %w", key, vw.newest.version, objectstore.ErrCorrupt)
}

// Head returns the attributes of the newest version of key.
func (s *Store) Head(ctx context.Context, key string) (objectstore.Attrs, error) {
	if s.single != nil {
		return s.single.Head(ctx, key)
	}
	if err := begin(ctx, "head", key); err != nil {
		return objectstore.Attrs{}, err
	}
	vw, res, err := s.look(ctx, "head", key, func(int) bool { return false })
	if err != nil {
		return objectstore.Attrs{}, err
	}
	s.scheduleRepair(key, vw, res)
	if !vw.live() {
		return objectstore.Attrs{}, notFound("head", key, vw, res)
	}
	return vw.newest.attrs(key), nil
}

// GetRange reads a byte range of the newest version of key.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, objectstore.Attrs, error) {
	if s.single != nil {
		return s.single.GetRange(ctx, key, offset, length)
	}
	if offset == 0 && length < 0 {
		return s.Get(ctx, key)
	}
	if err := begin(ctx, "get", key); err != nil {
		return nil, objectstore.Attrs{}, err
	}
	for attempt := 0; ; attempt++ {
		vw, res, err := s.look(ctx, "get", key, func(int) bool { return false })
		if err != nil {
			return nil, objectstore.Attrs{}, err
		}
		s.scheduleRepair(key, vw, res)
		if !vw.live() {
			return nil, objectstore.Attrs{}, notFound("get", key, vw, res)
		}
		start, end, err := objectstore.ResolveRange(vw.newest.size, offset, length)
		if err != nil {
			return nil, objectstore.Attrs{}, fmt.Errorf("get %s: %w", key, err)
		}
		if start == end {
			return []byte{}, vw.newest.attrs(key), nil
		}
		var lastErr error
		for _, i := range vw.holders {
			st := s.vols[i].store()
			if st == nil {
				continue
			}
			b, la, err := st.GetRange(ctx, key, headerSize+start, end-start)
			switch {
			case err == nil && la.ETag == res[i].letag:
				return b, vw.newest.attrs(key), nil
			case err == nil:
				lastErr = errReplaced // a writer replaced this copy since the probe
			default:
				lastErr = err
			}
		}
		if attempt == 2 || !errors.Is(lastErr, errReplaced) && !errors.Is(lastErr, objectstore.ErrNotFound) {
			if errors.Is(lastErr, errReplaced) || errors.Is(lastErr, objectstore.ErrNotFound) {
				lastErr = fmt.Errorf("%v: %w", lastErr, objectstore.ErrCorrupt)
			}
			return nil, objectstore.Attrs{}, fmt.Errorf("get %s: no copy of version %d is readable: %w", key, vw.newest.version, lastErr)
		}
	}
}

// notFound is the error for a key without a live newest version: ErrCorrupt
// when no copy verified but some failed their checksum, else ErrNotFound.
func notFound(op, key string, vw view, res []copyResult) error {
	if !vw.found && hasCorrupt(res) {
		return fmt.Errorf("%s %s: every copy fails its checksum: %w", op, key, objectstore.ErrCorrupt)
	}
	return fmt.Errorf("%s %s: %w", op, key, objectstore.ErrNotFound)
}

var errReplaced = errors.New("copy replaced during read")

// Put writes data as the next version of key on every volume and returns
// once a write quorum holds it durably.
func (s *Store) Put(ctx context.Context, key string, data []byte, cond objectstore.Condition) (objectstore.Attrs, error) {
	if s.single != nil {
		return s.single.Put(ctx, key, data, cond)
	}
	if err := begin(ctx, "put", key); err != nil {
		return objectstore.Attrs{}, err
	}
	unlock, err := s.lockKey(ctx, key)
	if err != nil {
		return objectstore.Attrs{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer unlock()
	res := s.probe(ctx, key, func(int) bool { return false })
	vw, err := s.resolveFor("put", key, res, true)
	if err == nil && !s.settled(vw) {
		vw, res, err = s.writeBack(ctx, "put", key, true)
	}
	if err != nil {
		return objectstore.Attrs{}, err
	}
	switch {
	case cond.CreateOnly && vw.live():
		return objectstore.Attrs{}, fmt.Errorf("put %s: create-only but the key exists: %w", key, objectstore.ErrPreconditionFailed)
	case cond.IfMatch != "" && !vw.live():
		return objectstore.Attrs{}, fmt.Errorf("put %s: if-match %s but the key is missing: %w", key, cond.IfMatch, objectstore.ErrPreconditionFailed)
	case cond.IfMatch != "" && vw.newest.etag() != cond.IfMatch:
		return objectstore.Attrs{}, fmt.Errorf("put %s: if-match %s but the etag is %s: %w", key, cond.IfMatch, vw.newest.etag(), objectstore.ErrPreconditionFailed)
	}
	raw, h := encodeCopy(header{version: nextVersion(vw), writeID: randUint64(), mod: time.Now()}, data)
	if err := s.writeQuorum(ctx, "put", key, raw); err != nil {
		return objectstore.Attrs{}, err
	}
	return h.attrs(key), nil
}

// Delete writes a tombstone as the next version of key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if s.single != nil {
		return s.single.Delete(ctx, key)
	}
	if err := begin(ctx, "delete", key); err != nil {
		return err
	}
	unlock, err := s.lockKey(ctx, key)
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	defer unlock()
	res := s.probe(ctx, key, func(int) bool { return false })
	vw, err := s.resolveFor("delete", key, res, true)
	if err == nil && !s.settled(vw) {
		vw, res, err = s.writeBack(ctx, "delete", key, true)
	}
	if err != nil {
		return err
	}
	if !vw.live() && !hasCorrupt(res) {
		return nil
	}
	raw, _ := encodeCopy(header{tombstone: true, version: nextVersion(vw), writeID: randUint64(), mod: time.Now()}, nil)
	return s.writeQuorum(ctx, "delete", key, raw)
}

// writeQuorum writes raw to key on every attached volume in parallel and
// fails with ErrNoQuorum unless a write quorum succeeded.
func (s *Store) writeQuorum(ctx context.Context, op, key string, raw []byte) error {
	errs := make([]error, len(s.vols))
	var wg sync.WaitGroup
	for i, v := range s.vols {
		wg.Go(func() { errs[i] = s.writeCopy(ctx, v, key, raw) })
	}
	wg.Wait()
	ok := 0
	var first error
	for _, err := range errs {
		if err == nil {
			ok++
		} else if first == nil {
			first = err
		}
	}
	if ok < s.w {
		s.stats.noQuorum.Add(1)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s %s: %w", op, key, err)
		}
		err := fmt.Errorf("%s %s: %d of %d copies written, need %d (%v): %w", op, key, ok, len(s.vols), s.w, first, ErrNoQuorum)
		// When every failed copy failed for want of space (or of a
		// writable file system), so did the write: say so to the caller.
		for _, cause := range []error{objectstore.ErrNoSpace, objectstore.ErrReadOnly} {
			all := true
			for _, e := range errs {
				all = all && (e == nil || errors.Is(e, cause))
			}
			if all {
				return fmt.Errorf("%w: %w", cause, err)
			}
		}
		return err
	}
	return nil
}

// writeCopy writes one copy; a failure counts as a missed write of v.
func (s *Store) writeCopy(ctx context.Context, v *volume, key string, raw []byte) error {
	st := v.store()
	if st == nil {
		v.misses.Add(1)
		return fmt.Errorf("volume %d detached", v.idx)
	}
	if _, err := st.Put(ctx, key, raw, objectstore.Condition{}); err != nil {
		v.misses.Add(1)
		return fmt.Errorf("volume %d: %w", v.idx, err)
	}
	return nil
}

func begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, key, err)
	}
	if err := objectstore.ValidateKey(key); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
