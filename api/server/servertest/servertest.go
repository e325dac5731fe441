// Package servertest drives an S3 Vectors endpoint with the official AWS SDK
// for Go (service/s3vectors v1.15.0) and checks what it answers: every
// operation, the typed errors, pagination, list segments, query pages and
// read-after-write. The server tests run it in-process; the end-to-end test
// of cmd/vectorbucket runs it against the real binary.
package servertest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
)

// Region and Account are what the server under test must be configured with.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// NewSDK returns an official SDK client for endpoint, signing with the
// given credentials (anonymous when accessKey is empty), with retries off
// so that every error surfaces at once.
//
// Its HTTP client reads each response body completely before handing the
// response to the SDK. Without that, about one response in 500 that is
// larger than the transport's 4 KiB read buffer fails in the SDK's
// deserializer with "read tcp …: use of closed network connection", with
// any server that answers within microseconds (a plain net/http handler
// included). The cause is client-side: smithy-go v1.28.9's ClientHandler
// closes the request body as soon as Client.Do returns, while Go's
// transport may still be reading that body once more to check it ends at
// Content-Length (net/http transfer.go); that read fails, and the
// transport's write loop closes the connection under the unread response.
// Reading the body inside the RoundTripper closes the window and changes
// nothing the SDK serialises, signs or deserialises.
func NewSDK(endpoint, accessKey, secret string) *s3vectors.Client {
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if accessKey != "" {
		creds = credentials.NewStaticCredentialsProvider(accessKey, secret, "")
	}
	return s3vectors.New(s3vectors.Options{
		BaseEndpoint:     aws.String(endpoint),
		Region:           Region,
		Credentials:      creds,
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: bufferedTransport{sdkTransport}},
	})
}

// sdkTransport keeps as many idle connections per host as the SDK's own
// default transport (10; http.DefaultTransport keeps 2, so that more than
// two concurrent callers keep closing and reopening connections).
var sdkTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 10
	return t
}()

