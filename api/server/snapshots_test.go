package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
)

// TestSnapshotsHTTP drives the snapshot operations and time-travel reads
// over HTTP with raw JSON bodies, as any client would send them.
func TestSnapshotsHTTP(t *testing.T) {
	ts := newTestServer(t, false, nil)
	fixture(t, ts) // tbl/vec: k0…k9 at (i,1,2,3)
	const ref = `"vectorBucketName":"tbl","indexName":"vec"`
	post := func(op, body string) (int, http.Header, []byte) {
		t.Helper()
		return call(t, http.MethodPost, ts.URL+"/"+op, strings.NewReader(body))
	}

	before := time.Now().Add(-time.Second)
	var created api.CreateSnapshotResponse
	if err := json.Unmarshal(mustPost(t, ts, "CreateSnapshot", `{`+ref+`,"snapshotName":"s1"}`), &created); err != nil {
		t.Fatal(err)
	}
	sn := created.Snapshot
	if sn.Name != "s1" || sn.VectorCount != 10 || sn.Generation == 0 ||
		float64(sn.CreatedAt) < float64(before.Unix()) || float64(sn.CreatedAt) > float64(time.Now().Unix()+1) {
		t.Fatalf("CreateSnapshot = %+v", sn)
	}
	st, h, b := post("CreateSnapshot", `{`+ref+`,"snapshotName":"s1"}`)
	checkError(t, st, h, b, 409, api.CodeConflict)
	st, h, b = post("CreateSnapshot", `{`+ref+`,"snapshotName":"Bad Name"}`)
	checkError(t, st, h, b, 400, api.CodeValidation)
	st, h, b = post("CreateSnapshot", `{`+ref+`}`)
	checkError(t, st, h, b, 400, api.CodeValidation)
	st, h, b = post("CreateSnapshot", `{"vectorBucketName":"tbl","indexName":"nope","snapshotName":"s1"}`)
	checkError(t, st, h, b, 404, api.CodeNotFound)
	st, h, b = post("CreateSnapshot", `{`+ref+`,"snapshotName":"s2","extra":1}`)
	checkError(t, st, h, b, 400, api.CodeValidation)

	// The live index moves on: k0 overwritten, k1 deleted, k10 added.
	mustPost(t, ts, "PutVectors", `{`+ref+`,"vectors":[{"key":"k0","data":`+vecJSON(100, 100, 100, 100)+`},{"key":"k10","data":`+vecJSON(50, 50, 50, 50)+`}]}`)
	mustPost(t, ts, "DeleteVectors", `{`+ref+`,"keys":["k1"]}`)
	// Writes never take a snapshot.
	st, h, b = post("PutVectors", `{`+ref+`,"vectors":[{"key":"k0","data":`+vecJSON(1, 1, 1, 1)+`}],"vectorbucket":{"snapshot":"s1"}}`)
	checkError(t, st, h, b, 400, api.CodeValidation)
	st, h, b = post("DeleteVectors", `{`+ref+`,"keys":["k2"],"vectorbucket":{"snapshot":"s1"}}`)
	checkError(t, st, h, b, 400, api.CodeValidation)

	get := func(ext string) map[string][]float32 {
		t.Helper()
		var out api.GetVectorsResponse
		if err := json.Unmarshal(mustPost(t, ts, "GetVectors", `{`+ref+`,"keys":["k0","k1","k10"],"returnData":true`+ext+`}`), &out); err != nil {
			t.Fatal(err)
		}
		m := map[string][]float32{}
		for _, v := range out.Vectors {
			m[v.Key] = v.Data.Float32
		}
		return m
	}
	list := func(ext string) []string {
		t.Helper()
		var keys []string
		tok := ""
		for {
			body := `{` + ref + `,"maxResults":4` + ext
			if tok != "" {
				body += `,"nextToken":"` + tok + `"`
			}
			var out api.ListVectorsResponse
			if err := json.Unmarshal(mustPost(t, ts, "ListVectors", body+`}`), &out); err != nil {
				t.Fatal(err)
			}
			for _, v := range out.Vectors {
				keys = append(keys, v.Key)
			}
			if tok = out.NextToken; tok == "" {
				return keys
			}
		}
	}
	query := func(ext string, topK int) []string {
		t.Helper()
		var out api.QueryVectorsResponse
		body := fmt.Sprintf(`{%s,"topK":%d,"queryVector":%s%s}`, ref, topK, vecJSON(60, 60, 60, 60), ext)
		if err := json.Unmarshal(mustPost(t, ts, "QueryVectors", body), &out); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, v := range out.Vectors {
			keys = append(keys, v.Key)
		}
		return keys
	}
	const atS1 = `,"vectorbucket":{"snapshot":"s1"}`
	checkOld := func(what string, ext string) {
		t.Helper()
		g := get(ext)
		if _, ok := g["k10"]; ok || len(g) != 2 || g["k0"][0] != 0 || g["k1"] == nil {
			t.Errorf("%s: GetVectors = %v, want k0 at (0,1,2,3) and k1", what, g)
		}
		want := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
		if got := list(ext); !slices.Equal(got, want) {
			t.Errorf("%s: ListVectors = %v, want %v", what, got, want)
		}
		if got := query(ext, 2); !slices.Equal(got, []string{"k9", "k8"}) {
			t.Errorf("%s: QueryVectors = %v, want [k9 k8]", what, got)
		}
	}
	checkOld("as of s1", atS1)
	if g := get(""); len(g) != 2 || g["k0"][0] != 100 || g["k10"] == nil {
		t.Errorf("live GetVectors = %v, want new k0 and k10", g)
	}
	if got := query("", 2); !slices.Equal(got, []string{"k10", "k0"}) {
		t.Errorf("live QueryVectors = %v, want [k10 k0]", got)
	}
	// A paged query (topK above the page size) as of the snapshot.
	if got := query(atS1, 150); len(got) != 10 || got[0] != "k9" {
		t.Errorf("paged QueryVectors as of s1 = %v", got)
	}
	for _, op := range []string{"GetVectors", "ListVectors"} {
		body := `{` + ref + `,"keys":["k0"],"vectorbucket":{"snapshot":"nope"}}`
		if op == "ListVectors" {
			body = `{` + ref + `,"vectorbucket":{"snapshot":"nope"}}`
		}
		st, h, b = post(op, body)
		checkError(t, st, h, b, 404, api.CodeNotFound)
	}
	st, h, b = post("QueryVectors", `{`+ref+`,"topK":1,"queryVector":`+vecJSON(1, 1, 1, 1)+`,"vectorbucket":{"snapshot":"nope"}}`)
	checkError(t, st, h, b, 404, api.CodeNotFound)
	st, h, b = post("GetVectors", `{`+ref+`,"keys":["k0"],"vectorbucket":{"snapshot":"a/b"}}`)
	checkError(t, st, h, b, 400, api.CodeValidation)

	// ListSnapshots pages, by name and by ARN.
	mustPost(t, ts, "CreateSnapshot", `{`+ref+`,"snapshotName":"s2"}`)
	arn := api.IndexARN(servertest.Region, servertest.Account, "tbl", "vec")
	var names []string
	tok := ""
	for pages := 0; ; pages++ {
		body := `{"indexArn":"` + arn + `","maxResults":1`
		if tok != "" {
			body += `,"nextToken":"` + tok + `"`
		}
		var out api.ListSnapshotsResponse
		if err := json.Unmarshal(mustPost(t, ts, "ListSnapshots", body+`}`), &out); err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Snapshots {
			names = append(names, s.Name)
			if s.Name == "s2" && s.VectorCount != 10 {
				t.Errorf("s2 has %d vectors, want 10", s.VectorCount)
			}
		}
		if tok = out.NextToken; tok == "" || pages > 3 {
			break
		}
	}
	if !slices.Equal(names, []string{"s1", "s2"}) {
		t.Errorf("ListSnapshots = %v, want [s1 s2]", names)
	}
	st, h, b = post("ListSnapshots", `{`+ref+`,"maxResults":0}`)
	checkError(t, st, h, b, 400, api.CodeValidation)

	// Restore s1: the live index answers as s1 did; a new write lands on top.
	var restored api.RestoreSnapshotResponse
	if err := json.Unmarshal(mustPost(t, ts, "RestoreSnapshot", `{`+ref+`,"snapshotName":"s1"}`), &restored); err != nil {
		t.Fatal(err)
	}
	if restored.Generation <= sn.Generation {
		t.Errorf("restore committed generation %d, not after the snapshot's %d", restored.Generation, sn.Generation)
	}
	checkOld("after restore", "")
	mustPost(t, ts, "PutVectors", `{`+ref+`,"vectors":[{"key":"k11","data":`+vecJSON(60, 60, 60, 60)+`}]}`)
	if got := query("", 1); !slices.Equal(got, []string{"k11"}) {
		t.Errorf("write after restore: QueryVectors = %v, want [k11]", got)
	}
	st, h, b = post("RestoreSnapshot", `{`+ref+`,"snapshotName":"nope"}`)
	checkError(t, st, h, b, 404, api.CodeNotFound)

	// Delete: gone for reads and for a second delete.
	mustPost(t, ts, "DeleteSnapshot", `{`+ref+`,"snapshotName":"s1"}`)
	st, h, b = post("DeleteSnapshot", `{`+ref+`,"snapshotName":"s1"}`)
	checkError(t, st, h, b, 404, api.CodeNotFound)
	st, h, b = post("GetVectors", `{`+ref+`,"keys":["k0"]`+atS1+`}`)
	checkError(t, st, h, b, 404, api.CodeNotFound)
}
