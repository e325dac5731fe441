// Package s3 is the objectstore backend for any S3-compatible service (AWS
// S3, MinIO, Ceph RGW, versitygw) through the AWS SDK for Go v2. It is the
// only package of vectorbucket that imports the S3 SDK.
//
// Conditions map onto S3 conditional writes: a create-only put sends
// If-None-Match: *, an if-match put sends If-Match: <etag>. A 412 (or a 409
// ConditionalRequestConflict, which S3 returns when two conditional writes
// race) is objectstore.ErrPreconditionFailed; so is a 404 on an if-match put
// (there is no object to match).
//
// # Integrity
//
// Every object is written with user metadata holding the CRC32C of the whole
// object (x-amz-meta-vb-crc32c) and, for objects larger than one 64 KiB block,
// the CRC32C of each block (x-amz-meta-vb-blocks; at most 256 blocks, so the
// block size doubles for objects above 16 MiB). For single-part uploads the
// whole-object CRC is also sent as x-amz-checksum-crc32c, so the server
// rejects a body damaged in transit (AWS S3 and versitygw check it).
//
// A Get verifies the whole-object CRC. A GetRange fetches the range widened
// to block boundaries, verifies every block it fetched and then returns the
// requested bytes, so every byte returned is verified; the price is at most
// one block of extra transfer on each side (128 KiB for objects up to 16 MiB)
// and, for objects above 16 MiB whose blocks are larger than 64 KiB, a second
// request. An object without the checksum metadata (written behind the
// store's back) reads as objectstore.ErrCorrupt, never as unverified bytes.
//
// # Retries and ambiguous writes
//
// Unconditional requests use the SDK's retryer. Conditional puts are retried
// by this package instead: if a retry (after a lost response) answers 412, the
// store reads the object's attributes and reports success when its checksum
// and size are those of the bytes just written, so a put that did succeed is
// not reported as lost. Any error other than ErrPreconditionFailed from a
// conditional put means the outcome is unknown: the object may or may not
// have been written.
//
// # Attributes
//
// Attrs.ETag is the S3 ETag as the server sends it (quotes included); pass it
// back unchanged in objectstore.IfMatch. List does not see user metadata, so
// the Attrs it returns have CRC32C zero; Head, Get and GetRange fill it in.
// The ModTime that Put returns is the client's clock; the others are the
// server's (S3 dates have one-second resolution). S3 ETags are content
// hashes: rewriting identical bytes keeps the ETag, so an if-match put with
// that ETag still succeeds afterwards.
//
// # Servers
//
// Servers that keep objects as files (versitygw's posix backend, MinIO)
// cannot hold a key next to keys below it ("a" and "a/b") and limit a path
// segment to 255 bytes; the object layout of vectorbucket never needs
// either. versitygw 1.8.0 also lets a delete that races an if-match put of
// the same key succeed while the put's object survives
// (TestDeleteRacingIfMatch); vectorbucket never deletes an object that is
// being compare-and-swapped.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Defaults for Config fields left zero.
const (
	DefaultRegion             = "us-east-1"
	DefaultMultipartThreshold = 16 << 20
	DefaultPartSize           = 8 << 20
	DefaultPartConcurrency    = 4
	DefaultMaxAttempts        = 3
	DefaultMaxIdleConns       = 64
)

// Config says where the store lives and how to reach it.
type Config struct {
	// Endpoint is the service URL, e.g. "http://127.0.0.1:7070". Empty
	// means AWS S3 in Region.
	Endpoint string
	// Region defaults to DefaultRegion.
	Region string
	// PathStyle addresses buckets as endpoint/bucket/key instead of
	// bucket.endpoint/key. Most self-hosted services need it.
	PathStyle bool
	// AccessKey and SecretKey (and optionally SessionToken) are static
	// credentials. Empty AccessKey means the SDK's default chain
	// (environment, shared config, instance role, ...).
	AccessKey, SecretKey, SessionToken string
	// Bucket holds the objects. Required.
	Bucket string
	// Prefix is prepended to every key; usually it ends in "/". Keys in
	// results never include it.
	Prefix string
	// MultipartThreshold: objects larger than this are uploaded in parts.
	// Defaults to DefaultMultipartThreshold.
	MultipartThreshold int64
	// PartSize of multipart uploads (S3 requires at least 5 MiB for all but
	// the last part). Defaults to DefaultPartSize.
	PartSize int64
	// PartConcurrency is how many parts are uploaded at once.
	PartConcurrency int
	// MaxAttempts bounds the attempts of each request, retries included.
	MaxAttempts int
	// HTTPClient overrides the SDK's HTTP client (optional).
	HTTPClient *http.Client
}