// bufferedTransport reads every response body before returning it.
type bufferedTransport struct{ rt http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (b bufferedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.rt.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// Expect fails t unless err unwraps to the SDK's typed error *E.
func Expect[E error](t testing.TB, what string, err error) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("%s: got error %v (%T), want %T", what, err, err, target)
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// vec is a deterministic test vector.
func vec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func l2(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

// Lifecycle runs every operation of the SDK against sdk, in a bucket named
// bucket (which must not exist), checking results and typed errors, and
// deletes what it created.
func Lifecycle(t *testing.T, sdk *s3vectors.Client, bucket string) {
	ctx := context.Background()
	bucketArn := fmt.Sprintf("arn:aws:s3vectors:%s:%s:bucket/%s", Region, Account, bucket)

	// Buckets.
	cb, err := sdk.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String(bucket), Tags: map[string]string{"team": "search"}})
	must(t, "CreateVectorBucket", err)
	if aws.ToString(cb.VectorBucketArn) != bucketArn {
		t.Fatalf("CreateVectorBucket ARN %q, want %q", aws.ToString(cb.VectorBucketArn), bucketArn)
	}
	_, err = sdk.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String(bucket)})
	Expect[*types.ConflictException](t, "CreateVectorBucket twice", err)
	_, err = sdk.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("Bad_Name")})
	Expect[*types.ValidationException](t, "CreateVectorBucket bad name", err)
	for _, in := range []*s3vectors.GetVectorBucketInput{{VectorBucketName: aws.String(bucket)}, {VectorBucketArn: aws.String(bucketArn)}} {
		gb, err := sdk.GetVectorBucket(ctx, in)
		must(t, "GetVectorBucket", err)
		vb := gb.VectorBucket
		if aws.ToString(vb.VectorBucketName) != bucket || aws.ToString(vb.VectorBucketArn) != bucketArn || vb.CreationTime == nil || vb.CreationTime.Unix() < 1e9 {
			t.Fatalf("GetVectorBucket = %+v", vb)
		}
	}
	_, err = sdk.GetVectorBucket(ctx, &s3vectors.GetVectorBucketInput{VectorBucketName: aws.String(bucket + "-missing")})
	Expect[*types.NotFoundException](t, "GetVectorBucket missing", err)
	_, err = sdk.GetVectorBucket(ctx, &s3vectors.GetVectorBucketInput{VectorBucketName: aws.String(bucket), VectorBucketArn: aws.String(bucketArn)})
	Expect[*types.ValidationException](t, "GetVectorBucket name and ARN", err)
	_, err = sdk.GetVectorBucket(ctx, &s3vectors.GetVectorBucketInput{})
	Expect[*types.ValidationException](t, "GetVectorBucket neither", err)

	// A second bucket to page ListVectorBuckets with.
	other := bucket + "-2"
	_, err = sdk.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String(other)})
	must(t, "CreateVectorBucket 2", err)
	var names []string
	p := s3vectors.NewListVectorBucketsPaginator(sdk, &s3vectors.ListVectorBucketsInput{Prefix: aws.String(bucket), MaxResults: aws.Int32(1)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, "ListVectorBuckets", err)
		pages++
		for _, b := range out.VectorBuckets {
			names = append(names, aws.ToString(b.VectorBucketName))
		}
	}
	if !slices.Equal(names, []string{bucket, other}) || pages < 2 {
		t.Fatalf("ListVectorBuckets pages=%d names=%v", pages, names)
	}

	// Policies.
	_, err = sdk.GetVectorBucketPolicy(ctx, &s3vectors.GetVectorBucketPolicyInput{VectorBucketName: aws.String(bucket)})
	Expect[*types.NotFoundException](t, "GetVectorBucketPolicy unset", err)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3vectors:QueryVectors","Resource":"*"}]}`
	_, err = sdk.PutVectorBucketPolicy(ctx, &s3vectors.PutVectorBucketPolicyInput{VectorBucketArn: aws.String(bucketArn), Policy: aws.String(policy)})
	must(t, "PutVectorBucketPolicy", err)
	gp, err := sdk.GetVectorBucketPolicy(ctx, &s3vectors.GetVectorBucketPolicyInput{VectorBucketName: aws.String(bucket)})
	must(t, "GetVectorBucketPolicy", err)
	if aws.ToString(gp.Policy) != policy {
		t.Fatalf("GetVectorBucketPolicy = %q", aws.ToString(gp.Policy))
	}
	_, err = sdk.PutVectorBucketPolicy(ctx, &s3vectors.PutVectorBucketPolicyInput{VectorBucketName: aws.String(bucket), Policy: aws.String("not json")})
	Expect[*types.ValidationException](t, "PutVectorBucketPolicy bad JSON", err)
	_, err = sdk.DeleteVectorBucketPolicy(ctx, &s3vectors.DeleteVectorBucketPolicyInput{VectorBucketName: aws.String(bucket)})
	must(t, "DeleteVectorBucketPolicy", err)
	_, err = sdk.GetVectorBucketPolicy(ctx, &s3vectors.GetVectorBucketPolicyInput{VectorBucketName: aws.String(bucket)})
	Expect[*types.NotFoundException](t, "GetVectorBucketPolicy deleted", err)

	// Indexes.
	const dim = 8
	idx := "docs.v1"
	idxArn := bucketArn + "/index/" + idx
	ci, err := sdk.CreateIndex(ctx, &s3vectors.CreateIndexInput{
		VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), DataType: types.DataTypeFloat32,
		Dimension: aws.Int32(dim), DistanceMetric: types.DistanceMetricEuclidean,
		MetadataConfiguration: &types.MetadataConfiguration{NonFilterableMetadataKeys: []string{"text"}},
		Tags:                  map[string]string{"env": "test"},
	})
	must(t, "CreateIndex", err)
	if aws.ToString(ci.IndexArn) != idxArn {
		t.Fatalf("CreateIndex ARN %q, want %q", aws.ToString(ci.IndexArn), idxArn)
	}
	_, err = sdk.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), DataType: types.DataTypeFloat32, Dimension: aws.Int32(dim), DistanceMetric: types.DistanceMetricCosine})
	Expect[*types.ConflictException](t, "CreateIndex twice", err)
	_, err = sdk.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String(bucket + "-missing"), IndexName: aws.String(idx), DataType: types.DataTypeFloat32, Dimension: aws.Int32(dim), DistanceMetric: types.DistanceMetricCosine})
	Expect[*types.NotFoundException](t, "CreateIndex in missing bucket", err)
	_, err = sdk.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("big"), DataType: types.DataTypeFloat32, Dimension: aws.Int32(5000), DistanceMetric: types.DistanceMetricCosine})
	Expect[*types.ValidationException](t, "CreateIndex dimension 5000", err)
	_, err = sdk.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketArn: aws.String(bucketArn), IndexName: aws.String("cos"), DataType: types.DataTypeFloat32, Dimension: aws.Int32(3), DistanceMetric: types.DistanceMetricCosine})
	must(t, "CreateIndex by bucket ARN", err)
	gi, err := sdk.GetIndex(ctx, &s3vectors.GetIndexInput{IndexArn: aws.String(idxArn)})
	must(t, "GetIndex", err)
	if ix := gi.Index; aws.ToInt32(ix.Dimension) != dim || ix.DistanceMetric != types.DistanceMetricEuclidean || aws.ToString(ix.IndexArn) != idxArn ||
		ix.MetadataConfiguration == nil || !slices.Equal(ix.MetadataConfiguration.NonFilterableMetadataKeys, []string{"text"}) || ix.CreationTime == nil {
		t.Fatalf("GetIndex = %+v", ix)
	}
	_, err = sdk.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("nope")})
	Expect[*types.NotFoundException](t, "GetIndex missing", err)
	_, err = sdk.GetIndex(ctx, &s3vectors.GetIndexInput{IndexArn: aws.String(idxArn), IndexName: aws.String(idx)})
	Expect[*types.ValidationException](t, "GetIndex ARN and name", err)
	var inames []string
	ip := s3vectors.NewListIndexesPaginator(sdk, &s3vectors.ListIndexesInput{VectorBucketName: aws.String(bucket), MaxResults: aws.Int32(1)})
	for ip.HasMorePages() {
		out, err := ip.NextPage(ctx)
		must(t, "ListIndexes", err)
		for _, s := range out.Indexes {
			inames = append(inames, aws.ToString(s.IndexName))
		}
	}
	if !slices.Equal(inames, []string{"cos", idx}) {
		t.Fatalf("ListIndexes = %v", inames)
	}
	_, err = sdk.DeleteVectorBucket(ctx, &s3vectors.DeleteVectorBucketInput{VectorBucketName: aws.String(bucket)})
	Expect[*types.ConflictException](t, "DeleteVectorBucket not empty", err)

	// Tags on a bucket and an index.
	for _, arn := range []string{bucketArn, idxArn} {
		_, err = sdk.TagResource(ctx, &s3vectors.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"owner": "ana", "tier": "gold"}})
		must(t, "TagResource", err)
		_, err = sdk.UntagResource(ctx, &s3vectors.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"tier"}})
		must(t, "UntagResource", err)
		lt, err := sdk.ListTagsForResource(ctx, &s3vectors.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		must(t, "ListTagsForResource", err)
		if len(lt.Tags) != 2 || lt.Tags["owner"] != "ana" || (lt.Tags["team"] != "search" && lt.Tags["env"] != "test") {
			t.Fatalf("ListTagsForResource(%s) = %v", arn, lt.Tags)
		}
	}
	_, err = sdk.ListTagsForResource(ctx, &s3vectors.ListTagsForResourceInput{ResourceArn: aws.String(bucketArn + "-missing")})
	Expect[*types.NotFoundException](t, "ListTagsForResource missing", err)
	_, err = sdk.TagResource(ctx, &s3vectors.TagResourceInput{ResourceArn: aws.String("arn:aws:s3:::plain-bucket"), Tags: map[string]string{"a": "b"}})
	Expect[*types.ValidationException](t, "TagResource bad ARN", err)

	Vectors(t, sdk, bucket, idx, dim)

	// Clean up, checking deletes are visible.
	for _, name := range []string{idx, "cos"} {
		_, err = sdk.DeleteIndex(ctx, &s3vectors.DeleteIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(name)})
		must(t, "DeleteIndex", err)
		_, err = sdk.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(name)})
		Expect[*types.NotFoundException](t, "GetIndex after delete", err)
	}
	_, err = sdk.DeleteIndex(ctx, &s3vectors.DeleteIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx)})
	Expect[*types.NotFoundException](t, "DeleteIndex twice", err)
	for _, b := range []string{bucket, other} {
		_, err = sdk.DeleteVectorBucket(ctx, &s3vectors.DeleteVectorBucketInput{VectorBucketName: aws.String(b)})
		must(t, "DeleteVectorBucket", err)
		_, err = sdk.GetVectorBucket(ctx, &s3vectors.GetVectorBucketInput{VectorBucketName: aws.String(b)})
		Expect[*types.NotFoundException](t, "GetVectorBucket after delete", err)
	}
}

