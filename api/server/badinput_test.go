package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
)

// call sends one raw request and returns status, headers and body.
func call(t testing.TB, method, url string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func mustPost(t testing.TB, ts *testServer, op, body string) []byte {
	t.Helper()
	st, _, b := call(t, http.MethodPost, ts.URL+"/"+op, strings.NewReader(body))
	if st != http.StatusOK {
		t.Fatalf("%s %s: %d %s", op, body, st, b)
	}
	return b
}

// vecJSON formats a 4-dimensional vector.
func vecJSON(a, b, c, d float64) string { return fmt.Sprintf(`{"float32":[%g,%g,%g,%g]}`, a, b, c, d) }

// fixture creates bucket "tbl" with the euclidean index "vec" (dimension 4,
// "text" non-filterable) holding 10 vectors and the empty cosine index "cos".
func fixture(t testing.TB, ts *testServer) {
	mustPost(t, ts, "CreateVectorBucket", `{"vectorBucketName":"tbl"}`)
	mustPost(t, ts, "CreateIndex", `{"vectorBucketName":"tbl","indexName":"vec","dataType":"float32","dimension":4,"distanceMetric":"euclidean","metadataConfiguration":{"nonFilterableMetadataKeys":["text"]}}`)
	mustPost(t, ts, "CreateIndex", `{"vectorBucketName":"tbl","indexName":"cos","dataType":"float32","dimension":4,"distanceMetric":"cosine"}`)
	var vs []string
	for i := range 10 {
		vs = append(vs, fmt.Sprintf(`{"key":"k%d","data":%s,"metadata":{"genre":"g%d","year":%d,"text":"t"}}`, i, vecJSON(float64(i), 1, 2, 3), i%3, 2000+i))
	}
	mustPost(t, ts, "PutVectors", `{"vectorBucketName":"tbl","indexName":"vec","vectors":[`+strings.Join(vs, ",")+`]}`)
}

// snapshot is everything the fixture's catalog and index hold.
func snapshot(t testing.TB, ts *testServer) string {
	var b strings.Builder
	b.Write(mustPost(t, ts, "ListVectorBuckets", `{}`))
	b.Write(mustPost(t, ts, "ListIndexes", `{"vectorBucketName":"tbl"}`))
	for _, ix := range []string{"vec", "cos"} {
		b.Write(mustPost(t, ts, "ListVectors", `{"vectorBucketName":"tbl","indexName":"`+ix+`","returnData":true,"returnMetadata":true}`))
	}
	_, _, tags := call(t, http.MethodGet, ts.URL+api.TagsPath(api.BucketARN("us-east-1", "123456789012", "tbl")), nil)
	b.Write(tags)
	return b.String()
}

func vectors(n int, v string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"key":"n%d","data":%s}`, i, v)
	}
	return strings.Join(parts, ",")
}

func keys(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"k%d"`, i)
	}
	return strings.Join(parts, ",")
}

func bigMetadata(n int) string {
	return `{"genre":"x","big":"` + strings.Repeat("a", n) + `"}`
}

