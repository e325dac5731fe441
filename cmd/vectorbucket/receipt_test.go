package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
)

// TestCLIQueryReceipt: query --receipt prints the receipt after the table
// and inside the JSON; --exact and --target-recall reach the server;
// targets outside 0.8-1 are usage errors; without --receipt there is none.
func TestCLIQueryReceipt(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 10)
	base := []string{"query", "--bucket", "bkt", "--index", "idx", "--vector", "4,1,0", "--top-k", "3"}
	args := func(extra ...string) []string { return append(append([]string{}, base...), extra...) }

	var q struct {
		Vectors []api.QueryOutputVector
		Receipt *api.QueryReceipt
	}
	checkJSON(t, "query --receipt -o json", cs.must(t, args("--receipt", "--exact", "-o", "json")...), &q)
	if len(q.Vectors) != 3 || q.Receipt == nil {
		t.Fatalf("query --receipt: %+v", q)
	}
	if r := q.Receipt; !r.Exact || r.EstimatedRecall != 1 || r.WALVectors != 10 || r.VectorsScored < 10 || r.StoreRoundTrips < 1 {
		t.Errorf("receipt %+v", *r)
	}
	q.Receipt = nil
	checkJSON(t, "query --target-recall 0.9 -o json", cs.must(t, args("--target-recall", "0.9", "-o", "json")...), &q)
	if q.Receipt != nil || len(q.Vectors) != 3 {
		t.Errorf("query without --receipt: %+v", q)
	}

	out := cs.must(t, args("--receipt", "--target-recall", "0.95")...)
	for _, want := range []string{"RANK", "receipt:", "neighborhoods probed", "estimated recall      1.0000", "exact                 true"} {
		if !strings.Contains(out, want) {
			t.Errorf("query --receipt table lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"0.5", "1.2"} {
		if _, _, err := cs.run(args("--target-recall", bad)...); !errors.Is(err, errUsage) {
			t.Errorf("--target-recall %s: %v, want a usage error", bad, err)
		}
	}
}