// model is what the test believes the index holds.
type model map[string]entry

type entry struct {
	data  []float32
	genre string
}

// Vectors exercises the vector operations on an existing, empty euclidean
// index with dimension dim whose only non-filterable metadata key is "text".
func Vectors(t *testing.T, sdk *s3vectors.Client, bucket, idx string, dim int) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	m := model{}
	genres := []string{"drama", "scifi", "noir"}
	put := func(keys []string) {
		t.Helper()
		vs := make([]types.PutInputVector, len(keys))
		for i, k := range keys {
			e := entry{data: vec(r, dim), genre: genres[r.IntN(len(genres))]}
			m[k] = e
			vs[i] = types.PutInputVector{Key: aws.String(k), Data: &types.VectorDataMemberFloat32{Value: e.data},
				Metadata: document.NewLazyDocument(map[string]any{"genre": e.genre, "text": "about " + k, "n": len(k)})}
		}
		_, err := sdk.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), Vectors: vs})
		must(t, "PutVectors", err)
		checkGet(t, sdk, bucket, idx, keys[:min(len(keys), 100)], m)
	}
	var keys []string
	for i := range 1100 {
		keys = append(keys, fmt.Sprintf("k%05d", i))
	}
	for i := 0; i < len(keys); i += 500 {
		put(keys[i:min(i+500, len(keys))])
	}
	checkList(t, sdk, bucket, idx, m)
	checkQuery(t, sdk, bucket, idx, dim, m, r)

	// Overwrite 50 and delete 120: read-after-write after each.
	put(keys[:50])
	del := keys[980:1100]
	_, err := sdk.DeleteVectors(ctx, &s3vectors.DeleteVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), Keys: del})
	must(t, "DeleteVectors", err)
	for _, k := range del {
		delete(m, k)
	}
	checkGet(t, sdk, bucket, idx, del[:100], m)
	checkList(t, sdk, bucket, idx, m)
	checkQuery(t, sdk, bucket, idx, dim, m, r)

	// Index-dependent validation.
	bad := []types.PutInputVector{{Key: aws.String("x"), Data: &types.VectorDataMemberFloat32{Value: make([]float32, dim+1)}}}
	_, err = sdk.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), Vectors: bad})
	Expect[*types.ValidationException](t, "PutVectors wrong dimension", err)
	nan := make([]float32, dim)
	nan[3] = float32(math.NaN())
	bad = []types.PutInputVector{{Key: aws.String("x"), Data: &types.VectorDataMemberFloat32{Value: nan}}}
	_, err = sdk.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), Vectors: bad})
	Expect[*types.ValidationException](t, "PutVectors NaN", err)
	_, err = sdk.QueryVectors(ctx, &s3vectors.QueryVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), TopK: aws.Int32(3),
		QueryVector: &types.VectorDataMemberFloat32{Value: make([]float32, dim)}, Filter: document.NewLazyDocument(map[string]any{"text": "x"})})
	Expect[*types.ValidationException](t, "QueryVectors filter on non-filterable key", err)
	_, err = sdk.QueryVectors(ctx, &s3vectors.QueryVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), TopK: aws.Int32(10001),
		QueryVector: &types.VectorDataMemberFloat32{Value: make([]float32, dim)}})
	Expect[*types.ValidationException](t, "QueryVectors topK 10001", err)
	_, err = sdk.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("missing-index"), Keys: []string{"a"}})
	Expect[*types.NotFoundException](t, "GetVectors missing index", err)
	_, err = sdk.ListVectors(ctx, &s3vectors.ListVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), SegmentCount: aws.Int32(2), SegmentIndex: 2})
	Expect[*types.ValidationException](t, "ListVectors segmentIndex ≥ segmentCount", err)
}

