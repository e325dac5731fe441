package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/s3"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// storeConfig selects and configures the object store.
type storeConfig struct {
	data                     string
	url                      string
	s3Endpoint, s3Region     string
	s3PathStyle              bool
	s3AccessKey, s3SecretKey string
	cacheBytes               byteSize
	cacheDir                 string
	scrubInterval            time.Duration
	scrubRate                byteSize
}

func (c *storeConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", "./data", "directory of the embedded store; a comma-separated list makes a multi-volume store")
	fs.StringVar(&c.url, "store", "", "S3-compatible store as s3://bucket/prefix (instead of --data)")
	fs.StringVar(&c.s3Endpoint, "s3-endpoint", "", "S3 endpoint URL, e.g. http://127.0.0.1:9000 (default: AWS S3)")
	fs.StringVar(&c.s3Region, "s3-region", "us-east-1", "region of the S3 bucket")
	fs.BoolVar(&c.s3PathStyle, "s3-path-style", false, "address the S3 bucket as endpoint/bucket (most self-hosted S3 services need it)")
	fs.StringVar(&c.s3AccessKey, "s3-access-key", "", "S3 access key (default: the AWS credential chain)")
	fs.StringVar(&c.s3SecretKey, "s3-secret-key", "", "S3 secret key (default: the AWS credential chain; env VECTORBUCKET_S3_SECRET_KEY)")
	fs.Var(&c.cacheBytes, "store-cache-bytes", "memory for raw immutable objects read from the store, out of --memory-budget when serving (default: an eighth of the budget; 256MiB without one)")
	fs.StringVar(&c.cacheDir, "store-cache-dir", "", "directory for a local-disk cache of immutable objects (useful with --store s3://)")
	fs.DurationVar(&c.scrubInterval, "scrub-interval", 24*time.Hour, "multi-volume --data: how often to verify and repair every copy (first pass at start; 0 disables)")
	fs.Var(&c.scrubRate, "scrub-rate", "multi-volume --data: bytes per second a scrub may read and write (0: no limit)")
}

// openedStore is the store stack: base → metrics → cache.
type openedStore struct {
	store    objectstore.Store // what the index uses (the cache)
	metrics  *objectstore.Metrics
	cache    *objectstore.Cache
	volumes  *volumes.Store // nil unless --data names several directories
	closers  []io.Closer
	describe string
}

func (o *openedStore) close(log *slog.Logger) {
	for i := len(o.closers) - 1; i >= 0; i-- {
		if err := o.closers[i].Close(); err != nil {
			log.Warn("close store", "err", err)
		}
	}
}

// immutable reports whether key names an object the index never rewrites
// (WAL batches, neighborhoods, centroid tables), which may be cached.
func immutable(key string) bool {
	if !strings.HasPrefix(key, "data/") {
		return false
	}
	return strings.Contains(key, "/wal/") || strings.Contains(key, "/nbhd/") || strings.Contains(key, "/centroids/") || strings.Contains(key, "/keys/")
}

func (c *storeConfig) open(ctx context.Context, log *slog.Logger) (*openedStore, error) {
	o := &openedStore{}
	var base objectstore.Store
	switch {
	case c.url != "":
		u, err := url.Parse(c.url)
		if err != nil || u.Scheme != "s3" || u.Host == "" {
			return nil, fmt.Errorf("--store %q: want s3://bucket/prefix", c.url)
		}
		prefix := strings.TrimPrefix(u.Path, "/")
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		secret := c.s3SecretKey
		if secret == "" {
			secret = os.Getenv("VECTORBUCKET_S3_SECRET_KEY")
		}
		st, err := s3.New(ctx, s3.Config{Endpoint: c.s3Endpoint, Region: c.s3Region, PathStyle: c.s3PathStyle,
			AccessKey: c.s3AccessKey, SecretKey: secret, Bucket: u.Host, Prefix: prefix})
		if err != nil {
			return nil, err
		}
		if err := st.EnsureBucket(ctx); err != nil {
			return nil, fmt.Errorf("S3 bucket %s: %w", u.Host, err)
		}
		base = st
		o.describe = c.url
	default:
		dirs, err := dataDirs(c.data)
		if err != nil {
			return nil, err
		}
		st, err := volumes.Open(ctx, dirs, volumes.Options{})
		if err != nil {
			return nil, err
		}
		base = st
		o.closers = append(o.closers, st)
		o.describe = "local:" + dirs[0]
		if len(dirs) > 1 {
			o.volumes = st
			w, r := st.Quorums()
			o.describe = fmt.Sprintf("volumes:%s (write quorum %d, read quorum %d)", strings.Join(dirs, ","), w, r)
		}
	}
	o.metrics = objectstore.NewMetrics(base)
	cache, err := objectstore.NewCache(o.metrics, objectstore.CacheOptions{MaxBytes: int64(c.cacheBytes), DiskDir: c.cacheDir, Cacheable: immutable})
	if err != nil {
		o.close(log)
		return nil, fmt.Errorf("store cache: %w", err)
	}
	o.cache = cache
	o.store = cache
	return o, nil
}

// scrub verifies and repairs the copies of a multi-volume store: once at
// start, then every interval, until ctx is done.
func (o *openedStore) scrub(ctx context.Context, c *storeConfig, log *slog.Logger) {
	if o.volumes == nil || c.scrubInterval <= 0 {
		return
	}
	for {
		rep, err := o.volumes.Scrub(ctx, volumes.ScrubOptions{BytesPerSecond: int64(c.scrubRate)})
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("scrub failed", "err", err, "report", rep.String())
		case rep.Unrepairable > 0 || rep.Repaired > 0 || len(rep.Detached) > 0:
			log.Warn("scrub repaired copies", "report", rep.String())
		default:
			log.Info("scrub clean", "report", rep.String())
		}
		t := time.NewTimer(c.scrubInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// byteSize is a flag holding a size like 512MiB, 2GiB, 1e9 or 1000000.
type byteSize int64

// String writes the size in the largest binary unit that divides it
// (2GiB, 512MiB), else in bytes; Set reads every form back.
func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Set parses a size with an optional KiB/MiB/GiB/TiB (or KB/MB/GB/TB)
// suffix.
func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := 1.0
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return fmt.Errorf("invalid size %q (want e.g. 512MiB or 2GiB)", s)
	}
	*b = byteSize(f * mult)
	return nil
}

// dataDirs splits a --data value into its volume directories.
func dataDirs(data string) ([]string, error) {
	dirs := strings.Split(data, ",")
	for i := range dirs {
		dirs[i] = strings.TrimSpace(dirs[i])
		if dirs[i] == "" {
			return nil, fmt.Errorf("--data %q: empty directory name", data)
		}
	}
	return dirs, nil
}