// Store is an objectstore.Store on one S3 bucket (and key prefix).
type Store struct {
	client *awss3.Client
	cfg    Config
}

var _ objectstore.Store = (*Store)(nil)

// New returns a store for cfg. It does not contact the service; use
// EnsureBucket to check that the bucket is reachable (and create it).
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3 store: empty bucket name")
	}
	if cfg.Prefix != "" {
		if err := objectstore.ValidateKey(cfg.Prefix + "k"); err != nil {
			return nil, fmt.Errorf("s3 store: key prefix %q: %w", cfg.Prefix, err)
		}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.MultipartThreshold <= 0 {
		cfg.MultipartThreshold = DefaultMultipartThreshold
	}
	if cfg.PartSize <= 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.PartConcurrency <= 0 {
		cfg.PartConcurrency = DefaultPartConcurrency
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(cfg.Region),
		config.WithRetryMaxAttempts(cfg.MaxAttempts),
		// The store computes and checks its own CRC32C; the SDK's default
		// CRC32 on every request would only add cost (and aws-chunked
		// encoding, which not every S3-compatible server speaks).
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	} else {
		// A query fetches many objects at once: keep more idle connections
		// per host than the SDK's default of 10, so they are reused.
		opts = append(opts, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(
			func(t *http.Transport) { t.MaxIdleConnsPerHost = DefaultMaxIdleConns })))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 store: load aws config: %w", err)
	}
	client := awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
	})
	return &Store{client: client, cfg: cfg}, nil
}

// String names the store for logs.
func (s *Store) String() string {
	return fmt.Sprintf("s3://%s/%s (%s)", s.cfg.Bucket, s.cfg.Prefix, s.cfg.Endpoint)
}

// EnsureBucket checks that the bucket exists and creates it if it does not.
func (s *Store) EnsureBucket(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &s.cfg.Bucket})
	if err == nil {
		return nil
	}
	if httpStatus(err) != http.StatusNotFound {
		return fmt.Errorf("s3 head bucket %q: %w", s.cfg.Bucket, err)
	}
	in := &awss3.CreateBucketInput{Bucket: &s.cfg.Bucket}
	if s.cfg.Region != DefaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(s.cfg.Region),
		}
	}
	_, err = s.client.CreateBucket(ctx, in)
	if err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		var exists *types.BucketAlreadyExists
		if errors.As(err, &owned) || errors.As(err, &exists) {
			return nil
		}
		switch apiCode(err) {
		case "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
			return nil
		}
		return fmt.Errorf("s3 create bucket %q: %w", s.cfg.Bucket, err)
	}
	return nil
}

func (s *Store) fullKey(key string) (string, error) {
	if err := objectstore.ValidateKey(key); err != nil {
		return "", err
	}
	if len(s.cfg.Prefix)+len(key) > objectstore.MaxKeyLen {
		return "", fmt.Errorf("key %q… under prefix %q: %w", key[:min(len(key), 64)], s.cfg.Prefix, objectstore.ErrInvalidKey)
	}
	return s.cfg.Prefix + key, nil
}

// Get returns the whole object after checking its CRC32C.
func (s *Store) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	return retryTorn(ctx, func() ([]byte, objectstore.Attrs, error) { return s.get(ctx, key) })
}

