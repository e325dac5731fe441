package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

// testConfig reads the test server from the environment. Unset: skip,
// unless CI is set.
func testConfig(t testing.TB) Config {
	t.Helper()
	cfg := Config{
		Endpoint:  os.Getenv("VECTORBUCKET_TEST_S3_ENDPOINT"),
		AccessKey: os.Getenv("VECTORBUCKET_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("VECTORBUCKET_TEST_S3_SECRET_KEY"),
		Bucket:    os.Getenv("VECTORBUCKET_TEST_S3_BUCKET"),
		Region:    os.Getenv("VECTORBUCKET_TEST_S3_REGION"),
		PathStyle: true,
	}
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		msg := "VECTORBUCKET_TEST_S3_ENDPOINT/_ACCESS_KEY/_SECRET_KEY/_BUCKET unset: no S3 server to test against " +
			"(scripts/versitygw.sh start && source .versitygw/env, or scripts/s3server.sh minio start && source .minio/env)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return cfg
}

// open returns a store on the test server with the bucket created.
func open(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	return s
}

// corrupt rewrites the object behind the store's back with one byte flipped,
// keeping the checksum metadata of the original.
func corrupt(t *testing.T, s *Store, key string) {
	t.Helper()
	ctx := t.Context()
	fk := s.cfg.Prefix + key
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &fk})
	if err != nil {
		t.Fatalf("raw get %q: %v", fk, err)
	}
	data, err := readBody(out.Body, aws.ToInt64(out.ContentLength))
	out.Body.Close()
	if err != nil {
		t.Fatalf("raw get %q: %v", fk, err)
	}
	data[len(data)/2] ^= 0x40
	_, err = s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: &s.cfg.Bucket, Key: &fk, Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), Metadata: out.Metadata,
	})
	if err != nil {
		t.Fatalf("raw put %q: %v", fk, err)
	}
}

// server is the Server header of the test endpoint ("VERSITYGW", "MinIO",
// "AmazonS3", ...), to name known limitations of a server.
func server(t testing.TB, endpoint string) string {
	t.Helper()
	if endpoint == "" {
		return "AmazonS3"
	}
	resp, err := http.Head(endpoint)
	if err != nil {
		t.Fatalf("HEAD %s: %v", endpoint, err)
	}
	resp.Body.Close()
	return resp.Header.Get("Server")
}

// suiteOptions are the storetest options for s; wrapPrefix is the prefix a
// WithPrefix wrapper adds in front of it ("" for none).
func suiteOptions(t testing.TB, s *Store, wrapPrefix string) storetest.Options {
	name := strings.ToLower(server(t, s.cfg.Endpoint))
	versity := name == "versitygw"
	minio := strings.Contains(name, "minio")
	return storetest.Options{
		Corrupt: func(t *testing.T, _ objectstore.Store, key string) { corrupt(t, s, wrapPrefix+key) },
		// ListObjectsV2 returns no user metadata, so no CRC32C.
		ListNoCRC: true,
		// Servers that keep objects as files cannot hold "a" next to "a/b".
		FileTree:       versity || minio,
		ListDirOrder:   minio,   // MinIO pages through "directories" in walk order
		NoDeletes:      versity, // see TestDeleteRacingIfMatch
		KnownViolation: map[bool]string{true: "versitygw posix reads racing an overwrite can mix two versions (TestReadTornByOverwrite)"}[versity],
		MaxKeyLen:      objectstore.MaxKeyLen - len(s.cfg.Prefix) - len(wrapPrefix),
	}
}

func TestStore(t *testing.T) {
	s := open(t, testConfig(t))
	storetest.Run(t, func(*testing.T) objectstore.Store { return s }, suiteOptions(t, s, ""))
}

func TestStoreKeyPrefix(t *testing.T) {
	cfg := testConfig(t)
	cfg.Prefix = "keyprefix-test/"
	s := open(t, cfg)
	storetest.Run(t, func(*testing.T) objectstore.Store { return s }, suiteOptions(t, s, ""))
}