// checkGet reads keys back and compares them with the model.
func checkGet(t *testing.T, sdk *s3vectors.Client, bucket, idx string, keys []string, m model) {
	t.Helper()
	out, err := sdk.GetVectors(context.Background(), &s3vectors.GetVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), Keys: keys, ReturnData: true, ReturnMetadata: true})
	must(t, "GetVectors", err)
	want := 0
	for _, k := range keys {
		if _, ok := m[k]; ok {
			want++
		}
	}
	if len(out.Vectors) != want {
		t.Fatalf("GetVectors returned %d vectors, want %d", len(out.Vectors), want)
	}
	for _, v := range out.Vectors {
		e, ok := m[aws.ToString(v.Key)]
		if !ok {
			t.Fatalf("GetVectors returned deleted key %s", aws.ToString(v.Key))
		}
		d, ok := v.Data.(*types.VectorDataMemberFloat32)
		if !ok || !slices.Equal(d.Value, e.data) {
			t.Fatalf("GetVectors %s: data %v, want %v", aws.ToString(v.Key), v.Data, e.data)
		}
		var md map[string]any
		if v.Metadata == nil || v.Metadata.UnmarshalSmithyDocument(&md) != nil || md["genre"] != e.genre || md["text"] != "about "+aws.ToString(v.Key) {
			t.Fatalf("GetVectors %s: metadata %v, want genre %s", aws.ToString(v.Key), md, e.genre)
		}
	}
}

