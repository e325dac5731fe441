package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
)

func TestCLIDeleteFilter(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 300)
	ix := []string{"--bucket", "bkt", "--index", "idx"}
	with := func(cmd string, a ...string) []string { return append(append([]string{cmd}, ix...), a...) }
	out := cs.must(t, with("delete", "--filter", `{"n":{"$lt":100}}`)...)
	if d := tableColumn(out, "DELETED"); !slices.Equal(d, []string{"100"}) {
		t.Errorf("delete --filter: %q", out)
	}
	var res struct {
		Deleted  int
		NotFound []string
	}
	checkJSON(t, "delete --filter again", cs.must(t, with("delete", "--filter", `{"n":{"$lt":100}}`, "-o", "json")...), &res)
	if res.Deleted != 0 {
		t.Errorf("second delete --filter deleted %d", res.Deleted)
	}
	var left []api.ListOutputVector
	checkJSON(t, "list", cs.must(t, with("list", "-o", "json")...), &left)
	if len(left) != 200 {
		t.Errorf("%d vectors left, want 200", len(left))
	}
	for _, v := range left {
		if strings.HasPrefix(v.Key, "k") && len(v.Key) <= 3 {
			t.Errorf("%s (n < 100) survived", v.Key)
		}
	}
	if n := cs.sizes("DeleteVectors"); len(n) != 2 {
		t.Errorf("%d DeleteVectors requests, want one per delete --filter", len(n))
	}
	before := len(cs.sizes("DeleteVectors"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{with("delete", "--filter", `{"n":1}`, "k1"), "only one of them"},
		{with("delete", "--filter", `{"n":1}`, "--all"), "only one of them"},
		{with("delete", "--filter", `{`), "--filter is not valid JSON"},
	} {
		_, errOut, err := cs.run(c.args...)
		if !errors.Is(err, errUsage) || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: %v %q, want usage error %q", c.args, err, errOut, c.want)
		}
	}
	if after := len(cs.sizes("DeleteVectors")); after != before {
		t.Errorf("usage errors sent %d requests", after-before)
	}
	// The server refuses a non-filterable key.
	if _, _, err := cs.run(with("delete", "--filter", `{"title":"T1"}`)...); err == nil || !strings.Contains(err.Error(), "non-filterable") {
		t.Errorf("delete --filter on a non-filterable key: %v", err)
	}
}

func TestCLIListFilter(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 50)
	out := cs.must(t, "list", "--bucket", "bkt", "--index", "idx", "--filter", `{"n":{"$in":[3,7,40]}}`, "-o", "jsonl")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"k3"`) || !strings.Contains(lines[2], `"k7"`) {
		t.Errorf("list --filter: %q", out)
	}
	if _, errOut, err := cs.run("list", "--bucket", "bkt", "--index", "idx", "--filter", "{"); !errors.Is(err, errUsage) || !strings.Contains(errOut, "not valid JSON") {
		t.Errorf("list --filter {: %v %q", err, errOut)
	}
}

func TestCLIIndexesCreateExtensions(t *testing.T) {
	cs := newCLIServer(t)
	cs.must(t, "buckets", "create", "bkt")
	cs.must(t, "indexes", "create", "--bucket", "bkt", "--dimension", "2", "--metric", "dotproduct", "--max-filterable-bytes", "8192", "dot")
	out := cs.must(t, "indexes", "get", "--bucket", "bkt", "dot")
	if !strings.Contains(out, "dotproduct") {
		t.Errorf("indexes get: %q", out)
	}
	_, errOut, err := cs.run("indexes", "create", "--bucket", "bkt", "--dimension", "2", "--max-filterable-bytes", "100", "small")
	if !errors.Is(err, errUsage) || !strings.Contains(errOut, "--max-filterable-bytes 100 is out of range") {
		t.Errorf("--max-filterable-bytes 100: %v %q", err, errOut)
	}
}
