package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vectorbucket/vectorbucket/index/metadata"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Vector is one stored vector.
type Vector struct {
	// Key is 1–1024 characters, unique within the index.
	Key string
	// Data has the index's dimension (nil in reads that did not ask for it).
	Data []float32
	// Metadata is a JSON object, or nil for none.
	Metadata json.RawMessage
}

// maxBatchRecords bounds one group commit (one WAL object).
const maxBatchRecords = 16384

// Put inserts or overwrites up to 500 vectors. It returns after the write
// is committed: every later read, from any process, sees it. A key given
// twice in one call keeps its last occurrence.
func (ix *Index) Put(ctx context.Context, vecs []Vector) error {
	if len(vecs) == 0 || len(vecs) > MaxVectorsPerWrite {
		return invalid("vectors", "must hold 1-%d vectors, got %d", MaxVectorsPerWrite, len(vecs))
	}
	recs := make([]neighborhoods.Record, len(vecs))
	for i, v := range vecs {
		field := fmt.Sprintf("vectors[%d]", i)
		if err := ValidateKey(field+".key", v.Key); err != nil {
			return err
		}
		if err := ix.validateVector(field+".data", v.Data); err != nil {
			return err
		}
		md, err := ix.validateMetadata(field+".metadata", v.Metadata)
		if err != nil {
			return err
		}
		recs[i] = neighborhoods.Record{Key: v.Key, Vector: v.Data, Metadata: md}
	}
	return ix.write(ctx, recs)
}

// Delete removes up to 500 keys; absent keys are ignored. It returns after
// the delete is committed.
func (ix *Index) Delete(ctx context.Context, keys []string) error {
	if len(keys) == 0 || len(keys) > MaxVectorsPerWrite {
		return invalid("keys", "must hold 1-%d keys, got %d", MaxVectorsPerWrite, len(keys))
	}
	recs := make([]neighborhoods.Record, len(keys))
	for i, k := range keys {
		if err := ValidateKey(fmt.Sprintf("keys[%d]", i), k); err != nil {
			return err
		}
		recs[i] = neighborhoods.Record{Key: k, Deleted: true}
	}
	return ix.write(ctx, recs)
}

func (ix *Index) validateVector(field string, v []float32) error {
	cfg := ix.info.Config
	if len(v) != cfg.Dimension {
		return invalid(field, "vector has %d dimensions, the index has %d", len(v), cfg.Dimension)
	}
	zero := true
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return invalid(field, "element %d is %v; NaN and infinity are not allowed", i, x)
		}
		if x != 0 {
			zero = false
		}
	}
	if zero && cfg.Metric == neighborhoods.Cosine {
		return invalid(field, "a zero vector has no cosine distance")
	}
	return nil
}

// validateMetadata checks a metadata document against the S3 Vectors limits
// with the index's filterable budget (package metadata, the rule the API
// layer applies too) and returns it
// compacted (nil for none).
func (ix *Index) validateMetadata(field string, raw json.RawMessage) ([]byte, error) {
	md, err := metadata.CheckLimit(raw, ix.nonFilterable, ix.info.Config.MaxFilterableMetadataBytes)
	var me *metadata.Error
	if errors.As(err, &me) {
		return nil, invalid(field+me.Sub, "%s", me.Msg)
	}
	return md, err
}

// writeReq is one caller waiting for its records to be committed.
type writeReq struct {
	recs []neighborhoods.Record
	done chan error
}

// write group-commits recs: callers queue, one committer goroutine drains
// the queue into one WAL object and one manifest commit per round.
func (ix *Index) write(ctx context.Context, recs []neighborhoods.Record) error {
	if ix.isClosed() {
		return ErrClosed
	}
	req := &writeReq{recs: recs, done: make(chan error, 1)}
	ix.wmu.Lock()
	if ix.wclosed {
		ix.wmu.Unlock()
		return ErrClosed
	}
	ix.pending = append(ix.pending, req)
	if !ix.committing {
		ix.committing = true
		ix.committer.Add(1)
		go ix.commitLoop(context.WithoutCancel(ctx))
	}
	ix.wmu.Unlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		// The write may still commit; the caller cannot know, as with any
		// request that times out.
		return ctx.Err()
	}
}