// checkList lists the index sequentially in small pages and in 4 parallel
// segments; both must return every key exactly once.
func checkList(t *testing.T, sdk *s3vectors.Client, bucket, idx string, m model) {
	t.Helper()
	ctx := context.Background()
	want := make([]string, 0, len(m))
	for k := range m {
		want = append(want, k)
	}
	slices.Sort(want)
	collect := func(in *s3vectors.ListVectorsInput) ([]string, int) {
		var got []string
		pages := 0
		p := s3vectors.NewListVectorsPaginator(sdk, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			must(t, "ListVectors", err)
			pages++
			for _, v := range out.Vectors {
				if v.Data != nil || v.Metadata != nil {
					t.Fatalf("ListVectors returned data/metadata without asking")
				}
				got = append(got, aws.ToString(v.Key))
			}
		}
		return got, pages
	}
	got, pages := collect(&s3vectors.ListVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), MaxResults: aws.Int32(150)})
	slices.Sort(got)
	if !slices.Equal(got, want) || pages < len(want)/150 {
		t.Fatalf("ListVectors: %d keys in %d pages, want %d keys", len(got), pages, len(want))
	}
	var all []string
	for s := range 4 {
		seg, _ := collect(&s3vectors.ListVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(idx), MaxResults: aws.Int32(100), SegmentCount: aws.Int32(4), SegmentIndex: int32(s)})
		all = append(all, seg...)
	}
	slices.Sort(all)
	if !slices.Equal(all, want) {
		t.Fatalf("ListVectors over 4 segments: %d keys, want %d (each exactly once)", len(all), len(want))
	}
}

// checkQuery pages a topK-250 query and a filtered one and compares them
// with brute force over the model.
func checkQuery(t *testing.T, sdk *s3vectors.Client, bucket, idx string, dim int, m model, r *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	q := vec(r, dim)
	type scored struct {
		key string
		d   float64
	}
	exact := func(genre string) []scored {
		var s []scored
		for k, e := range m {
			if genre == "" || e.genre == genre {
				s = append(s, scored{k, l2(q, e.data)})
			}
		}
		slices.SortFunc(s, func(a, b scored) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.key, b.key)) })
		return s
	}
	for _, genre := range []string{"", "scifi"} {
		in := &s3vectors.QueryVectorsInput{IndexArn: aws.String(fmt.Sprintf("arn:aws:s3vectors:%s:%s:bucket/%s/index/%s", Region, Account, bucket, idx)),
			TopK: aws.Int32(250), QueryVector: &types.VectorDataMemberFloat32{Value: q}, ReturnDistance: true, ReturnMetadata: true}
		if genre != "" {
			in.Filter = document.NewLazyDocument(map[string]any{"genre": map[string]any{"$eq": genre}})
		}
		var got []types.QueryOutputVector
		pages := 0
		p := s3vectors.NewQueryVectorsPaginator(sdk, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			must(t, "QueryVectors", err)
			if out.DistanceMetric != types.DistanceMetricEuclidean {
				t.Fatalf("QueryVectors distanceMetric %q", out.DistanceMetric)
			}
			pages++
			got = append(got, out.Vectors...)
		}
		want := exact(genre)
		n := min(250, len(want))
		if len(got) != n || pages != (n+99)/100 {
			t.Fatalf("QueryVectors(genre=%q): %d results in %d pages, want %d in %d", genre, len(got), pages, n, (n+99)/100)
		}
		seen := map[string]bool{}
		for i, g := range got {
			k := aws.ToString(g.Key)
			if seen[k] {
				t.Fatalf("QueryVectors: key %s twice", k)
			}
			seen[k] = true
			if g.Distance == nil || math.Abs(float64(*g.Distance)-want[i].d) > 1e-3*(1+want[i].d) {
				t.Fatalf("QueryVectors result %d: %s at %v, want %s at %v", i, k, g.Distance, want[i].key, want[i].d)
			}
			var md map[string]any
			if g.Metadata == nil || g.Metadata.UnmarshalSmithyDocument(&md) != nil || (genre != "" && md["genre"] != genre) {
				t.Fatalf("QueryVectors result %s: metadata %v", k, md)
			}
			if _, ok := m[k]; !ok {
				t.Fatalf("QueryVectors returned deleted key %s", k)
			}
		}
	}
}
