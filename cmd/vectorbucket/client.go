package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server"
)

// clientFlags are the connection flags of every client command.
type clientFlags struct {
	endpoint, region, accessKey, secretKey string
}

func (c *clientFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&c.endpoint, "endpoint", envOr("VECTORBUCKET_ENDPOINT", "http://127.0.0.1:8080"), "server URL (env VECTORBUCKET_ENDPOINT)")
	fs.StringVar(&c.region, "region", "us-east-1", "region for the SigV4 credential scope")
	fs.StringVar(&c.accessKey, "access-key", os.Getenv(server.EnvAccessKeyID), "access key ID to sign with (env "+server.EnvAccessKeyID+"; none: unsigned)")
	fs.StringVar(&c.secretKey, "secret-key", "", "secret access key (env "+server.EnvSecretAccessKey+")")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (c *clientFlags) client() (*client.Client, error) {
	secret := c.secretKey
	if secret == "" && c.accessKey != "" {
		secret = os.Getenv(server.EnvSecretAccessKey)
	}
	return client.New(client.Options{Endpoint: c.endpoint, Region: c.region, AccessKeyID: c.accessKey, SecretAccessKey: secret})
}

// indexFlags select an index by --bucket and --index.
type indexFlags struct{ bucket, index string }

func (f *indexFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.bucket, "bucket", "", "vector bucket name (required)")
	fs.StringVar(&f.index, "index", "", "index name (required)")
}

// ref returns the selected index, or a usage error naming the missing flag.
func (f *indexFlags) ref(stderr io.Writer, cmd string) (api.IndexRef, error) {
	switch {
	case f.bucket == "" && f.index == "":
		return api.IndexRef{}, usagef(stderr, cmd, "--bucket and --index are required")
	case f.bucket == "":
		return api.IndexRef{}, usagef(stderr, cmd, "--bucket is required")
	case f.index == "":
		return api.IndexRef{}, usagef(stderr, cmd, "--index is required")
	}
	return api.IndexRef{VectorBucketName: f.bucket, IndexName: f.index}, nil
}

func (f *indexFlags) String() string { return f.bucket + "/" + f.index }

// parseVector reads "1,2,3", "[1,2,3]" or "@file.json".
func parseVector(s string) ([]float32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("--vector is required")
	}
	if name, ok := strings.CutPrefix(s, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		s = strings.TrimSpace(string(b))
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	v := make([]float32, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 32)
		if err != nil {
			return nil, fmt.Errorf("vector element %d: %q is not a number", i, p)
		}
		v[i] = float32(f)
	}
	return v, nil
}

// timeCell formats a creation time for a table.
func timeCell(ts api.Timestamp) string { return ts.Time().Format(time.RFC3339) }

// subcommand splits "GROUP SUB [ARGS]" after parsing the group's flags:
// no subcommand prints the group's help to stderr and is a usage error.
func subcommand(fs *flag.FlagSet, group string, args []string, subs []string, stdout, stderr io.Writer) (string, []string, error) {
	if len(args) == 0 {
		fs.Usage()
		return "", nil, errUsage
	}
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return "", nil, err
	}
	if len(pos) == 0 {
		fs.Usage()
		return "", nil, errUsage
	}
	if !slices.Contains(subs, pos[0]) {
		return "", nil, usagef(stderr, group, "unknown subcommand %q; use %s", pos[0], strings.Join(subs, ", "))
	}
	return pos[0], pos[1:], nil
}

// oneName returns the single NAME argument of "GROUP SUB NAME".
func oneName(stderr io.Writer, cmd string, pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return "", usagef(stderr, cmd, "NAME is required")
	case 1:
		return pos[0], nil
	}
	return "", usagef(stderr, cmd, "exactly one NAME is allowed, got %d: %s", len(pos), strings.Join(pos, " "))
}