func TestStoreBehindPrefixWrapper(t *testing.T) {
	if testing.Short() {
		t.Skip("short: the suite already runs against s3 directly")
	}
	s := open(t, testConfig(t))
	w := objectstore.WithPrefix(s, "wrapped/")
	storetest.Run(t, func(*testing.T) objectstore.Store { return w }, suiteOptions(t, s, "wrapped/"))
}

func TestLinearizability(t *testing.T) {
	cfg := testConfig(t)
	// Separate clients (separate connection pools), as separate processes
	// would have.
	s1, s2 := open(t, cfg), open(t, cfg)
	storetest.Linearizability(t, []objectstore.Store{s1, s2}, suiteOptions(t, s1, ""))
}

// TestDeleteRacingIfMatch checks a property the linearizability workload
// relies on: when an if-match put and a delete of the same object race and
// both succeed, the delete came last, so the object is gone. versitygw
// 1.8.0 (posix) breaks it: both succeed and the put's object survives.
func TestDeleteRacingIfMatch(t *testing.T) {
	cfg := testConfig(t)
	s := open(t, cfg)
	ctx := t.Context()
	const rounds = 150
	both, survived := 0, 0
	for r := range rounds {
		key := fmt.Sprintf("delete-race-%d/%d", os.Getpid(), r)
		a, err := s.Put(ctx, key, []byte("v1"), objectstore.Condition{})
		if err != nil {
			t.Fatal(err)
		}
		var perr, derr error
		var wg sync.WaitGroup
		wg.Go(func() { _, perr = s.Put(ctx, key, []byte("v2"), objectstore.IfMatch(a.ETag)) })
		wg.Go(func() { derr = s.Delete(ctx, key) })
		wg.Wait()
		if perr != nil && !errors.Is(perr, objectstore.ErrPreconditionFailed) {
			t.Fatalf("if-match put: %v", perr)
		}
		if derr != nil {
			t.Fatalf("delete: %v", derr)
		}
		if perr == nil {
			both++
			if _, err := s.Head(ctx, key); !errors.Is(err, objectstore.ErrNotFound) {
				survived++
			}
		}
		_ = s.Delete(ctx, key)
	}
	if survived > 0 {
		msg := fmt.Sprintf("in %d of %d rounds where both an if-match put and a racing delete succeeded, the object survived the delete", survived, both)
		if name := server(t, cfg.Endpoint); strings.EqualFold(name, "VERSITYGW") {
			t.Skipf("known limitation of %s: %s", name, msg)
		}
		t.Error(msg)
	}
}

