package index

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

const (
	bucketPrefix = "catalog/buckets/"
	indexPrefix  = "catalog/indexes/"
	dataPrefix   = "data/"
	recordV1     = 1
)

// Options configure a DB and every Index it opens. The zero value is usable.
type Options struct {
	// Region and Account appear in ARNs; defaults "us-east-1" and "000000000000".
	Region, Account string
	// Partition appears in ARNs; default "aws".
	Partition string
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Indexer tunes the background indexer and GC of every opened index.
	Indexer IndexerOptions
	// MaxBuckets and MaxIndexesPerBucket are the catalog quotas; defaults
	// 10,000 each, as on S3 Vectors.
	MaxBuckets, MaxIndexesPerBucket int
	// NoQuantize turns off quantized scans (RaBitQ codes, quant.go): every
	// probed vector is then scored in float32.
	NoQuantize bool
	// CacheBytes bounds the cache of decoded neighborhood and WAL objects
	// shared by all indexes of the DB; default 1 GiB.
	CacheBytes int64
	// ReadLease, when > 0, lets reads (QueryVectors, GetVectors,
	// ListVectors) use the generation this process last verified as the
	// newest without a store request, for up to ReadLease after that
	// verification: a write committed by another process sharing the store
	// may then be invisible here for up to ReadLease. Writes, and reads
	// after this process's own writes, are unaffected (a commit installs
	// its generation). 0, the default, keeps every read strongly
	// consistent: each one checks the store for a newer manifest. It must
	// not exceed half of Indexer.GCGrace, within which GC keeps every
	// generation a reader may still use.
	ReadLease time.Duration
	// NoCentroidPrefetch turns off the read of the newest centroid table
	// that runs beside an index handle's first manifest read (it saves a
	// round trip on a cold S3 query). Tests that inject a fault at the n-th
	// store call set it: the prefetch adds calls in parallel, whose errors
	// it ignores.
	NoCentroidPrefetch bool

	// afterIndexerPass, when set (by this package's tests), is called by
	// the background indexer of every index each time it finishes a pass:
	// the folds and GC one wake-up (a write, the idle timer, the GC ticker)
	// led to. Tests wait on it instead of sleeping for the indexer.
	afterIndexerPass func(*Index)
}

func (o *Options) fill() {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "000000000000"
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBuckets == 0 {
		o.MaxBuckets = MaxBuckets
	}
	if o.MaxIndexesPerBucket == 0 {
		o.MaxIndexesPerBucket = MaxIndexesPerBucket
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = 1 << 30
	}
	o.Indexer.fill()
}

// DB is the catalog of vector buckets and indexes kept in one store, and the
// registry of open indexes. It is safe for concurrent use, also by several
// processes sharing the store.
type DB struct {
	store     objectstore.Store
	opts      Options
	cache     *segmentCache
	centroids *centroidCache

	mu     sync.Mutex
	open   map[string]*Index // by index id
	closed bool
}

// Open returns a DB on store. It does no I/O; buckets and indexes are read
// on demand.
func Open(ctx context.Context, store objectstore.Store, opts Options) (*DB, error) {
	_ = ctx
	opts.fill()
	if opts.ReadLease < 0 || opts.ReadLease > opts.Indexer.GCGrace/2 {
		return nil, fmt.Errorf("%w: read lease %v must be between 0 and half the GC grace period (%v)", ErrBadOptions, opts.ReadLease, opts.Indexer.GCGrace/2)
	}
	return &DB{store: store, opts: opts, open: map[string]*Index{}, cache: newSegmentCache(opts.CacheBytes), centroids: newCentroidCache()}, nil
}

// Close stops the background work of every open index. Indexes obtained
// from the DB fail with ErrClosed afterwards.
func (db *DB) Close() error {
	db.mu.Lock()
	db.closed = true
	open := db.open
	db.open = map[string]*Index{}
	db.mu.Unlock()
	var errs []error
	for _, ix := range open {
		errs = append(errs, ix.close())
	}
	return errors.Join(errs...)
}

// Encryption is a bucket's or index's encryption configuration, stored and
// echoed (objects are not encrypted by vectorbucket itself).
type Encryption struct {
	SSEType   string `json:"sseType,omitempty"`
	KMSKeyARN string `json:"kmsKeyArn,omitempty"`
}

func (e *Encryption) validate(field string) error {
	switch e.SSEType {
	case "":
		e.SSEType = "AES256"
		fallthrough
	case "AES256":
		if e.KMSKeyARN != "" {
			return invalid(field+".kmsKeyArn", "only allowed with sseType aws:kms")
		}
	case "aws:kms":
		if !strings.HasPrefix(e.KMSKeyARN, "arn:aws") || !strings.Contains(e.KMSKeyARN, ":kms:") || len(e.KMSKeyARN) > 2048 {
			return invalid(field+".kmsKeyArn", "must be a KMS key ARN")
		}
	default:
		return invalid(field+".sseType", "must be AES256 or aws:kms, got %q", e.SSEType)
	}
	return nil
}

