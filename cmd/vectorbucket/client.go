package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

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

func (f *indexFlags) ref() (api.IndexRef, error) {
	if f.bucket == "" || f.index == "" {
		return api.IndexRef{}, fmt.Errorf("--bucket and --index are required")
	}
	return api.IndexRef{VectorBucketName: f.bucket, IndexName: f.index}, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

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

func runBuckets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Manage vector buckets.

  buckets create NAME     create a bucket
  buckets list            list buckets (--prefix to filter)
  buckets delete NAME     delete an empty bucket`
	var cf clientFlags
	var prefix string
	fs := newFlags("buckets", "buckets create|list|delete [flags] [NAME]", help, stdout, stderr)
	cf.add(fs)
	fs.StringVar(&prefix, "prefix", "", "list: only buckets whose name starts with this")
	if len(args) == 0 {
		fs.Usage()
		return errUsage
	}
	sub, rest := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "-help" {
		return parse(fs, args, stdout)
	}
	if err := parse(fs, rest, stdout); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	switch sub {
	case "create":
		if name == "" {
			return fmt.Errorf("buckets create: NAME is required")
		}
		out, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: name})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, out.VectorBucketArn)
	case "list":
		p := c.NewListVectorBucketsPaginator(&api.ListVectorBucketsRequest{Prefix: prefix})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, b := range page.VectorBuckets {
				fmt.Fprintf(stdout, "%s\t%s\t%s\n", b.VectorBucketName, b.CreationTime.Time().Format("2006-01-02T15:04:05Z"), b.VectorBucketArn)
			}
		}
	case "delete":
		if name == "" {
			return fmt.Errorf("buckets delete: NAME is required")
		}
		if err := c.DeleteVectorBucket(ctx, &api.DeleteVectorBucketRequest{BucketRef: api.BucketRef{VectorBucketName: name}}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted %s\n", name)
	default:
		return fmt.Errorf("buckets: unknown subcommand %q (want create, list or delete)", sub)
	}
	return nil
}

func runIndexes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Manage vector indexes.

  indexes create --bucket B --dimension N [--metric cosine|euclidean] [--non-filterable k1,k2] NAME
  indexes list --bucket B [--prefix P]
  indexes delete --bucket B NAME`
	var cf clientFlags
	var bucket, prefix, metric, nonFilterable string
	var dim int
	fs := newFlags("indexes", "indexes create|list|delete [flags] [NAME]", help, stdout, stderr)
	cf.add(fs)
	fs.StringVar(&bucket, "bucket", "", "vector bucket name (required)")
	fs.StringVar(&prefix, "prefix", "", "list: only indexes whose name starts with this")
	fs.IntVar(&dim, "dimension", 0, "create: vector dimension, 1-4096")
	fs.StringVar(&metric, "metric", "cosine", "create: distance metric, cosine or euclidean")
	fs.StringVar(&nonFilterable, "non-filterable", "", "create: comma-separated metadata keys that are stored but not filterable")
	if len(args) == 0 {
		fs.Usage()
		return errUsage
	}
	sub, rest := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "-help" {
		return parse(fs, args, stdout)
	}
	if err := parse(fs, rest, stdout); err != nil {
		return err
	}
	if bucket == "" {
		return fmt.Errorf("indexes %s: --bucket is required", sub)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	switch sub {
	case "create":
		if name == "" {
			return fmt.Errorf("indexes create: NAME is required")
		}
		req := &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: bucket}, IndexName: name,
			DataType: api.DataTypeFloat32, Dimension: dim, DistanceMetric: api.DistanceMetric(metric)}
		if nonFilterable != "" {
			req.MetadataConfiguration = &api.MetadataConfiguration{NonFilterableMetadataKeys: strings.Split(nonFilterable, ",")}
		}
		out, err := c.CreateIndex(ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, out.IndexArn)
	case "list":
		p := c.NewListIndexesPaginator(&api.ListIndexesRequest{BucketRef: api.BucketRef{VectorBucketName: bucket}, Prefix: prefix})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, ix := range page.Indexes {
				fmt.Fprintf(stdout, "%s\t%s\t%s\n", ix.IndexName, ix.CreationTime.Time().Format("2006-01-02T15:04:05Z"), ix.IndexArn)
			}
		}
	case "delete":
		if name == "" {
			return fmt.Errorf("indexes delete: NAME is required")
		}
		if err := c.DeleteIndex(ctx, &api.DeleteIndexRequest{IndexRef: api.IndexRef{VectorBucketName: bucket, IndexName: name}}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted %s/%s\n", bucket, name)
	default:
		return fmt.Errorf("indexes: unknown subcommand %q (want create, list or delete)", sub)
	}
	return nil
}