func (s *Store) get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	fk, err := s.fullKey(key)
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &fk})
	if err != nil {
		return nil, objectstore.Attrs{}, translate("get", key, err)
	}
	defer out.Body.Close()
	sum, err := parseSums(out.Metadata)
	if err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("s3 get %q: %w", key, err)
	}
	data, err := readBody(out.Body, aws.ToInt64(out.ContentLength))
	if err != nil {
		return nil, objectstore.Attrs{}, translate("get", key, err)
	}
	if int64(len(data)) != sum.size || objectstore.Checksum(data) != sum.crc {
		return nil, objectstore.Attrs{}, fmt.Errorf("s3 get %q: %d bytes do not match the stored checksum of %d bytes: %w",
			key, len(data), sum.size, objectstore.ErrCorrupt)
	}
	return data, attrs(key, sum, out.ETag, out.LastModified), nil
}

// Head returns the attributes of key.
func (s *Store) Head(ctx context.Context, key string) (objectstore.Attrs, error) {
	_, a, err := retryTorn(ctx, func() ([]byte, objectstore.Attrs, error) {
		a, err := s.head(ctx, key)
		return nil, a, err
	})
	return a, err
}

func (s *Store) head(ctx context.Context, key string) (objectstore.Attrs, error) {
	fk, err := s.fullKey(key)
	if err != nil {
		return objectstore.Attrs{}, err
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &fk})
	if err != nil {
		return objectstore.Attrs{}, translate("head", key, err)
	}
	sum, err := parseSums(out.Metadata)
	if err != nil {
		return objectstore.Attrs{}, fmt.Errorf("s3 head %q: %w", key, err)
	}
	if n := aws.ToInt64(out.ContentLength); n != sum.size {
		return objectstore.Attrs{}, fmt.Errorf("s3 head %q: size %d, checksum metadata says %d: %w",
			key, n, sum.size, objectstore.ErrCorrupt)
	}
	return attrs(key, sum, out.ETag, out.LastModified), nil
}

// Put writes data under key if cond holds. Objects above the multipart
// threshold are uploaded in parts; the condition is then checked when the
// upload completes.
func (s *Store) Put(ctx context.Context, key string, data []byte, cond objectstore.Condition) (objectstore.Attrs, error) {
	fk, err := s.fullKey(key)
	if err != nil {
		return objectstore.Attrs{}, err
	}
	sum := computeSums(data)
	var etag string
	if int64(len(data)) > s.cfg.MultipartThreshold {
		etag, err = s.putMultipart(ctx, fk, data, sum, cond)
	} else {
		etag, err = s.putSingle(ctx, fk, data, sum, cond)
	}
	if err != nil {
		return objectstore.Attrs{}, translatePut(key, cond, err)
	}
	return objectstore.Attrs{
		Key:     key,
		Size:    sum.size,
		ETag:    etag,
		CRC32C:  sum.crc,
		ModTime: time.Now().UTC(),
	}, nil
}

func (s *Store) putSingle(ctx context.Context, fk string, data []byte, sum sums, cond objectstore.Condition) (string, error) {
	do := func(ctx context.Context, optFns ...func(*awss3.Options)) (string, error) {
		in := &awss3.PutObjectInput{
			Bucket:         &s.cfg.Bucket,
			Key:            &fk,
			Body:           bytes.NewReader(data),
			ContentLength:  aws.Int64(int64(len(data))),
			Metadata:       sum.metadata(),
			ChecksumCRC32C: aws.String(sum.crcBase64()),
		}
		setCondition(&in.IfNoneMatch, &in.IfMatch, cond)
		out, err := s.client.PutObject(ctx, in, optFns...)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	}
	if !conditional(cond) {
		return do(ctx)
	}
	return s.conditionalRetry(ctx, fk, sum, do)
}

func setCondition(ifNoneMatch, ifMatch **string, cond objectstore.Condition) {
	if cond.CreateOnly {
		*ifNoneMatch = aws.String("*")
	}
	if cond.IfMatch != "" {
		*ifMatch = aws.String(cond.IfMatch)
	}
}