// Bucket describes a vector bucket.
type Bucket struct {
	Name         string
	ARN          string
	CreationTime time.Time
	Encryption   Encryption
}

type bucketRecord struct {
	V          int               `json:"v"`
	Name       string            `json:"name"`
	Created    int64             `json:"createdUnixNano"`
	Encryption Encryption        `json:"encryption"`
	Policy     *string           `json:"policy,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	// Deleting is set while a delete checks that the bucket is empty; index
	// creation refuses a bucket in this state. DeletingSince (UnixNano) lets
	// a flag left by a crashed delete expire after a minute.
	Deleting      bool  `json:"deleting,omitempty"`
	DeletingSince int64 `json:"deletingSince,omitempty"`
}

// deleting reports whether a bucket delete is (still) in progress.
func (r *bucketRecord) deleting(now time.Time) bool {
	return r.Deleting && now.Sub(time.Unix(0, r.DeletingSince)) < time.Minute
}

func (db *DB) bucketARN(name string) string {
	return ARN{Partition: db.opts.Partition, Region: db.opts.Region, Account: db.opts.Account, Bucket: name}.String()
}

func (db *DB) bucketOf(r *bucketRecord) Bucket {
	return Bucket{Name: r.Name, ARN: db.bucketARN(r.Name), CreationTime: time.Unix(0, r.Created), Encryption: r.Encryption}
}

func bucketKey(name string) string { return bucketPrefix + escape(name) }

// BucketOptions are the optional settings of CreateBucket.
type BucketOptions struct {
	Encryption Encryption
	Tags       map[string]string
}

// CreateBucket creates a vector bucket. An existing name is ErrConflict.
func (db *DB) CreateBucket(ctx context.Context, name string, opts BucketOptions) (Bucket, error) {
	if err := ValidateBucketName(name); err != nil {
		return Bucket{}, err
	}
	if err := opts.Encryption.validate("encryptionConfiguration"); err != nil {
		return Bucket{}, err
	}
	if err := ValidateTags(opts.Tags); err != nil {
		return Bucket{}, err
	}
	if err := db.checkQuota(ctx, bucketPrefix, db.opts.MaxBuckets, "vector buckets"); err != nil {
		return Bucket{}, err
	}
	rec := &bucketRecord{V: recordV1, Name: name, Created: db.opts.Now().UnixNano(), Encryption: opts.Encryption, Tags: maps.Clone(opts.Tags)}
	data, _ := json.Marshal(rec)
	if _, err := db.store.Put(ctx, bucketKey(name), data, objectstore.CreateOnly()); err != nil {
		if errors.Is(err, objectstore.ErrPreconditionFailed) {
			return Bucket{}, fmt.Errorf("create vector bucket %s: %w: already exists", name, ErrConflict)
		}
		return Bucket{}, fmt.Errorf("create vector bucket %s: %w", name, err)
	}
	return db.bucketOf(rec), nil
}

func (db *DB) readBucket(ctx context.Context, name string) (*bucketRecord, string, error) {
	if err := ValidateBucketName(name); err != nil {
		return nil, "", err
	}
	data, attrs, err := db.store.Get(ctx, bucketKey(name))
	if errors.Is(err, objectstore.ErrNotFound) {
		return nil, "", fmt.Errorf("%s: %w", name, ErrBucketNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("read vector bucket %s: %w", name, err)
	}
	var rec bucketRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, "", fmt.Errorf("decode vector bucket %s: %w", name, err)
	}
	return &rec, attrs.ETag, nil
}

// updateBucket applies fn to the bucket record with an if-match write,
// retrying when another writer changed it in between.
func (db *DB) updateBucket(ctx context.Context, name string, fn func(*bucketRecord) error) error {
	for {
		rec, etag, err := db.readBucket(ctx, name)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
		data, _ := json.Marshal(rec)
		_, err = db.store.Put(ctx, bucketKey(name), data, objectstore.IfMatch(etag))
		if errors.Is(err, objectstore.ErrPreconditionFailed) {
			continue
		}
		if err != nil {
			return fmt.Errorf("update vector bucket %s: %w", name, err)
		}
		return nil
	}
}

// GetBucket returns a bucket or ErrBucketNotFound.
func (db *DB) GetBucket(ctx context.Context, name string) (Bucket, error) {
	rec, _, err := db.readBucket(ctx, name)
	if err != nil {
		return Bucket{}, err
	}
	return db.bucketOf(rec), nil
}

// ListOptions page through buckets or indexes.
type ListOptions struct {
	// Prefix keeps only names that start with it.
	Prefix string
	// MaxResults is the page size, 1–500; 0 means 500.
	MaxResults int
	// Token continues a listing; "" starts it.
	Token string
}

func (o *ListOptions) check() (startAfter string, err error) {
	if o.MaxResults == 0 {
		o.MaxResults = MaxCatalogPage
	}
	if o.MaxResults < 1 || o.MaxResults > MaxCatalogPage {
		return "", invalid("maxResults", "must be 1-%d", MaxCatalogPage)
	}
	if len(o.Prefix) > 63 {
		return "", invalid("prefix", "must be at most 63 characters")
	}
	if o.Token == "" {
		return "", nil
	}
	raw, err := hex.DecodeString(o.Token)
	if err != nil || len(raw) == 0 {
		return "", invalid("nextToken", "malformed token")
	}
	return string(raw), nil
}

// listNames lists record names under dir (a catalog prefix) in order.
func (db *DB) listNames(ctx context.Context, dir string, o ListOptions) ([]string, string, error) {
	after, err := o.check()
	if err != nil {
		return nil, "", err
	}
	start := ""
	if after != "" {
		start = dir + escape(after)
	}
	page, err := db.store.List(ctx, objectstore.ListOptions{Prefix: dir + escape(o.Prefix), StartAfter: start, Limit: o.MaxResults + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", dir, err)
	}
	var names []string
	for _, a := range page.Objects {
		rest := strings.TrimPrefix(a.Key, dir)
		if strings.Contains(rest, "/") {
			continue
		}
		names = append(names, unescape(rest))
	}
	next := ""
	if len(names) > o.MaxResults {
		names = names[:o.MaxResults]
		next = hex.EncodeToString([]byte(names[len(names)-1]))
	}
	return names, next, nil
}

// ListBuckets returns a page of buckets in name order and the token of the
// next page ("" at the end).
func (db *DB) ListBuckets(ctx context.Context, o ListOptions) ([]Bucket, string, error) {
	names, next, err := db.listNames(ctx, bucketPrefix, o)
	if err != nil {
		return nil, "", err
	}
	out := make([]Bucket, 0, len(names))
	for _, n := range names {
		rec, _, err := db.readBucket(ctx, n)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, db.bucketOf(rec))
	}
	return out, next, nil
}

// DeleteBucket deletes an empty bucket. A bucket that still holds indexes is
// ErrBucketNotEmpty.
func (db *DB) DeleteBucket(ctx context.Context, name string) error {
	// Mark the bucket as deleting so that no index creation can slip in
	// between the emptiness check and the delete.
	if err := db.updateBucket(ctx, name, func(r *bucketRecord) error {
		r.Deleting, r.DeletingSince = true, db.opts.Now().UnixNano()
		return nil
	}); err != nil {
		return err
	}
	page, err := db.store.List(ctx, objectstore.ListOptions{Prefix: indexPrefix + escape(name) + "/", Limit: 1})
	if err == nil && len(page.Objects) > 0 {
		err = fmt.Errorf("delete vector bucket %s: %w", name, ErrBucketNotEmpty)
	}
	if err != nil {
		if uerr := db.updateBucket(ctx, name, func(r *bucketRecord) error { r.Deleting = false; return nil }); uerr != nil && !errors.Is(uerr, ErrNotFound) {
			err = errors.Join(err, uerr)
		}
		return err
	}
	if err := db.store.Delete(ctx, bucketKey(name)); err != nil {
		return fmt.Errorf("delete vector bucket %s: %w", name, err)
	}
	return nil
}

// PutBucketPolicy stores a bucket's resource policy (an IAM policy JSON
// string; stored and returned, not enforced).
func (db *DB) PutBucketPolicy(ctx context.Context, bucket, policy string) error {
	if policy == "" || !json.Valid([]byte(policy)) {
		return invalid("policy", "must be a JSON policy document")
	}
	return db.updateBucket(ctx, bucket, func(r *bucketRecord) error { r.Policy = &policy; return nil })
}

// BucketPolicy returns a bucket's policy, or ErrPolicyNotFound.
func (db *DB) BucketPolicy(ctx context.Context, bucket string) (string, error) {
	rec, _, err := db.readBucket(ctx, bucket)
	if err != nil {
		return "", err
	}
	if rec.Policy == nil {
		return "", fmt.Errorf("%s: %w", bucket, ErrPolicyNotFound)
	}
	return *rec.Policy, nil
}

// DeleteBucketPolicy removes a bucket's policy; removing none is not an error.
func (db *DB) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	return db.updateBucket(ctx, bucket, func(r *bucketRecord) error { r.Policy = nil; return nil })
}

// checkQuota fails with ErrQuotaExceeded when dir already holds limit
// records. Concurrent creates may overshoot by their number.
func (db *DB) checkQuota(ctx context.Context, dir string, limit int, what string) error {
	n := 0
	for _, err := range listAfter(ctx, db.store, dir, "") {
		if err != nil {
			return fmt.Errorf("count %s: %w", what, err)
		}
		if n++; n >= limit {
			return fmt.Errorf("at most %d %s: %w", limit, what, ErrQuotaExceeded)
		}
	}
	return nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
