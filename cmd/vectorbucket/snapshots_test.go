package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
)

// TestCLISnapshots: snapshots create|list|restore|delete and --snapshot on
// get, list and query, against an in-process server.
func TestCLISnapshots(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 5) // k0…k4 = [i,1,0]
	ix := []string{"--bucket", "bkt", "--index", "idx"}
	// with puts the index flags after the command words of args.
	with := func(args ...string) []string {
		n := 1
		if args[0] == "snapshots" {
			n = 2
		}
		return append(append(args[:n:n], ix...), args[n:]...)
	}
	out := cs.must(t, with("snapshots", "create", "v1")...)
	checkTable(t, "snapshots create", out, "NAME", "CREATED", "GENERATION", "VECTORS")
	if got := tableColumn(out, "VECTORS"); !slices.Equal(got, []string{"5"}) {
		t.Errorf("snapshots create: VECTORS %v, want [5]\n%s", got, out)
	}
	if _, _, err := cs.run(with("snapshots", "create", "v1")...); err == nil || !strings.Contains(err.Error(), "ConflictException") {
		t.Errorf("duplicate snapshots create: %v, want a ConflictException", err)
	}
	if _, _, err := cs.run(with("snapshots", "create", "Bad/Name")...); !errors.Is(err, errUsage) {
		t.Errorf("snapshots create with a bad name: %v, want a usage error", err)
	}
	if _, _, err := cs.run("snapshots", "create", "v2"); !errors.Is(err, errUsage) {
		t.Errorf("snapshots create without --bucket/--index: %v, want a usage error", err)
	}

	// The live index moves on.
	cs.must(t, "delete", "--bucket", "bkt", "--index", "idx", "k0", "k1")
	cs.must(t, "put", "--bucket", "bkt", "--index", "idx", "--key", "new", "--vector", "9,9,9")

	var listed []api.ListOutputVector
	checkJSON(t, "list --snapshot", cs.must(t, with("list", "--snapshot", "v1", "-o", "json")...), &listed)
	if len(listed) != 5 || listed[0].Key != "k0" {
		t.Errorf("list --snapshot v1: %+v, want k0…k4", listed)
	}
	checkJSON(t, "list", cs.must(t, with("list", "-o", "json")...), &listed)
	if len(listed) != 4 {
		t.Errorf("live list: %d vectors, want 4", len(listed))
	}
	var got []api.GetOutputVector
	checkJSON(t, "get --snapshot", cs.must(t, with("get", "--snapshot", "v1", "-o", "json", "k0", "new")...), &got)
	if len(got) != 1 || got[0].Key != "k0" {
		t.Errorf("get --snapshot v1 k0 new: %+v, want only k0", got)
	}
	var q struct{ Vectors []api.QueryOutputVector }
	checkJSON(t, "query --snapshot", cs.must(t, with("query", "--snapshot", "v1", "--key", "k0", "--top-k", "1", "-o", "json")...), &q)
	if len(q.Vectors) != 1 || q.Vectors[0].Key != "k0" {
		t.Errorf("query --snapshot v1 --key k0: %+v, want k0", q.Vectors)
	}
	if _, _, err := cs.run(with("get", "--snapshot", "nope", "k0")...); err == nil || !strings.Contains(err.Error(), "NotFoundException") {
		t.Errorf("get --snapshot nope: %v, want a NotFoundException", err)
	}

	out = cs.must(t, with("snapshots", "list")...)
	if names := tableColumn(out, "NAME"); !slices.Equal(names, []string{"v1"}) {
		t.Errorf("snapshots list: %v, want [v1]\n%s", names, out)
	}
	var restored struct {
		Snapshot   string `json:"snapshot"`
		Generation uint64 `json:"generation"`
	}
	checkJSON(t, "snapshots restore", cs.must(t, with("snapshots", "restore", "-o", "json", "v1")...), &restored)
	if restored.Snapshot != "v1" || restored.Generation == 0 {
		t.Errorf("snapshots restore: %+v", restored)
	}
	checkJSON(t, "list after restore", cs.must(t, with("list", "-o", "json")...), &listed)
	if len(listed) != 5 || listed[0].Key != "k0" {
		t.Errorf("list after restore: %+v, want k0…k4", listed)
	}
	if out := cs.must(t, with("snapshots", "delete", "v1")...); !strings.Contains(out, "deleted snapshot v1") {
		t.Errorf("snapshots delete: %q", out)
	}
	_, errOut, err := cs.run(with("snapshots", "list")...)
	if err != nil || !strings.Contains(errOut, "no snapshots") {
		t.Errorf("snapshots list after delete: %v, %q", err, errOut)
	}
}
