package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/datasets/parquetfile"
)

const (
	e2eAccessKey = "AKIDE2EVECTORBUCKET"
	e2eSecret    = "e2e/secret+key"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the vectorbucket binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and starts the vectorbucket binary (not in -short)")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vectorbucket-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "vectorbucket")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		// The harness next to it: "bench", "datasets" and Parquet import run it.
		out, err = exec.Command("go", "build", "-o", filepath.Join(dir, benchBinary), "../vectorbucket-bench").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build vectorbucket-bench: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running `vectorbucket serve`.
type proc struct {
	cmd      *exec.Cmd
	endpoint string
	log      *bytes.Buffer
	done     chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServe starts the binary on a free loopback port over dataDir, with
// the e2e credentials when signed, and stops it by PID at cleanup.
func startServe(t *testing.T, dataDir string, signed bool, extra ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--addr", addr, "--data", dataDir, "--log-format", "json", "--account-id", servertest.Account}, extra...)
	cmd := exec.Command(binary(t), args...)
	env := os.Environ()
	if signed {
		env = append(env, "VECTORBUCKET_ACCESS_KEY_ID="+e2eAccessKey, "VECTORBUCKET_SECRET_ACCESS_KEY="+e2eSecret)
	}
	cmd.Env = env
	p := &proc{cmd: cmd, endpoint: "http://" + addr, log: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("serve exited early: %v\n%s", err, p.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become healthy: %v\n%s", err, p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM to the server's PID and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("serve exited with %v\n%s", err, p.log)
		}
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		t.Errorf("serve did not stop within 30s of SIGTERM\n%s", p.log)
	}
}

func TestE2ESDK(t *testing.T) {
	p := startServe(t, t.TempDir(), true)
	sdk := servertest.NewSDK(p.endpoint, e2eAccessKey, e2eSecret)
	servertest.Lifecycle(t, sdk, "e2e-sdk")

	// Unsigned and badly signed requests are refused and change nothing.
	ctx := context.Background()
	anon := servertest.NewSDK(p.endpoint, "", "")
	_, err := anon.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("anon-bucket")})
	servertest.Expect[*types.AccessDeniedException](t, "unsigned CreateVectorBucket", err)
	wrong := servertest.NewSDK(p.endpoint, e2eAccessKey, "not-the-secret")
	_, err = wrong.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("wrong-bucket")})
	servertest.Expect[*types.AccessDeniedException](t, "badly signed CreateVectorBucket", err)
	unknown := servertest.NewSDK(p.endpoint, "AKIDUNKNOWN", e2eSecret)
	_, err = unknown.ListVectorBuckets(ctx, &s3vectors.ListVectorBucketsInput{})
	servertest.Expect[*types.AccessDeniedException](t, "unknown access key", err)
	_, err = anon.ListTagsForResource(ctx, &s3vectors.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:s3vectors:us-east-1:" + servertest.Account + ":bucket/anon-bucket")})
	servertest.Expect[*types.AccessDeniedException](t, "unsigned ListTagsForResource", err)
	out, err := sdk.ListVectorBuckets(ctx, &s3vectors.ListVectorBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.VectorBuckets) != 0 {
		t.Fatalf("refused requests created buckets: %+v", out.VectorBuckets)
	}

	// Metrics count what was served.
	resp, err := http.Get(p.endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`vectorbucket_http_requests_total{operation="PutVectors",status="200"}`,
		`vectorbucket_http_requests_total{operation="CreateVectorBucket",status="403"}`,
		`vectorbucket_http_errors_total{code="NotFoundException",operation="GetIndex"}`,
		`vectorbucket_store_operations_total{op="get"}`,
		`vectorbucket_store_cache_hits_total`,
		`vectorbucket_query_objects_read_total{source="store"}`,
		`vectorbucket_query_vectors_scored_total`,
	} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestE2EClient(t *testing.T) {
	p := startServe(t, t.TempDir(), true)
	ctx := context.Background()
	c, err := client.New(client.Options{Endpoint: p.endpoint, AccessKeyID: e2eAccessKey, SecretAccessKey: e2eSecret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "cli-bucket"}); err != nil {
		t.Fatal(err)
	}
	bref := api.BucketRef{VectorBucketName: "cli-bucket"}
	if err := c.PutVectorBucketDefaultIndexMode(ctx, &api.PutVectorBucketDefaultIndexModeRequest{BucketRef: bref, DefaultIndexMode: api.ModeEnhanced}); err != nil {
		t.Fatal(err)
	}
	err = c.PutVectorBucketDefaultIndexMode(ctx, &api.PutVectorBucketDefaultIndexModeRequest{BucketRef: bref, DefaultIndexMode: api.ModeClassic})
	if !errors.Is(err, api.ErrValidation) {
		t.Fatalf("default mode CLASSIC: %v, want ValidationException", err)
	}
	const dim = 16
	if _, err := c.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: bref, IndexName: "vecs", DataType: api.DataTypeFloat32, Dimension: dim, DistanceMetric: api.Cosine}); err != nil {
		t.Fatal(err)
	}
	iref := api.IndexRef{VectorBucketName: "cli-bucket", IndexName: "vecs"}
	if err := c.UpdateIndexMode(ctx, &api.UpdateIndexModeRequest{IndexRef: iref, IndexMode: api.ModeEnhanced}); err != nil {
		t.Fatal(err)
	}
	gi, err := c.GetIndex(ctx, &api.GetIndexRequest{IndexRef: iref})
	if err != nil || gi.Index.IndexMode != api.ModeEnhanced || gi.Index.Dimension != dim {
		t.Fatalf("GetIndex = %+v, %v", gi, err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	vecs := make([]api.PutInputVector, 1300)
	for i := range vecs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		vecs[i] = api.PutInputVector{Key: fmt.Sprintf("v%04d", i), Data: api.Float32Vector(v), Metadata: api.Metadata{"even": i%2 == 0}}
	}
	if err := c.PutVectorsBulk(ctx, "cli-bucket", "vecs", vecs, 4); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: iref, Keys: []string{"v0000", "v1299", "missing"}, ReturnData: true, ReturnMetadata: true})
	if err != nil || len(got.Vectors) != 2 || !slices.Equal(got.Vectors[1].Data.Float32, vecs[1299].Data.Float32) || got.Vectors[0].Metadata["even"] != true {
		t.Fatalf("GetVectors after bulk put = %+v, %v", got, err)
	}
	n := 0
	for _, err := range c.AllVectors(ctx, &api.ListVectorsRequest{IndexRef: iref}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(vecs) {
		t.Fatalf("AllVectors: %d, want %d", n, len(vecs))
	}
	res, metric, err := c.QueryAll(ctx, &api.QueryVectorsRequest{IndexRef: iref, TopK: 300, QueryVector: vecs[7].Data, ReturnDistance: true,
		Filter: json.RawMessage(`{"even":false}`)})
	if err != nil {
		t.Fatal(err)
	}
	if metric != api.Cosine || len(res) != 300 || res[0].Key != "v0007" || math.Abs(float64(*res[0].Distance)) > 1e-5 {
		t.Fatalf("QueryAll: metric %s, %d results, first %+v", metric, len(res), res[0])
	}
	for i := 1; i < len(res); i++ {
		if *res[i].Distance < *res[i-1].Distance {
			t.Fatalf("QueryAll results not sorted at %d", i)
		}
	}
	if err := c.DeleteVectors(ctx, &api.DeleteVectorsRequest{IndexRef: iref, Keys: []string{"v0007"}}); err != nil {
		t.Fatal(err)
	}
	res, _, err = c.QueryAll(ctx, &api.QueryVectorsRequest{IndexRef: iref, TopK: 5, QueryVector: vecs[7].Data})
	if err != nil || res[0].Key == "v0007" {
		t.Fatalf("query after delete: %+v, %v", res, err)
	}
	arn := api.IndexARN("us-east-1", servertest.Account, "cli-bucket", "vecs")
	if err := c.TagResource(ctx, arn, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if tags, err := c.ListTagsForResource(ctx, arn); err != nil || tags["k"] != "v" {
		t.Fatalf("tags = %v, %v", tags, err)
	}
	if err := c.DeleteIndex(ctx, &api.DeleteIndexRequest{IndexRef: iref}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteVectorBucket(ctx, &api.DeleteVectorBucketRequest{BucketRef: bref}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetVectorBucket(ctx, &api.GetVectorBucketRequest{BucketRef: bref}); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("GetVectorBucket after delete: %v", err)
	}
}

// cli runs the binary with the e2e credentials against p.
func (p *proc) cli(t *testing.T, args ...string) string {
	t.Helper()
	out, err := p.cliErr(args...)
	if err != nil {
		t.Fatalf("vectorbucket %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (p *proc) cliErr(args ...string) (string, error) {
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), "VECTORBUCKET_ENDPOINT="+p.endpoint,
		"VECTORBUCKET_ACCESS_KEY_ID="+e2eAccessKey, "VECTORBUCKET_SECRET_ACCESS_KEY="+e2eSecret)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestE2ECLI(t *testing.T) {
	p := startServe(t, t.TempDir(), true)
	dir := t.TempDir()
	if out := p.cli(t, "buckets", "create", "shop"); !strings.Contains(out, "bucket/shop") {
		t.Fatalf("buckets create: %s", out)
	}
	p.cli(t, "indexes", "create", "--bucket", "shop", "--dimension", "4", "--metric", "euclidean", "--non-filterable", "title", "items")
	p.cli(t, "put", "--bucket", "shop", "--index", "items", "--key", "one", "--vector", "1,0,0,0", "--metadata", `{"color":"red","title":"One"}`)
	p.cli(t, "put", "--bucket", "shop", "--index", "items", "--json", `{"key":"two","data":{"float32":[0,1,0,0]},"metadata":{"color":"blue"}}`)

	// JSONL and fvecs imports.
	var jl strings.Builder
	for i := range 700 {
		fmt.Fprintf(&jl, `{"key":"j%03d","vector":[%d,1,2,3],"metadata":{"color":"green"}}`+"\n", i, i)
	}
	jsonl := filepath.Join(dir, "items.jsonl")
	if err := os.WriteFile(jsonl, []byte(jl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := p.cli(t, "import", "--bucket", "shop", "--index", "items", jsonl); !slices.Contains(tableColumn(out, "IMPORTED"), "700") {
		t.Fatalf("import jsonl: %s", out)
	}
	fv := make([]float32, 0, 300*4)
	for i := range 300 {
		fv = append(fv, 0, 0, float32(i), 1)
	}
	fvecs := filepath.Join(dir, "items.fvecs")
	if err := datasets.WriteFvecsFile(fvecs, fv, 4); err != nil {
		t.Fatal(err)
	}
	if out := p.cli(t, "import", "--bucket", "shop", "--index", "items", "--key-prefix", "f", "--quiet", fvecs); !slices.Contains(tableColumn(out, "IMPORTED"), "300") {
		t.Fatalf("import fvecs: %s", out)
	}

	// Parquet and Arrow files with a key column.
	tbl := &datasets.VectorTable{Dim: 4, N: 50}
	for i := range 50 {
		tbl.Vectors = append(tbl.Vectors, 0, 0, 0, float32(i+2))
		tbl.Keys = append(tbl.Keys, fmt.Sprintf("pq%02d", i))
	}
	pq, arrowPath := filepath.Join(dir, "items.parquet"), filepath.Join(dir, "items.arrow")
	if err := parquetfile.Write(pq, tbl); err != nil {
		t.Fatal(err)
	}
	if out := p.cli(t, "import", "--bucket", "shop", "--index", "items", "--quiet", pq); !slices.Contains(tableColumn(out, "IMPORTED"), "50") {
		t.Fatalf("import parquet: %s", out)
	}
	for i := range tbl.Keys {
		tbl.Keys[i] = strings.Replace(tbl.Keys[i], "pq", "ar", 1)
	}
	if err := datasets.WriteArrowFile(arrowPath, tbl); err != nil {
		t.Fatal(err)
	}
	if out := p.cli(t, "import", "--bucket", "shop", "--index", "items", "--quiet", "--limit", "20", arrowPath); !slices.Contains(tableColumn(out, "IMPORTED"), "20") {
		t.Fatalf("import arrow: %s", out)
	}
	if out := p.cli(t, "get", "--bucket", "shop", "--index", "items", "--output", "json", "--data", "pq07", "ar19", "ar20"); strings.Count(out, `"key"`) != 2 || !strings.Contains(out, `"pq07"`) {
		t.Fatalf("get imported: %s", out)
	}

	out := p.cli(t, "query", "--bucket", "shop", "--index", "items", "--vector", "[0,1,0,0]", "--top-k", "2", "--output", "json", "--filter", `{"color":{"$in":["blue","red"]}}`)
	var qr struct {
		DistanceMetric string
		Vectors        []api.QueryOutputVector
	}
	if err := json.Unmarshal([]byte(out), &qr); err != nil || len(qr.Vectors) != 2 || qr.Vectors[0].Key != "two" || qr.Vectors[1].Key != "one" || qr.DistanceMetric != "euclidean" {
		t.Fatalf("query: %s (%v)", out, err)
	}
	out = p.cli(t, "get", "--bucket", "shop", "--index", "items", "--output", "json", "--data", "one", "f7", "nope")
	var gv []api.GetOutputVector
	if err := json.Unmarshal([]byte(out), &gv); err != nil || len(gv) != 2 || gv[0].Metadata["title"] != "One" || !slices.Equal(gv[1].Data.Float32, []float32{0, 0, 7, 1}) {
		t.Fatalf("get: %s (%v)", out, err)
	}
	out = p.cli(t, "list", "--bucket", "shop", "--index", "items", "--output", "jsonl")
	if n := strings.Count(out, "\n"); n != 1072 {
		t.Fatalf("list: %d lines, want 1072", n)
	}
	if out := p.cli(t, "indexes", "list", "--bucket", "shop"); !slices.Contains(tableColumn(out, "NAME"), "items") {
		t.Fatalf("indexes list: %s", out)
	}
	if out, err := p.cliErr("buckets", "delete", "shop"); err == nil || !strings.Contains(out, "ConflictException") {
		t.Fatalf("buckets delete non-empty: %v %s", err, out)
	}
	p.cli(t, "indexes", "delete", "--bucket", "shop", "items")
	p.cli(t, "buckets", "delete", "shop")
	if out := p.cli(t, "buckets", "list", "--output", "json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("buckets list after delete: %q", out)
	}
	// --help explains every command.
	for _, c := range append(commands(), command{name: "--help"}) {
		args := []string{c.name, "--help"}
		if c.name == "--help" {
			args = args[:1]
		}
		out, err := p.cliErr(args...)
		if err != nil || !strings.Contains(out, "Usage: vectorbucket") {
			t.Errorf("vectorbucket %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestE2ERestartAndShutdown(t *testing.T) {
	data := t.TempDir()
	p := startServe(t, data, false)
	c, err := client.New(client.Options{Endpoint: p.endpoint})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "keep"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: "keep"}, IndexName: "ixx", DataType: api.DataTypeFloat32, Dimension: 2, DistanceMetric: api.Euclidean}); err != nil {
		t.Fatal(err)
	}
	iref := api.IndexRef{VectorBucketName: "keep", IndexName: "ixx"}
	if err := c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: iref, Vectors: []api.PutInputVector{{Key: "a", Data: api.Float32Vector([]float32{1, 2})}}}); err != nil {
		t.Fatal(err)
	}
	p.stop(t)
	if !strings.Contains(p.log.String(), `"msg":"stopped"`) {
		t.Fatalf("no graceful stop in the log:\n%s", p.log)
	}
	p2 := startServe(t, data, false)
	c2, _ := client.New(client.Options{Endpoint: p2.endpoint})
	got, err := c2.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: iref, Keys: []string{"a"}, ReturnData: true})
	if err != nil || len(got.Vectors) != 1 || !slices.Equal(got.Vectors[0].Data.Float32, []float32{1, 2}) {
		t.Fatalf("after restart: %+v, %v", got, err)
	}

	// Without credentials the server refuses a non-loopback address.
	cmd := exec.Command(binary(t), "serve", "--addr", "0.0.0.0:0", "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "VECTORBUCKET_ACCESS_KEY_ID=", "VECTORBUCKET_SECRET_ACCESS_KEY=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refusing to listen on 0.0.0.0:0 without credentials") {
		t.Fatalf("serve on 0.0.0.0 without credentials: %v\n%s", err, out)
	}
}