func runPut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Puts (inserts or replaces) one vector, given by --key, --vector and
--metadata, or as one JSON object with --json:
  {"key":"doc-1","data":{"float32":[0.1,0.2]},"metadata":{"genre":"drama"}}`
	var cf clientFlags
	var ixf indexFlags
	var key, vector, metadata, js string
	fs := newFlags("put", "put --bucket B --index I (--key K --vector V [--metadata JSON] | --json OBJ)", help, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	fs.StringVar(&key, "key", "", "vector key")
	fs.StringVar(&vector, "vector", "", `vector as "0.1,0.2,…", "[0.1,0.2]" or @file`)
	fs.StringVar(&metadata, "metadata", "", `metadata JSON object, e.g. {"genre":"drama"}`)
	fs.StringVar(&js, "json", "", "the whole vector as a JSON object (instead of --key/--vector/--metadata)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	ref, err := ixf.ref()
	if err != nil {
		return err
	}
	var v api.PutInputVector
	if js != "" {
		var req api.PutVectorsRequest
		if e := api.Decode([]byte(`{"vectorBucketName":"placeholder","indexName":"placeholder","vectors":[`+js+`]}`), &req); e != nil {
			return fmt.Errorf("--json: %w", e)
		}
		v = req.Vectors[0]
	} else {
		if key == "" {
			return fmt.Errorf("--key is required")
		}
		data, err := parseVector(vector)
		if err != nil {
			return err
		}
		v = api.PutInputVector{Key: key, Data: api.Float32Vector(data)}
		if metadata != "" {
			if err := json.Unmarshal([]byte(metadata), &v.Metadata); err != nil {
				return fmt.Errorf("--metadata: %w", err)
			}
		}
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: []api.PutInputVector{v}}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "put %s\n", v.Key)
	return nil
}

func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var data, metadata bool
	fs := newFlags("get", "get --bucket B --index I [--data] [--metadata] KEY...", "Prints the vectors with the given keys as JSON (absent keys are left out).", stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	fs.BoolVar(&data, "data", false, "include the vector data")
	fs.BoolVar(&metadata, "metadata", true, "include the metadata")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	ref, err := ixf.ref()
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("get: at least one KEY is required")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	out, err := c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: ref, Keys: fs.Args(), ReturnData: data, ReturnMetadata: metadata})
	if err != nil {
		return err
	}
	return printJSON(stdout, out.Vectors)
}

func runList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var data, metadata bool
	var limit int
	fs := newFlags("list", "list --bucket B --index I [--data] [--metadata] [--limit N]",
		"Lists the vectors of an index, one JSON object per line, following every page.", stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	fs.BoolVar(&data, "data", false, "include the vector data")
	fs.BoolVar(&metadata, "metadata", false, "include the metadata")
	fs.IntVar(&limit, "limit", 0, "stop after this many vectors (0: all)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	ref, err := ixf.ref()
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	n := 0
	for v, err := range c.AllVectors(ctx, &api.ListVectorsRequest{IndexRef: ref, ReturnData: data, ReturnMetadata: metadata}) {
		if err != nil {
			return err
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	return nil
}

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var vector, filter string
	var topK int
	var metadata bool
	fs := newFlags("query", "query --bucket B --index I --vector V [--top-k K] [--filter JSON]",
		`Prints the topK nearest vectors as JSON, nearest first, with their distances.
A filter is an S3 Vectors metadata filter, e.g. {"genre":{"$in":["drama","noir"]}}.`, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	fs.StringVar(&vector, "vector", "", `query vector as "0.1,0.2,…", "[0.1,0.2]" or @file`)
	fs.IntVar(&topK, "top-k", 10, "number of results, 1-10000")
	fs.StringVar(&filter, "filter", "", "metadata filter (JSON)")
	fs.BoolVar(&metadata, "metadata", true, "include the metadata of each result")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	ref, err := ixf.ref()
	if err != nil {
		return err
	}
	q, err := parseVector(vector)
	if err != nil {
		return err
	}
	req := &api.QueryVectorsRequest{IndexRef: ref, TopK: topK, QueryVector: api.Float32Vector(q), ReturnDistance: true, ReturnMetadata: metadata}
	if filter != "" {
		if !json.Valid([]byte(filter)) {
			return fmt.Errorf("--filter is not valid JSON")
		}
		req.Filter = json.RawMessage(filter)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	res, metric, err := c.QueryAll(ctx, req)
	if err != nil {
		return err
	}
	if res == nil {
		res = []api.QueryOutputVector{}
	}
	return printJSON(stdout, map[string]any{"distanceMetric": metric, "vectors": res})
}