func conditional(cond objectstore.Condition) bool { return cond.CreateOnly || cond.IfMatch != "" }

// conditionalRetry runs a conditional write without the SDK's retryer and
// retries it here, so that a 412 on a retry can be checked against what the
// earlier, possibly successful, attempt wrote.
func (s *Store) conditionalRetry(ctx context.Context, fk string, sum sums,
	do func(context.Context, ...func(*awss3.Options)) (string, error)) (string, error) {
	noRetry := func(o *awss3.Options) { o.Retryer = aws.NopRetryer{} }
	var err error
	for attempt := 0; attempt < s.cfg.MaxAttempts; attempt++ {
		if attempt > 0 {
			if werr := sleep(ctx, backoff(attempt)); werr != nil {
				return "", errors.Join(err, werr)
			}
		}
		var etag string
		etag, err = do(ctx, noRetry)
		if err == nil {
			return etag, nil
		}
		if attempt > 0 && (isPrecondition(err) || httpStatus(err) == http.StatusNotFound) {
			// An earlier attempt may have succeeded with its response lost.
			if out, herr := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &fk}); herr == nil {
				if got, perr := parseSums(out.Metadata); perr == nil && got.crc == sum.crc && got.size == sum.size {
					return aws.ToString(out.ETag), nil
				}
			}
			return "", err
		}
		if !retryable(err) {
			return "", err
		}
	}
	return "", err
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	fk, err := s.fullKey(key)
	if err != nil {
		return err
	}
	_, err = s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &fk})
	if err != nil {
		err = translate("delete", key, err)
		if errors.Is(err, objectstore.ErrNotFound) {
			return nil
		}
		return err
	}
	return nil
}

// List returns one page of keys under opts.Prefix after opts.StartAfter, in
// ascending byte order (ListObjectsV2 order).
func (s *Store) List(ctx context.Context, opts objectstore.ListOptions) (objectstore.Page, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = objectstore.DefaultListLimit
	}
	if limit > 1000 {
		limit = 1000 // S3's page size cap; Next carries on
	}
	in := &awss3.ListObjectsV2Input{
		Bucket:  &s.cfg.Bucket,
		Prefix:  aws.String(s.cfg.Prefix + opts.Prefix),
		MaxKeys: aws.Int32(int32(limit)),
	}
	if opts.StartAfter != "" {
		in.StartAfter = aws.String(s.cfg.Prefix + opts.StartAfter)
	}
	out, err := s.client.ListObjectsV2(ctx, in)
	if err != nil {
		return objectstore.Page{}, translate("list", opts.Prefix, err)
	}
	page := objectstore.Page{Objects: make([]objectstore.Attrs, 0, len(out.Contents))}
	for _, o := range out.Contents {
		k, ok := strings.CutPrefix(aws.ToString(o.Key), s.cfg.Prefix)
		if !ok {
			continue
		}
		page.Objects = append(page.Objects, objectstore.Attrs{
			Key:     k,
			Size:    aws.ToInt64(o.Size),
			ETag:    aws.ToString(o.ETag),
			ModTime: aws.ToTime(o.LastModified),
		})
	}
	if aws.ToBool(out.IsTruncated) && len(page.Objects) > 0 {
		page.Next = page.Objects[len(page.Objects)-1].Key
	}
	return page, nil
}

func attrs(key string, sum sums, etag *string, mod *time.Time) objectstore.Attrs {
	return objectstore.Attrs{
		Key:     key,
		Size:    sum.size,
		ETag:    aws.ToString(etag),
		CRC32C:  sum.crc,
		ModTime: aws.ToTime(mod),
	}
}

// readBody reads a response body of n bytes (n < 0: unknown).
func readBody(r io.Reader, n int64) ([]byte, error) {
	if n < 0 {
		return io.ReadAll(r)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return buf, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func backoff(attempt int) time.Duration {
	return time.Duration(1<<min(attempt, 6)) * 20 * time.Millisecond
}
