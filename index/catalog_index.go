package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/vectorbucket/vectorbucket/index/metadata"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
)

// IndexConfig is the immutable configuration of an index.
type IndexConfig struct {
	// DataType is "float32", the only type; "" means float32.
	DataType string `json:"dataType"`
	// Dimension is 1–4096.
	Dimension int `json:"dimension"`
	// Metric is neighborhoods.Euclidean, neighborhoods.Cosine or (an
	// extension) neighborhoods.DotProduct.
	Metric neighborhoods.Metric `json:"metric"`
	// MaxFilterableMetadataBytes is the filterable-metadata budget per
	// vector (an extension): 0, as in records written before it existed,
	// means metadata.MaxFilterableBytes (2048, S3 Vectors' limit); otherwise
	// 2048-65536.
	MaxFilterableMetadataBytes int `json:"maxFilterableMetadataBytes,omitempty"`
	// NonFilterableKeys are metadata keys stored and returned but not usable
	// in filters (at most 10, 1–63 characters each).
	NonFilterableKeys []string `json:"nonFilterableKeys,omitempty"`
	// Encryption is stored and echoed.
	Encryption Encryption `json:"encryption"`
}

func (c *IndexConfig) validate() error {
	if c.DataType == "" {
		c.DataType = "float32"
	}
	if c.DataType != "float32" {
		return invalid("dataType", "must be float32, got %q", c.DataType)
	}
	if c.Dimension < MinDimension || c.Dimension > MaxDimension {
		return invalid("dimension", "must be %d-%d, got %d", MinDimension, MaxDimension, c.Dimension)
	}
	if !c.Metric.Valid() {
		return invalid("distanceMetric", "must be euclidean, cosine or dotproduct")
	}
	if err := metadata.CheckFilterableLimit(c.MaxFilterableMetadataBytes); err != nil {
		return invalid("vectorbucket.maxFilterableMetadataBytes", "must be %d-%d, got %d",
			metadata.MinFilterableLimit, metadata.MaxFilterableLimit, c.MaxFilterableMetadataBytes)
	}
	if len(c.NonFilterableKeys) > MaxNonFilterableKeys {
		return invalid("metadataConfiguration.nonFilterableMetadataKeys", "at most %d keys", MaxNonFilterableKeys)
	}
	seen := map[string]bool{}
	for _, k := range c.NonFilterableKeys {
		if n := utf8.RuneCountInString(k); n < 1 || n > MaxMetadataKeyLen {
			return invalid("metadataConfiguration.nonFilterableMetadataKeys", "key %q must be 1-%d characters", k, MaxMetadataKeyLen)
		}
		if seen[k] {
			return invalid("metadataConfiguration.nonFilterableMetadataKeys", "duplicate key %q", k)
		}
		seen[k] = true
	}
	return c.Encryption.validate("encryptionConfiguration")
}

// IndexInfo describes an index.
type IndexInfo struct {
	Bucket, Name string
	ARN          string
	// ID is the opaque id under which the index's data lives (data/<ID>/…).
	ID           string
	CreationTime time.Time
	Config       IndexConfig
}

type indexRecord struct {
	V       int               `json:"v"`
	Bucket  string            `json:"bucket"`
	Name    string            `json:"name"`
	ID      string            `json:"id"`
	Created int64             `json:"createdUnixNano"`
	Config  IndexConfig       `json:"config"`
	Tags    map[string]string `json:"tags,omitempty"`
}

func indexKey(bucket, name string) string { return indexPrefix + escape(bucket) + "/" + escape(name) }

func (db *DB) infoOf(r *indexRecord) IndexInfo {
	return IndexInfo{
		Bucket: r.Bucket, Name: r.Name, ID: r.ID, CreationTime: time.Unix(0, r.Created), Config: r.Config,
		ARN: ARN{Partition: db.opts.Partition, Region: db.opts.Region, Account: db.opts.Account, Bucket: r.Bucket, Index: r.Name}.String(),
	}
}