// TestReadTornByOverwrite races raw HeadObject calls (no retry) against
// overwrites of one key with bodies of two sizes and counts answers whose
// Content-Length disagrees with the checksum metadata of the same answer: a
// read that mixed two versions. An atomic server has none. versitygw 1.8.0
// (posix) has some, which is why Store reads retry such tears (retryTorn)
// and its linearizability check is allowed to fail (KnownViolation).
func TestReadTornByOverwrite(t *testing.T) {
	cfg := testConfig(t)
	s := open(t, cfg)
	ctx := t.Context()
	key := fmt.Sprintf("torn-%d", os.Getpid())
	fk := s.cfg.Prefix + key
	defer s.Delete(context.WithoutCancel(ctx), key)
	if _, err := s.Put(ctx, key, []byte("four"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	const rounds = 400
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		bodies := [][]byte{[]byte("four"), []byte("fiver")}
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if _, err := s.Put(ctx, key, bodies[i%2], objectstore.Condition{}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	torn := 0
	for range rounds {
		out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &fk})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := parseSums(out.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(out.ContentLength) != sum.size {
			torn++
		}
	}
	close(done)
	wg.Wait()
	if torn > 0 {
		msg := fmt.Sprintf("%d of %d HEADs racing overwrites mixed two versions", torn, rounds)
		if name := server(t, cfg.Endpoint); strings.EqualFold(name, "VERSITYGW") {
			t.Skipf("known limitation of %s: %s", name, msg)
		}
		t.Error(msg)
	}
	t.Logf("%d HEADs racing overwrites, none torn", rounds)
}

// TestMultipart uploads objects above a small multipart threshold and checks
// that the create-only and if-match conditions hold on
// CompleteMultipartUpload, and that block checksums cover ranged reads.
func TestMultipart(t *testing.T) {
	cfg := testConfig(t)
	cfg.MultipartThreshold = 5 << 20
	cfg.PartSize = 5 << 20
	s := open(t, cfg)
	ctx := t.Context()
	key := fmt.Sprintf("multipart-%d/obj", os.Getpid())
	data := make([]byte, 16<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	t.Cleanup(func() { _ = s.Delete(context.Background(), key) })
	_ = s.Delete(ctx, key)

	a, err := s.Put(ctx, key, data, objectstore.CreateOnly())
	if err != nil {
		t.Fatalf("multipart create-only Put: %v", err)
	}
	if _, err := s.Put(ctx, key, data[:6<<20], objectstore.CreateOnly()); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Fatalf("second multipart create-only Put err = %v, want ErrPreconditionFailed", err)
	}
	got, ga, err := s.Get(ctx, key)
	if err != nil || !bytes.Equal(got, data) || ga.ETag != a.ETag {
		t.Fatalf("Get after multipart = %d bytes (equal %v), etag %q (put %q), %v", len(got), bytes.Equal(got, data), ga.ETag, a.ETag, err)
	}
	// 16 MiB + a bit → 256 blocks of 64 KiB do not suffice; blocks are 128 KiB, so
	// a ranged read needs the second, wider request.
	if sh := blockShift(int64(len(data))); sh != 17 {
		t.Fatalf("blockShift(%d) = %d, want 17", len(data), sh)
	}
	for _, r := range [][2]int64{{0, 10}, {65536 + 3, 100}, {5<<20 - 7, 20}, {int64(len(data)) - 5, -1}, {131072, 131072}} {
		got, _, err := s.GetRange(ctx, key, r[0], r[1])
		end := int64(len(data))
		if r[1] >= 0 {
			end = r[0] + r[1]
		}
		if err != nil || !bytes.Equal(got, data[r[0]:end]) {
			t.Errorf("GetRange(%d, %d) = %d bytes, %v; want bytes [%d, %d)", r[0], r[1], len(got), err, r[0], end)
		}
	}
	if _, err := s.Put(ctx, key, data[:6<<20], objectstore.IfMatch(`"stale"`)); !errors.Is(err, objectstore.ErrPreconditionFailed) {
		t.Fatalf("multipart if-match with a wrong etag err = %v, want ErrPreconditionFailed", err)
	}
	b, err := s.Put(ctx, key, data[:6<<20], objectstore.IfMatch(a.ETag))
	if err != nil {
		t.Fatalf("multipart if-match with the current etag: %v", err)
	}
	if got, ga, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, data[:6<<20]) || ga.ETag != b.ETag {
		t.Fatalf("Get after multipart if-match = %d bytes, %v", len(got), err)
	}
}

// TestForeignObject: an object written without the checksum metadata cannot
// be verified, so it reads as corrupt.
func TestForeignObject(t *testing.T) {
	s := open(t, testConfig(t))
	ctx := t.Context()
	key := fmt.Sprintf("foreign-%d", os.Getpid())
	t.Cleanup(func() { _ = s.Delete(context.Background(), key) })
	_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &s.cfg.Bucket, Key: &key, Body: bytes.NewReader([]byte("hello"))})
	if err != nil {
		t.Fatal(err)
	}
	if b, _, err := s.Get(ctx, key); !errors.Is(err, objectstore.ErrCorrupt) || b != nil {
		t.Errorf("Get(foreign) = %q, %v; want ErrCorrupt", b, err)
	}
	if b, _, err := s.GetRange(ctx, key, 1, 2); !errors.Is(err, objectstore.ErrCorrupt) || b != nil {
		t.Errorf("GetRange(foreign) = %q, %v; want ErrCorrupt", b, err)
	}
}

