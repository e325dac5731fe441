package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// ScrubOptions tunes one scrub pass.
type ScrubOptions struct {
	// BytesPerSecond caps the bytes read and written; 0 means no limit.
	BytesPerSecond int64
	// Prefix limits the pass to keys with this prefix. A pass with a
	// prefix never declares a volume refilled.
	Prefix string
}

// Report counts what a scrub pass (or read repair) found and did.
type Report struct {
	Objects      int64 // keys scanned (tombstones included)
	Copies       int64 // copies verified
	Missing      int64 // copies absent from an attached volume
	Stale        int64 // copies holding an older version
	Corrupt      int64 // copies that failed their checksum
	Repaired     int64 // copies rewritten from a healthy one
	Unrepairable int64 // keys with no verifiable copy of their newest version, or copies that could not be written
	Tombstones   int64 // keys whose tombstones were removed from every volume
	Bytes        int64 // bytes read and written
	// Refilled lists the volumes declared complete replicas by this pass.
	Refilled []int
	// Detached lists the volumes that could not be attached.
	Detached []int
	Duration time.Duration
}

// String formats the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("objects %d, copies %d, missing %d, stale %d, corrupt %d, repaired %d, unrepairable %d, tombstones removed %d, %d bytes, refilled volumes %v, detached volumes %v, in %v",
		r.Objects, r.Copies, r.Missing, r.Stale, r.Corrupt, r.Repaired, r.Unrepairable, r.Tombstones, r.Bytes, r.Refilled, r.Detached, r.Duration.Round(time.Millisecond))
}

// Stats are the store's cumulative counters, for metrics export.
type Stats struct {
	ScrubPasses      int64
	ScrubObjects     int64
	ScrubCopies      int64
	CopiesMissing    int64
	CopiesStale      int64
	CopiesCorrupt    int64 // found by scrub
	CopiesRepaired   int64 // by scrub
	Unrepairable     int64
	ScrubBytes       int64
	CorruptSeen      int64 // copies that failed their checksum on any read
	ReadRepairQueued int64
	ReadRepaired     int64 // copies rewritten by read repair
	NoQuorum         int64 // operations failed with ErrNoQuorum
	WriteBacks       int64 // versions found on fewer than W volumes and written back before use
}

type counters struct {
	scrubPasses, scrubObjects, scrubCopies, missing, stale, corrupt, repaired, unrepairable, scrubBytes atomic.Int64
	corruptSeen, readRepairQueued, readRepaired, noQuorum, writeBacks                                   atomic.Int64
}

// Stats returns the cumulative counters.
func (s *Store) Stats() Stats {
	c := &s.stats
	return Stats{
		ScrubPasses: c.scrubPasses.Load(), ScrubObjects: c.scrubObjects.Load(), ScrubCopies: c.scrubCopies.Load(),
		CopiesMissing: c.missing.Load(), CopiesStale: c.stale.Load(), CopiesCorrupt: c.corrupt.Load(),
		CopiesRepaired: c.repaired.Load(), Unrepairable: c.unrepairable.Load(), ScrubBytes: c.scrubBytes.Load(),
		CorruptSeen: c.corruptSeen.Load(), ReadRepairQueued: c.readRepairQueued.Load(), ReadRepaired: c.readRepaired.Load(),
		NoQuorum: c.noQuorum.Load(), WriteBacks: c.writeBacks.Load(),
	}
}

// Scrub walks every object, verifies every copy and rewrites missing,
// stale or corrupt copies from a healthy one. It first attaches volumes
// that came back (an empty directory where a volume was), and declares a
// volume that had no marker a complete replica once the pass has refilled
// it without missing a write. It returns what it found; an error means the
// pass stopped early (the report covers what it did).
func (s *Store) Scrub(ctx context.Context, opts ScrubOptions) (rep Report, err error) {
	start := time.Now()
	defer func() {
		rep.Duration = time.Since(start)
		c := &s.stats
		c.scrubPasses.Add(1)
		c.scrubObjects.Add(rep.Objects)
		c.scrubCopies.Add(rep.Copies)
		c.missing.Add(rep.Missing)
		c.stale.Add(rep.Stale)
		c.corrupt.Add(rep.Corrupt)
		c.repaired.Add(rep.Repaired)
		c.unrepairable.Add(rep.Unrepairable)
		c.scrubBytes.Add(rep.Bytes)
	}()
	if s.single != nil {
		err = s.verifySingle(ctx, opts, &rep, start)
		return rep, err
	}
	// Attach returning volumes; note those that must be refilled.
	var filling []*volume
	for _, v := range s.vols {
		if v.complete() {
			if v.store() == nil {
				if err := s.attach(v); err != nil {
					rep.Detached = append(rep.Detached, v.idx)
				}
			}
			continue
		}
		if _, err := os.Stat(v.dir); err != nil {
			rep.Detached = append(rep.Detached, v.idx)
			continue
		}
		if v.laidOut() {
			v.misses.Store(0) // refilling already: count this pass's misses
		} else if err := s.attach(v); err != nil {
			rep.Detached = append(rep.Detached, v.idx)
			continue
		}
		filling = append(filling, v)
	}
	after := ""
	for {
		keys, frontier, more, err := s.listKeys(ctx, opts.Prefix, after, 1000)
		if err != nil {
			return rep, fmt.Errorf("scrub: %w", err)
		}
		for _, k := range keys {
			if err := s.repairKey(ctx, k, &rep); err != nil {
				return rep, fmt.Errorf("scrub: %w", err)
			}
			pace(ctx, opts.BytesPerSecond, rep.Bytes, start)
		}
		if !more {
			break
		}
		after = frontier
	}
	if opts.Prefix == "" {
		for _, v := range filling {
			if v.misses.Load() == 0 && v.store() != nil {
				if err := s.writeMarker(v); err != nil {
					return rep, fmt.Errorf("scrub: %w", err)
				}
				rep.Refilled = append(rep.Refilled, v.idx)
			}
		}
	}
	return rep, nil
}