func runBuckets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Manage vector buckets.

  buckets create NAME     create a bucket
  buckets list            list buckets (--prefix to filter)
  buckets delete NAME     delete an empty bucket`
	var cf clientFlags
	var out outputFlag
	var prefix string
	fs := newFlags("buckets", "buckets create|list|delete [flags] [NAME]", help, stdout, stderr)
	cf.add(fs)
	out.add(fs)
	fs.StringVar(&prefix, "prefix", "", "list: only buckets whose name starts with this")
	sub, pos, err := subcommand(fs, "buckets", args, []string{"create", "list", "delete"}, stdout, stderr)
	if err != nil {
		return err
	}
	cmd := "buckets " + sub
	if err := out.check(stderr, cmd); err != nil {
		return err
	}
	var name string
	if sub != "list" {
		if name, err = oneName(stderr, cmd, pos); err != nil {
			return err
		}
		if sub == "create" {
			if why := api.CheckBucketName(name); why != "" {
				return usagef(stderr, cmd, "bucket name %q %s (3-63 characters of a-z, 0-9 and -)", name, why)
			}
		}
	} else if len(pos) > 0 {
		return usagef(stderr, cmd, "unexpected argument %q (use --prefix to filter)", pos[0])
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	err = bucketsDo(ctx, c, sub, name, prefix, out, stdout, stderr)
	return friendly(err, cf.endpoint)
}

func bucketsDo(ctx context.Context, c *client.Client, sub, name, prefix string, out outputFlag, stdout, stderr io.Writer) error {
	switch sub {
	case "create":
		res, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: name})
		if err != nil {
			return err
		}
		if out.json() {
			return printJSON(stdout, map[string]string{"vectorBucketName": name, "vectorBucketArn": res.VectorBucketArn})
		}
		t := newTable(stdout, "BUCKET", "ARN")
		t.row(name, res.VectorBucketArn)
		return t.flush()
	case "list":
		all := []api.VectorBucketSummary{}
		p := c.NewListVectorBucketsPaginator(&api.ListVectorBucketsRequest{Prefix: prefix})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			all = append(all, page.VectorBuckets...)
		}
		if out.json() {
			return printJSON(stdout, all)
		}
		if len(all) == 0 {
			fmt.Fprintln(stderr, "no vector buckets")
			return nil
		}
		t := newTable(stdout, "NAME", "CREATED", "ARN")
		for _, b := range all {
			t.row(b.VectorBucketName, timeCell(b.CreationTime), b.VectorBucketArn)
		}
		return t.flush()
	default: // delete
		if err := c.DeleteVectorBucket(ctx, &api.DeleteVectorBucketRequest{BucketRef: api.BucketRef{VectorBucketName: name}}); err != nil {
			return err
		}
		if out.json() {
			return printJSON(stdout, map[string]any{"vectorBucketName": name, "deleted": true})
		}
		t := newTable(stdout, "BUCKET", "STATUS")
		t.row(name, "deleted")
		return t.flush()
	}
}

// indexOpts are the flags of the indexes command.
type indexOpts struct {
	bucket, prefix, metric, nonFilterable string
	dim                                   int
	maxFilterable                         int // --max-filterable-bytes
	count                                 bool
	out                                   outputFlag
}

// validMetrics are the --metric values.
var validMetrics = []string{string(api.Cosine), string(api.Euclidean), string(api.DotProduct)}

func runIndexes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Manage vector indexes.

  indexes create --bucket B --dimension N [--metric cosine|euclidean|dotproduct]
                 [--non-filterable k1,k2] [--max-filterable-bytes N] NAME
  indexes list --bucket B [--prefix P]
  indexes get --bucket B [--count] NAME
  indexes delete --bucket B NAME

"indexes get" shows the name, dimension, distance metric, data type,
non-filterable metadata keys and creation time. The S3 Vectors API reports
no vector count, so --count counts the vectors by listing every key (one
ListVectors request per 1,000 vectors).

--metric dotproduct (distance −(a·b)) and --max-filterable-bytes (a
filterable-metadata budget of 2048-65536 bytes per vector instead of 2048)
are vectorbucket extensions (docs/extensions.md).`
	var cf clientFlags
	var o indexOpts
	fs := newFlags("indexes", "indexes create|list|get|delete --bucket B [flags] [NAME]", help, stdout, stderr)
	cf.add(fs)
	o.out.add(fs)
	fs.StringVar(&o.bucket, "bucket", "", "vector bucket name (required)")
	fs.StringVar(&o.prefix, "prefix", "", "list: only indexes whose name starts with this")
	fs.IntVar(&o.dim, "dimension", 0, "create: vector dimension, 1-4096 (required)")
	fs.StringVar(&o.metric, "metric", "cosine", "create: distance metric, cosine, euclidean or dotproduct")
	fs.IntVar(&o.maxFilterable, "max-filterable-bytes", 0, "create: filterable metadata budget per vector, 2048-65536 (default 2048)")
	fs.StringVar(&o.nonFilterable, "non-filterable", "", "create: comma-separated metadata keys that are stored but not filterable")
	fs.BoolVar(&o.count, "count", false, "get: count the vectors by listing them all (slow on big indexes)")
	sub, pos, err := subcommand(fs, "indexes", args, []string{"create", "list", "get", "delete"}, stdout, stderr)
	if err != nil {
		return err
	}
	cmd := "indexes " + sub
	if err := o.out.check(stderr, cmd); err != nil {
		return err
	}
	if o.bucket == "" {
		return usagef(stderr, cmd, "--bucket is required")
	}
	var name string
	if sub != "list" {
		if name, err = oneName(stderr, cmd, pos); err != nil {
			return err
		}
	} else if len(pos) > 0 {
		return usagef(stderr, cmd, "unexpected argument %q (use --prefix to filter)", pos[0])
	}
	var req *api.CreateIndexRequest
	if sub == "create" {
		if req, err = o.createRequest(stderr, name); err != nil {
			return err
		}
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		err = indexCreate(ctx, c, req, o.out, stdout)
	case "list":
		err = indexList(ctx, c, o, stdout, stderr)
	case "get":
		err = indexGet(ctx, c, o, name, stdout)
	default:
		err = indexDelete(ctx, c, o, name, stdout)
	}
	return friendly(err, cf.endpoint)
}