func TestParseSums(t *testing.T) {
	for _, n := range []int{0, 1, 65536, 65537, 256 << 16, 256<<16 + 1, 5 << 20} {
		data := bytes.Repeat([]byte{byte(n)}, n)
		want := computeSums(data)
		got, err := parseSums(want.metadata())
		if err != nil {
			t.Fatalf("size %d: parseSums: %v", n, err)
		}
		if got.size != want.size || got.crc != want.crc || got.shift != want.shift || len(got.block) != len(want.block) {
			t.Errorf("size %d: parsed %+v, want %+v", n, got, want)
		}
		if err := got.verify(0, data); err != nil {
			t.Errorf("size %d: verify: %v", n, err)
		}
		if n > 0 {
			data[n-1] ^= 1
			if err := got.verify(0, data); !errors.Is(err, objectstore.ErrCorrupt) {
				t.Errorf("size %d: verify of damaged data = %v, want ErrCorrupt", n, err)
			}
		}
	}
	bad := []map[string]string{
		{},
		{metaCRC: "zz", metaSize: "1"},
		{metaCRC: "00000000"},
		{metaCRC: "00000000", metaSize: "-1"},
		{metaCRC: "00000000", metaSize: "100000"},
		{metaCRC: "00000000", metaSize: "100000", metaBlocks: "16:AAAA"},
		{metaCRC: "00000000", metaSize: "10", metaBlocks: "16:AAAAAA=="},
	}
	for _, m := range bad {
		if _, err := parseSums(m); !errors.Is(err, objectstore.ErrCorrupt) {
			t.Errorf("parseSums(%v) err = %v, want ErrCorrupt", m, err)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in           string
		start, total int64
		ok           bool
	}{
		{"bytes 0-9/100", 0, 100, true},
		{"bytes 65536-131071/200000", 65536, 200000, true},
		{"bytes */100", 0, 0, false},
		{"0-9/100", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		start, total, ok := parseContentRange(tt.in)
		if start != tt.start || total != tt.total || ok != tt.ok {
			t.Errorf("parseContentRange(%q) = %d, %d, %v; want %d, %d, %v", tt.in, start, total, ok, tt.start, tt.total, tt.ok)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(context.Background(), Config{}); err == nil {
		t.Error("New with no bucket succeeded")
	}
	if _, err := New(context.Background(), Config{Bucket: "b", Prefix: "../x/"}); !errors.Is(err, objectstore.ErrInvalidKey) {
		t.Errorf("New with prefix ../x/ err = %v, want ErrInvalidKey", err)
	}
}

// TestRetryTorn checks the torn-read rule: a read that disagrees with its
// checksum metadata once is repeated and succeeds; one that keeps
// disagreeing is reported corrupt after tornRetries repeats; other errors
// are not repeated.
func TestRetryTorn(t *testing.T) {
	ctx := context.Background()
	calls := 0
	data, _, err := retryTorn(ctx, func() ([]byte, objectstore.Attrs, error) {
		calls++
		if calls == 1 {
			return nil, objectstore.Attrs{}, fmt.Errorf("size 4, metadata says 5: %w", objectstore.ErrCorrupt)
		}
		return []byte("ok"), objectstore.Attrs{Size: 2}, nil
	})
	if err != nil || string(data) != "ok" || calls != 2 {
		t.Fatalf("torn once: data %q err %v after %d calls; want ok after 2", data, err, calls)
	}
	calls = 0
	_, _, err = retryTorn(ctx, func() ([]byte, objectstore.Attrs, error) {
		calls++
		return nil, objectstore.Attrs{}, objectstore.ErrCorrupt
	})
	if !errors.Is(err, objectstore.ErrCorrupt) || calls != 1+tornRetries {
		t.Fatalf("always corrupt: err %v after %d calls; want ErrCorrupt after %d", err, calls, 1+tornRetries)
	}
	calls = 0
	_, _, err = retryTorn(ctx, func() ([]byte, objectstore.Attrs, error) {
		calls++
		return nil, objectstore.Attrs{}, objectstore.ErrNotFound
	})
	if !errors.Is(err, objectstore.ErrNotFound) || calls != 1 {
		t.Fatalf("not found: err %v after %d calls; want ErrNotFound after 1", err, calls)
	}
}