// TestBadInput sends malformed requests and checks each gets the right
// status and error type, with the envelope, and that nothing changed.
func TestBadInput(t *testing.T) {
	ts := newTestServer(t, false, nil)
	fixture(t, ts)
	before := snapshot(t, ts)
	const ix = `"vectorBucketName":"tbl","indexName":"vec"`
	const cos = `"vectorBucketName":"tbl","indexName":"cos"`
	put := func(vs string) string { return `{` + ix + `,"vectors":[` + vs + `]}` }
	one := func(v string) string { return put(`{"key":"new","data":` + v + `}`) }
	withMD := func(md string) string {
		return put(`{"key":"new","data":` + vecJSON(1, 2, 3, 4) + `,"metadata":` + md + `}`)
	}
	query := func(extra string) string {
		return `{` + ix + `,"topK":3,"queryVector":` + vecJSON(1, 2, 3, 4) + extra + `}`
	}
	otherAcct := "arn:aws:s3vectors:us-east-1:999999999999:bucket/tbl/index/vec"
	var manyTags, manyKeys []string
	for i := range 51 {
		manyTags = append(manyTags, fmt.Sprintf(`"t%d":"v"`, i))
		manyKeys = append(manyKeys, fmt.Sprintf(`"m%d":1`, i))
	}
	bucketTags := api.TagsPath(api.BucketARN("us-east-1", "123456789012", "tbl"))
	V, NF, C, U := api.CodeValidation, api.CodeNotFound, api.CodeConflict, "UnknownOperationException"

	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"wrong dimension", "POST", "/PutVectors", one(`{"float32":[1,2,3]}`), 400, V},
		{"NaN element", "POST", "/PutVectors", one(`{"float32":[1,"NaN",3,4]}`), 400, V},
		{"Infinity element", "POST", "/PutVectors", one(`{"float32":[1,2,"Infinity",4]}`), 400, V},
		{"-Infinity element", "POST", "/PutVectors", one(`{"float32":["-Infinity",2,3,4]}`), 400, V},
		{"string element", "POST", "/PutVectors", one(`{"float32":[1,"abc",3,4]}`), 400, V},
		{"float32 overflow", "POST", "/PutVectors", one(`{"float32":[1e39,2,3,4]}`), 400, V},
		{"data not an object", "POST", "/PutVectors", one(`[1,2,3,4]`), 400, V},
		{"unknown union member", "POST", "/PutVectors", one(`{"float64":[1,2,3,4]}`), 400, V},
		{"501 vectors", "POST", "/PutVectors", put(vectors(501, vecJSON(1, 2, 3, 4))), 400, V},
		{"no vectors", "POST", "/PutVectors", put(``), 400, V},
		{"empty key", "POST", "/PutVectors", put(`{"key":"","data":` + vecJSON(1, 2, 3, 4) + `}`), 400, V},
		{"1025-char key", "POST", "/PutVectors", put(`{"key":"` + strings.Repeat("k", 1025) + `","data":` + vecJSON(1, 2, 3, 4) + `}`), 400, V},
		{"invalid UTF-8 key", "POST", "/PutVectors", put(`{"key":"a` + "\xff" + `b","data":` + vecJSON(1, 2, 3, 4) + `}`), 400, V},
		{"metadata over 40 KB", "POST", "/PutVectors", withMD(bigMetadata(41 << 10)), 400, V},
		{"filterable metadata over 2 KB", "POST", "/PutVectors", withMD(bigMetadata(3 << 10)), 400, V},
		{"metadata null value", "POST", "/PutVectors", withMD(`{"genre":null}`), 400, V},
		{"metadata nested object", "POST", "/PutVectors", withMD(`{"genre":{"a":1}}`), 400, V},
		{"metadata 51 keys", "POST", "/PutVectors", withMD(`{` + strings.Join(manyKeys, ",") + `}`), 400, V},
		{"metadata not an object", "POST", "/PutVectors", withMD(`"genre"`), 400, V},
		{"zero vector on cosine", "POST", "/PutVectors", `{` + cos + `,"vectors":[{"key":"z","data":` + vecJSON(0, 0, 0, 0) + `}]}`, 400, V},
		{"one bad vector in a batch", "POST", "/PutVectors", put(`{"key":"ok","data":` + vecJSON(1, 2, 3, 4) + `},{"key":"bad","data":{"float32":[1]}}`), 400, V},
		{"unknown member", "POST", "/PutVectors", `{` + ix + `,"vectors":[],"dryRun":true}`, 400, V},
		{"truncated JSON", "POST", "/PutVectors", put(`{"key":"a","data":{"float32":[1,2`), 400, V},
		{"trailing data", "POST", "/PutVectors", one(vecJSON(1, 2, 3, 4)) + `{}`, 400, V},
		{"body is an array", "POST", "/PutVectors", `[]`, 400, V},
		{"body is null", "POST", "/GetIndex", `null`, 400, V},
		{"ARN and names", "POST", "/PutVectors", `{"indexArn":"arn:aws:s3vectors:us-east-1:123456789012:bucket/tbl/index/vec",` + ix + `,"vectors":[{"key":"a","data":` + vecJSON(1, 2, 3, 4) + `}]}`, 400, V},
		{"neither ARN nor names", "POST", "/PutVectors", `{"vectors":[{"key":"a","data":` + vecJSON(1, 2, 3, 4) + `}]}`, 400, V},
		{"malformed index ARN", "POST", "/GetIndex", `{"indexArn":"arn:aws:s3:::tbl"}`, 400, V},
		{"ARN of another account", "POST", "/PutVectors", `{"indexArn":"` + otherAcct + `","vectors":[{"key":"a","data":` + vecJSON(1, 2, 3, 4) + `}]}`, 404, NF},
		{"missing index", "POST", "/PutVectors", `{"vectorBucketName":"tbl","indexName":"nope","vectors":[{"key":"a","data":` + vecJSON(1, 2, 3, 4) + `}]}`, 404, NF},
		{"missing bucket", "POST", "/GetVectors", `{"vectorBucketName":"nope","indexName":"vec","keys":["a"]}`, 404, NF},
		{"topK 0", "POST", "/QueryVectors", `{` + ix + `,"topK":0,"queryVector":` + vecJSON(1, 2, 3, 4) + `}`, 400, V},
		{"topK 10001", "POST", "/QueryVectors", `{` + ix + `,"topK":10001,"queryVector":` + vecJSON(1, 2, 3, 4) + `}`, 400, V},
		{"topK a string", "POST", "/QueryVectors", `{` + ix + `,"topK":"3","queryVector":` + vecJSON(1, 2, 3, 4) + `}`, 400, V},
		{"query wrong dimension", "POST", "/QueryVectors", `{` + ix + `,"topK":3,"queryVector":{"float32":[1,2]}}`, 400, V},
		{"query NaN", "POST", "/QueryVectors", `{` + ix + `,"topK":3,"queryVector":{"float32":[1,2,3,"NaN"]}}`, 400, V},
		{"query zero vector on cosine", "POST", "/QueryVectors", `{` + cos + `,"topK":3,"queryVector":` + vecJSON(0, 0, 0, 0) + `}`, 400, V},
		{"filter on non-filterable key", "POST", "/QueryVectors", query(`,"filter":{"text":"t"}`), 400, V},
		{"filter $and not an array", "POST", "/QueryVectors", query(`,"filter":{"$and":{"genre":"g1"}}`), 400, V},
		{"filter string to $gt", "POST", "/QueryVectors", query(`,"filter":{"year":{"$gt":"2020"}}`), 400, V},
		{"filter unknown operator", "POST", "/QueryVectors", query(`,"filter":{"year":{"$near":1}}`), 400, V},
		{"filter empty $in", "POST", "/QueryVectors", query(`,"filter":{"genre":{"$in":[]}}`), 400, V},
		{"filter not an object", "POST", "/QueryVectors", query(`,"filter":"genre"`), 400, V},
		{"queryMode CLASSIC", "POST", "/QueryVectors", query(`,"queryMode":"CLASSIC"`), 400, V},
		{"query garbage nextToken", "POST", "/QueryVectors", query(`,"nextToken":"garbage"`), 400, V},
		{"GetVectors 101 keys", "POST", "/GetVectors", `{` + ix + `,"keys":[` + keys(101) + `]}`, 400, V},
		{"GetVectors no keys", "POST", "/GetVectors", `{` + ix + `,"keys":[]}`, 400, V},
		{"DeleteVectors 501 keys", "POST", "/DeleteVectors", `{` + ix + `,"keys":[` + keys(501) + `]}`, 400, V},
		{"DeleteVectors missing index", "POST", "/DeleteVectors", `{"vectorBucketName":"tbl","indexName":"nope","keys":["k1"]}`, 404, NF},
		{"ListVectors segmentCount 17", "POST", "/ListVectors", `{` + ix + `,"segmentCount":17}`, 400, V},
		{"ListVectors segmentIndex ≥ count", "POST", "/ListVectors", `{` + ix + `,"segmentCount":2,"segmentIndex":3}`, 400, V},
		{"ListVectors maxResults 1001", "POST", "/ListVectors", `{` + ix + `,"maxResults":1001}`, 400, V},
		{"ListVectors bad nextToken", "POST", "/ListVectors", `{` + ix + `,"nextToken":"zzz"}`, 400, V},
		{"ListVectorBuckets maxResults 0", "POST", "/ListVectorBuckets", `{"maxResults":0}`, 400, V},
		{"bucket name too short", "POST", "/CreateVectorBucket", `{"vectorBucketName":"ab"}`, 400, V},
		{"bucket name uppercase", "POST", "/CreateVectorBucket", `{"vectorBucketName":"Tbl-2"}`, 400, V},
		{"bucket exists", "POST", "/CreateVectorBucket", `{"vectorBucketName":"tbl"}`, 409, C},
		{"bucket with 51 tags", "POST", "/CreateVectorBucket", `{"vectorBucketName":"tagged","tags":{` + strings.Join(manyTags, ",") + `}}`, 400, V},
		{"index dimension 0", "POST", "/CreateIndex", `{"vectorBucketName":"tbl","indexName":"new","dataType":"float32","dimension":0,"distanceMetric":"cosine"}`, 400, V},
		{"index dimension 4097", "POST", "/CreateIndex", `{"vectorBucketName":"tbl","indexName":"new","dataType":"float32","dimension":4097,"distanceMetric":"cosine"}`, 400, V},
		{"index metric dot", "POST", "/CreateIndex", `{"vectorBucketName":"tbl","indexName":"new","dataType":"float32","dimension":4,"distanceMetric":"dot"}`, 400, V},
		{"index dataType float16", "POST", "/CreateIndex", `{"vectorBucketName":"tbl","indexName":"new","dataType":"float16","dimension":4,"distanceMetric":"cosine"}`, 400, V},
		{"index 11 non-filterable keys", "POST", "/CreateIndex", `{"vectorBucketName":"tbl","indexName":"new","dataType":"float32","dimension":4,"distanceMetric":"cosine","metadataConfiguration":{"nonFilterableMetadataKeys":["a","b","c","d","e","f","g","h","i","j","k"]}}`, 400, V},
		{"index name with underscore", "POST", "/CreateIndex", `{"vectorBucketName":"tbl","indexName":"my_index","dataType":"float32","dimension":4,"distanceMetric":"cosine"}`, 400, V},
		{"index exists", "POST", "/CreateIndex", `{"vectorBucketName":"tbl","indexName":"vec","dataType":"float32","dimension":4,"distanceMetric":"cosine"}`, 409, C},
		{"index in missing bucket", "POST", "/CreateIndex", `{"vectorBucketName":"nope","indexName":"new","dataType":"float32","dimension":4,"distanceMetric":"cosine"}`, 404, NF},
		{"delete non-empty bucket", "POST", "/DeleteVectorBucket", `{"vectorBucketName":"tbl"}`, 409, C},
		{"delete missing index", "POST", "/DeleteIndex", `{"vectorBucketName":"tbl","indexName":"nope"}`, 404, NF},
		{"no policy", "POST", "/GetVectorBucketPolicy", `{"vectorBucketName":"tbl"}`, 404, NF},
		{"policy not JSON", "POST", "/PutVectorBucketPolicy", `{"vectorBucketName":"tbl","policy":"allow all"}`, 400, V},
		{"index mode CLASSIC", "POST", "/UpdateIndexMode", `{` + ix + `,"indexMode":"CLASSIC"}`, 400, V},
		{"index mode unknown", "POST", "/UpdateIndexMode", `{` + ix + `,"indexMode":"FAST"}`, 400, V},
		{"tag with no tags", "POST", bucketTags, `{"tags":{}}`, 400, V},
		{"tag 51 tags", "POST", bucketTags, `{"tags":{` + strings.Join(manyTags, ",") + `}}`, 400, V},
		{"tag bad characters", "POST", bucketTags, `{"tags":{"a#b":"c"}}`, 400, V},
		{"untag without tagKeys", "DELETE", bucketTags, ``, 400, V},
		{"tags of a non-ARN", "GET", "/tags/not-an-arn", ``, 400, V},
		{"tags of a missing bucket", "GET", api.TagsPath(api.BucketARN("us-east-1", "123456789012", "nope")), ``, 404, NF},
		{"unknown operation", "POST", "/DropEverything", `{}`, 404, U},
		{"GET of an operation", "GET", "/PutVectors", ``, 404, U},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			st, h, b := call(t, c.method, ts.URL+c.path, body)
			checkError(t, st, h, b, c.status, c.code)
		})
	}
	if after := snapshot(t, ts); after != before {
		t.Fatalf("malformed requests changed the state:\nbefore %s\nafter  %s", before, after)
	}
}