// createRequest checks the create flags before any request is sent.
func (o *indexOpts) createRequest(stderr io.Writer, name string) (*api.CreateIndexRequest, error) {
	const cmd = "indexes create"
	if why := api.CheckIndexName(name); why != "" {
		return nil, usagef(stderr, cmd, "index name %q %s (3-63 characters of a-z, 0-9, - and .)", name, why)
	}
	switch {
	case o.dim == 0:
		return nil, usagef(stderr, cmd, "--dimension is required (the length of the vectors, 1-%d)", api.MaxDimension)
	case o.dim < 1 || o.dim > api.MaxDimension:
		return nil, usagef(stderr, cmd, "--dimension %d is out of range; use 1-%d", o.dim, api.MaxDimension)
	case !slices.Contains(validMetrics, o.metric):
		return nil, usagef(stderr, cmd, "--metric %q is not valid; use %s", o.metric, strings.Join(validMetrics, " or "))
	}
	req := &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: o.bucket}, IndexName: name,
		DataType: api.DataTypeFloat32, Dimension: o.dim, DistanceMetric: api.DistanceMetric(o.metric)}
	if err := o.createExtensions(stderr, req); err != nil {
		return nil, err
	}
	if o.nonFilterable != "" {
		keys := strings.Split(o.nonFilterable, ",")
		for i, k := range keys {
			if keys[i] = strings.TrimSpace(k); keys[i] == "" {
				return nil, usagef(stderr, cmd, "--non-filterable has an empty key: %q", o.nonFilterable)
			}
		}
		if len(keys) > api.MaxNonFilterableKeys {
			return nil, usagef(stderr, cmd, "--non-filterable has %d keys; at most %d are allowed", len(keys), api.MaxNonFilterableKeys)
		}
		req.MetadataConfiguration = &api.MetadataConfiguration{NonFilterableMetadataKeys: keys}
	}
	return req, nil
}

func indexCreate(ctx context.Context, c *client.Client, req *api.CreateIndexRequest, out outputFlag, stdout io.Writer) error {
	res, err := c.CreateIndex(ctx, req)
	if err != nil {
		return err
	}
	if out.json() {
		return printJSON(stdout, map[string]any{"vectorBucketName": req.VectorBucketName, "indexName": req.IndexName,
			"indexArn": res.IndexArn, "dimension": req.Dimension, "distanceMetric": req.DistanceMetric})
	}
	t := newTable(stdout, "BUCKET", "INDEX", "DIMENSION", "METRIC", "ARN")
	t.row(req.VectorBucketName, req.IndexName, req.Dimension, req.DistanceMetric, res.IndexArn)
	return t.flush()
}