// commitLoop commits the queued writes batch by batch until the queue is
// empty, or until Close, which it answers by failing what is still queued
// with ErrClosed (nothing of it was written). Close waits for it to return.
func (ix *Index) commitLoop(ctx context.Context) {
	defer ix.committer.Done()
	for {
		ix.wmu.Lock()
		if ix.wclosed {
			for _, r := range ix.pending {
				r.done <- ErrClosed
			}
			ix.pending = nil
		}
		if len(ix.pending) == 0 {
			ix.committing = false
			ix.wmu.Unlock()
			return
		}
		n, take := 0, 0
		for take < len(ix.pending) && (take == 0 || n+len(ix.pending[take].recs) <= maxBatchRecords) {
			n += len(ix.pending[take].recs)
			take++
		}
		batch := ix.pending[:take:take]
		ix.pending = append([]*writeReq(nil), ix.pending[take:]...)
		ix.wmu.Unlock()

		recs := make([]neighborhoods.Record, 0, n)
		for _, r := range batch {
			recs = append(recs, r.recs...)
		}
		err := ix.commitWAL(ctx, recs)
		for _, r := range batch {
			r.done <- err
		}
		if err == nil {
			ix.nudge()
		}
	}
}

// maxWALRewrites bounds how often one batch's WAL object is rewritten
// under a fresh name because its commit took too long; then the batch
// fails (it was not acknowledged).
const maxWALRewrites = 4

// errCommitStalled reports a batch given up because its manifest commit
// kept missing the GC grace bound (a slow store or long contention).
var errCommitStalled = errors.New("manifest commit stalled past the GC grace bound")

// commitWAL writes recs as one WAL object and commits a manifest listing it.
// GC deletes unreferenced objects older than the grace period, so a commit
// attempt only starts while the WAL object is younger than half of it;
// an older one is rewritten under a fresh name first.
func (ix *Index) commitWAL(ctx context.Context, recs []neighborhoods.Record) error {
	for i := range recs {
		recs[i].Seq = uint64(i) // relative; absolute = walRef.FirstSeq + i
	}
	cfg := ix.info.Config
	data, err := neighborhoods.EncodeSegment(cfg.Dimension, cfg.Metric, recs)
	if err != nil {
		return fmt.Errorf("encode wal batch: %w", err)
	}
	key, born, err := ix.putWAL(ctx, data)
	if err != nil {
		return err
	}
	for rewrites := 0; ; {
		if ix.now().Sub(born) > ix.revalidateWindow() {
			// Never referenced: every attempt with it failed its
			// precondition (an unknown outcome returns below).
			_ = ix.store.Delete(ctx, key)
			if rewrites == maxWALRewrites {
				return fmt.Errorf("commit wal batch: %w (wal object rewritten %d times)", errCommitStalled, rewrites)
			}
			rewrites++
			if key, born, err = ix.putWAL(ctx, data); err != nil {
				return err
			}
		}
		v, err := ix.current(ctx)
		if err != nil {
			_ = ix.store.Delete(ctx, key)
			return err
		}
		_, err = ix.commit(ctx, v, v.m.nextWithWAL(key, len(recs), int64(len(data))), born)
		if errors.Is(err, errConflictRetry) {
			continue
		}
		if err != nil {
			// Unknown outcome (the put may have landed): keep the object; GC
			// removes it if it is not referenced.
			return err
		}
		return nil
	}
}

// putWAL writes data as a WAL object under a fresh name and returns the
// name and a time no later than the object's creation.
func (ix *Index) putWAL(ctx context.Context, data []byte) (string, time.Time, error) {
	key := walKey(ix.id)
	born := ix.now()
	if _, err := ix.store.Put(ctx, key, data, objectstore.Condition{}); err != nil {
		return "", born, fmt.Errorf("write wal object: %w", err)
	}
	if seg, err := decode(key, data); err == nil {
		ix.db.cache.add(key, seg)
	}
	return key, born, nil
}