// CreateIndex creates an index in an existing bucket. An existing name is
// ErrConflict, a missing bucket ErrBucketNotFound.
func (db *DB) CreateIndex(ctx context.Context, bucket, name string, cfg IndexConfig, tags map[string]string) (IndexInfo, error) {
	if err := ValidateBucketName(bucket); err != nil {
		return IndexInfo{}, err
	}
	if err := ValidateIndexName(name); err != nil {
		return IndexInfo{}, err
	}
	cfg.NonFilterableKeys = slices.Clone(cfg.NonFilterableKeys)
	if err := cfg.validate(); err != nil {
		return IndexInfo{}, err
	}
	if err := ValidateTags(tags); err != nil {
		return IndexInfo{}, err
	}
	brec, _, err := db.readBucket(ctx, bucket)
	if err != nil {
		return IndexInfo{}, err
	}
	if brec.deleting(db.opts.Now()) {
		return IndexInfo{}, fmt.Errorf("%s is being deleted: %w", bucket, ErrBucketNotFound)
	}
	if err := db.checkQuota(ctx, indexPrefix+escape(bucket)+"/", db.opts.MaxIndexesPerBucket, "indexes per bucket"); err != nil {
		return IndexInfo{}, err
	}
	if cfg.Encryption.SSEType == "AES256" && brec.Encryption.SSEType != "" && cfg.Encryption.KMSKeyARN == "" {
		cfg.Encryption = brec.Encryption
	}
	rec := &indexRecord{V: recordV1, Bucket: bucket, Name: name, ID: newID(), Created: db.opts.Now().UnixNano(), Config: cfg, Tags: maps.Clone(tags)}
	// The first manifest exists before the record points at it.
	m0 := &manifest{V: manifestV1, IndexID: rec.ID, Config: cfg}
	if _, err := db.store.Put(ctx, manifestKey(rec.ID, 0), m0.encode(), objectstore.CreateOnly()); err != nil {
		return IndexInfo{}, fmt.Errorf("create index %s/%s: %w", bucket, name, err)
	}
	data, _ := json.Marshal(rec)
	if _, err := db.store.Put(ctx, indexKey(bucket, name), data, objectstore.CreateOnly()); err != nil {
		_ = db.store.Delete(ctx, manifestKey(rec.ID, 0))
		if errors.Is(err, objectstore.ErrPreconditionFailed) {
			return IndexInfo{}, fmt.Errorf("create index %s/%s: %w: already exists", bucket, name, ErrConflict)
		}
		return IndexInfo{}, fmt.Errorf("create index %s/%s: %w", bucket, name, err)
	}
	// A concurrent DeleteBucket may have checked emptiness before our
	// record existed: if so, undo.
	if brec, _, err := db.readBucket(ctx, bucket); err != nil || brec.deleting(db.opts.Now()) {
		_ = db.store.Delete(ctx, indexKey(bucket, name))
		_ = db.store.Delete(ctx, manifestKey(rec.ID, 0))
		if err == nil {
			err = fmt.Errorf("%s is being deleted: %w", bucket, ErrBucketNotFound)
		}
		return IndexInfo{}, err
	}
	return db.infoOf(rec), nil
}

func (db *DB) readIndex(ctx context.Context, bucket, name string) (*indexRecord, string, error) {
	if err := ValidateBucketName(bucket); err != nil {
		return nil, "", err
	}
	if err := ValidateIndexName(name); err != nil {
		return nil, "", err
	}
	data, attrs, err := db.store.Get(ctx, indexKey(bucket, name))
	if errors.Is(err, objectstore.ErrNotFound) {
		if _, _, berr := db.readBucket(ctx, bucket); berr != nil {
			return nil, "", berr
		}
		return nil, "", fmt.Errorf("%s/%s: %w", bucket, name, ErrIndexNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("read index %s/%s: %w", bucket, name, err)
	}
	var rec indexRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, "", fmt.Errorf("decode index %s/%s: %w", bucket, name, err)
	}
	return &rec, attrs.ETag, nil
}

// GetIndex describes an index, or returns ErrIndexNotFound / ErrBucketNotFound.
func (db *DB) GetIndex(ctx context.Context, bucket, name string) (IndexInfo, error) {
	rec, _, err := db.readIndex(ctx, bucket, name)
	if err != nil {
		return IndexInfo{}, err
	}
	return db.infoOf(rec), nil
}

// ListIndexes returns a page of a bucket's indexes in name order and the
// token of the next page ("" at the end).
func (db *DB) ListIndexes(ctx context.Context, bucket string, o ListOptions) ([]IndexInfo, string, error) {
	if _, _, err := db.readBucket(ctx, bucket); err != nil {
		return nil, "", err
	}
	names, next, err := db.listNames(ctx, indexPrefix+escape(bucket)+"/", o)
	if err != nil {
		return nil, "", err
	}
	out := make([]IndexInfo, 0, len(names))
	for _, n := range names {
		rec, _, err := db.readIndex(ctx, bucket, n)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, db.infoOf(rec))
	}
	return out, next, nil
}