func indexList(ctx context.Context, c *client.Client, o indexOpts, stdout, stderr io.Writer) error {
	all := []api.IndexSummary{}
	p := c.NewListIndexesPaginator(&api.ListIndexesRequest{BucketRef: api.BucketRef{VectorBucketName: o.bucket}, Prefix: o.prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		all = append(all, page.Indexes...)
	}
	if o.out.json() {
		return printJSON(stdout, all)
	}
	if len(all) == 0 {
		fmt.Fprintf(stderr, "no indexes in bucket %s\n", o.bucket)
		return nil
	}
	t := newTable(stdout, "NAME", "CREATED", "ARN")
	for _, ix := range all {
		t.row(ix.IndexName, timeCell(ix.CreationTime), ix.IndexArn)
	}
	return t.flush()
}

// countVectors counts an index's vectors by listing their keys.
func countVectors(ctx context.Context, c *client.Client, ref api.IndexRef) (int64, error) {
	var n int64
	for _, err := range c.AllVectors(ctx, &api.ListVectorsRequest{IndexRef: ref}) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func indexGet(ctx context.Context, c *client.Client, o indexOpts, name string, stdout io.Writer) error {
	ref := api.IndexRef{VectorBucketName: o.bucket, IndexName: name}
	res, err := c.GetIndex(ctx, &api.GetIndexRequest{IndexRef: ref})
	if err != nil {
		return err
	}
	ix := res.Index
	var count int64 = -1
	if o.count {
		if count, err = countVectors(ctx, c, ref); err != nil {
			return fmt.Errorf("count vectors: %w", err)
		}
	}
	var nonFilterable []string
	if ix.MetadataConfiguration != nil {
		nonFilterable = ix.MetadataConfiguration.NonFilterableMetadataKeys
	}
	if o.out.json() {
		doc := map[string]any{"index": ix}
		if count >= 0 {
			doc["vectorCount"] = count
		}
		return printJSON(stdout, doc)
	}
	t := newTable(stdout, "PROPERTY", "VALUE")
	t.row("name", ix.IndexName)
	t.row("bucket", ix.VectorBucketName)
	t.row("arn", ix.IndexArn)
	t.row("dimension", ix.Dimension)
	t.row("distance metric", ix.DistanceMetric)
	t.row("data type", ix.DataType)
	if len(nonFilterable) == 0 {
		t.row("non-filterable keys", "(none)")
	} else {
		t.row("non-filterable keys", strings.Join(nonFilterable, ", "))
	}
	t.row("created", timeCell(ix.CreationTime))
	if ix.IndexMode != "" {
		t.row("index mode", ix.IndexMode)
	}
	if e := ix.EncryptionConfiguration; e != nil && e.SseType != "" {
		t.row("encryption", strings.TrimSpace(string(e.SseType)+" "+e.KmsKeyArn))
	}
	if count >= 0 {
		t.row("vectors", count)
	} else {
		t.row("vectors", "(not counted; use --count)")
	}
	return t.flush()
}

func indexDelete(ctx context.Context, c *client.Client, o indexOpts, name string, stdout io.Writer) error {
	if err := c.DeleteIndex(ctx, &api.DeleteIndexRequest{IndexRef: api.IndexRef{VectorBucketName: o.bucket, IndexName: name}}); err != nil {
		return err
	}
	if o.out.json() {
		return printJSON(stdout, map[string]any{"vectorBucketName": o.bucket, "indexName": name, "deleted": true})
	}
	t := newTable(stdout, "BUCKET", "INDEX", "STATUS")
	t.row(o.bucket, name, "deleted")
	return t.flush()
}

// isNotFound reports a NotFoundException.
func isNotFound(err error) bool {
	var e *api.Error
	return errors.As(err, &e) && e.Code == api.ErrNotFound.Code
}