// checkError checks an error response: status, header, envelope.
func checkError(t testing.TB, st int, h http.Header, b []byte, status int, code string) {
	t.Helper()
	var env struct {
		Type      string                `json:"__type"`
		Message   string                `json:"message"`
		FieldList []api.ValidationField `json:"fieldList"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("status %d, body not JSON: %q", st, b)
	}
	if st != status || h.Get(api.HeaderErrorType) != code || env.Type != code || env.Message == "" || h.Get(api.HeaderRequestID) == "" {
		t.Fatalf("got %d %s %s (request id %q), want %d %s", st, h.Get(api.HeaderErrorType), b, h.Get(api.HeaderRequestID), status, code)
	}
	if code == api.CodeValidation && len(env.FieldList) == 0 {
		t.Fatalf("ValidationException without fieldList: %s", b)
	}
}

// TestOversizedBody sends 25 MiB bodies, with and without Content-Length.
func TestOversizedBody(t *testing.T) {
	ts := newTestServer(t, false, nil)
	fixture(t, ts)
	before := snapshot(t, ts)
	big := `{"vectorBucketName":"tbl","indexName":"vec","vectors":[{"key":"x","data":{"float32":[1,2,3,4]},"metadata":{"pad":"` + strings.Repeat("p", 25<<20) + `"}}]}`
	st, h, b := call(t, http.MethodPost, ts.URL+"/PutVectors", strings.NewReader(big))
	checkError(t, st, h, b, 400, api.CodeValidation)
	// Without a length the server stops reading at the limit.
	st, h, b = call(t, http.MethodPost, ts.URL+"/PutVectors", io.MultiReader(strings.NewReader(big)))
	checkError(t, st, h, b, 400, api.CodeValidation)
	if after := snapshot(t, ts); after != before {
		t.Fatal("oversized requests changed the state")
	}
	// Just under the limit is decoded (and refused for its metadata size).
	under := `{"vectorBucketName":"tbl","indexName":"vec","vectors":[{"key":"x","data":{"float32":[1,2,3,4]},"metadata":{"pad":"` + strings.Repeat("p", 19<<20) + `"}}]}`
	st, h, b = call(t, http.MethodPost, ts.URL+"/PutVectors", bytes.NewReader([]byte(under)))
	checkError(t, st, h, b, 400, api.CodeValidation)
	if !strings.Contains(string(b), "metadata") {
		t.Fatalf("19 MiB body refused for the wrong reason: %.300s", b)
	}
}