// DeleteIndex deletes an index and its vectors. Open handles fail with
// ErrIndexNotFound afterwards, in every process.
func (db *DB) DeleteIndex(ctx context.Context, bucket, name string) error {
	rec, _, err := db.readIndex(ctx, bucket, name)
	if err != nil {
		return err
	}
	ix := db.handle(rec)
	// The tombstone manifest fences every writer; then the record goes,
	// then the data (GC removes the tombstone itself after the grace period).
	if err := ix.commitTombstone(ctx); err != nil && !errors.Is(err, ErrIndexNotFound) {
		return fmt.Errorf("delete index %s/%s: %w", bucket, name, err)
	}
	if err := db.store.Delete(ctx, indexKey(bucket, name)); err != nil {
		return fmt.Errorf("delete index %s/%s: %w", bucket, name, err)
	}
	db.mu.Lock()
	delete(db.open, rec.ID)
	db.mu.Unlock()
	_ = ix.close()
	return db.deleteIndexData(ctx, rec.ID, true)
}

// Index opens an index for reads and writes. The handle is shared: every
// call for the same index returns the same *Index, whose background indexer
// runs until the DB is closed or the index deleted.
func (db *DB) Index(ctx context.Context, bucket, name string) (*Index, error) {
	rec, _, err := db.readIndex(ctx, bucket, name)
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	closed := db.closed
	db.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return db.handle(rec), nil
}

func (db *DB) handle(rec *indexRecord) *Index {
	db.mu.Lock()
	defer db.mu.Unlock()
	if ix := db.open[rec.ID]; ix != nil {
		return ix
	}
	ix := newIndex(db, db.infoOf(rec))
	db.open[rec.ID] = ix
	if !db.closed {
		ix.start()
	}
	return ix
}

// resolveARN returns the bucket and index (may be "") an ARN names.
func resolveARN(arn string) (ARN, error) { return ParseARN("resourceArn", arn) }

// TagResource adds or overwrites tags on a bucket or index named by ARN.
func (db *DB) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	if err := ValidateTags(tags); err != nil {
		return err
	}
	if len(tags) == 0 {
		return invalid("tags", "at least one tag is required")
	}
	return db.updateTags(ctx, arn, func(t map[string]string) map[string]string {
		if t == nil {
			t = map[string]string{}
		}
		maps.Copy(t, tags)
		return t
	})
}

// UntagResource removes tags by key; absent keys are ignored.
func (db *DB) UntagResource(ctx context.Context, arn string, keys []string) error {
	return db.updateTags(ctx, arn, func(t map[string]string) map[string]string {
		for _, k := range keys {
			delete(t, k)
		}
		return t
	})
}

// Tags returns the tags of a bucket or index named by ARN (never nil).
func (db *DB) Tags(ctx context.Context, arn string) (map[string]string, error) {
	a, err := resolveARN(arn)
	if err != nil {
		return nil, err
	}
	var t map[string]string
	if a.Index == "" {
		rec, _, err := db.readBucket(ctx, a.Bucket)
		if err != nil {
			return nil, err
		}
		t = rec.Tags
	} else {
		rec, _, err := db.readIndex(ctx, a.Bucket, a.Index)
		if err != nil {
			return nil, err
		}
		t = rec.Tags
	}
	if t == nil {
		t = map[string]string{}
	}
	return t, nil
}

func (db *DB) updateTags(ctx context.Context, arn string, fn func(map[string]string) map[string]string) error {
	a, err := resolveARN(arn)
	if err != nil {
		return err
	}
	if a.Index == "" {
		return db.updateBucket(ctx, a.Bucket, func(r *bucketRecord) error {
			r.Tags = fn(r.Tags)
			if len(r.Tags) > MaxTags {
				return fmt.Errorf("%d tags: %w", len(r.Tags), ErrQuotaExceeded)
			}
			return nil
		})
	}
	for {
		rec, etag, err := db.readIndex(ctx, a.Bucket, a.Index)
		if err != nil {
			return err
		}
		rec.Tags = fn(rec.Tags)
		if len(rec.Tags) > MaxTags {
			return fmt.Errorf("%d tags: %w", len(rec.Tags), ErrQuotaExceeded)
		}
		data, _ := json.Marshal(rec)
		_, err = db.store.Put(ctx, indexKey(a.Bucket, a.Index), data, objectstore.IfMatch(etag))
		if errors.Is(err, objectstore.ErrPreconditionFailed) {
			continue
		}
		if err != nil {
			return fmt.Errorf("update index %s/%s: %w", a.Bucket, a.Index, err)
		}
		return nil
	}
}