// pace sleeps so that bytes done since start stay under the rate.
func pace(ctx context.Context, rate, bytes int64, start time.Time) {
	if rate <= 0 {
		return
	}
	due := time.Duration(float64(bytes) / float64(rate) * float64(time.Second))
	if wait := due - time.Since(start); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// repairKey verifies every copy of key under its lock and rewrites the
// copies that are missing, stale or corrupt. Tombstones present on every
// volume are removed.
func (s *Store) repairKey(ctx context.Context, key string, rep *Report) error {
	unlock, err := s.lockKey(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		rep.Unrepairable++
		return nil // too few volumes to lock: the next pass tries again
	}
	defer unlock()
	res := s.probe(ctx, key, func(int) bool { return true })
	rep.Objects++
	var vw view
	for i, r := range res {
		if r.state == present {
			rep.Copies++
			rep.Bytes += int64(len(r.raw))
			if !vw.found || r.hdr.newer(vw.newest) {
				vw.found, vw.newest, vw.holders = true, r.hdr, []int{i}
			} else if r.hdr.same(vw.newest) {
				vw.holders = append(vw.holders, i)
			}
		}
		if r.state == corrupt {
			rep.Copies++
			rep.Corrupt++
		}
	}
	if !vw.found {
		if hasCorrupt(res) {
			rep.Unrepairable++
		}
		return nil
	}
	good := res[vw.holders[0]].raw
	if vw.newest.tombstone && s.tombstoneEverywhere(res) {
		for _, v := range s.vols {
			if st := v.store(); st != nil {
				if err := st.Delete(ctx, key); err != nil {
					return nil // retried next pass
				}
			}
		}
		rep.Tombstones++
		return nil
	}
	for i, r := range res {
		switch r.state {
		case unavailable:
			continue
		case absent:
			if vw.newest.tombstone {
				continue // nothing to bring back
			}
			rep.Missing++
		case present:
			if r.hdr.same(vw.newest) {
				continue
			}
			rep.Stale++
		}
		if err := s.writeCopy(ctx, s.vols[i], key, good); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rep.Unrepairable++
			continue
		}
		rep.Repaired++
		rep.Bytes += int64(len(good))
	}
	return nil
}

// tombstoneEverywhere reports whether every volume is a complete replica
// that holds either nothing or a tombstone for the key: then no volume can
// bring an old version back and the tombstones can go.
func (s *Store) tombstoneEverywhere(res []copyResult) bool {
	for _, r := range res {
		if !r.complete {
			return false
		}
		switch {
		case r.state == absent:
		case r.state == present && r.hdr.tombstone:
		default:
			return false
		}
	}
	return true
}

// verifySingle is Scrub for one volume: verify only.
func (s *Store) verifySingle(ctx context.Context, opts ScrubOptions, rep *Report, start time.Time) error {
	for a, err := range objectstore.All(ctx, s.single, opts.Prefix) {
		if err != nil {
			return fmt.Errorf("scrub: %w", err)
		}
		rep.Objects++
		rep.Copies++
		b, _, err := s.single.Get(ctx, a.Key)
		switch {
		case errors.Is(err, objectstore.ErrCorrupt):
			rep.Corrupt++
			rep.Unrepairable++
		case errors.Is(err, objectstore.ErrNotFound):
		case err != nil:
			return fmt.Errorf("scrub %s: %w", a.Key, err)
		}
		rep.Bytes += int64(len(b))
		pace(ctx, opts.BytesPerSecond, rep.Bytes, start)
	}
	return nil
}
