package datasets

import (
	"context"
	"strings"
	"testing"
)

func TestParseSyntheticName(t *testing.T) {
	cases := []struct {
		name   string
		n, dim int
		metric string
		ok     bool
	}{
		{"synthetic-1000000-128-euclidean", 1000000, 128, Euclidean, true},
		{"synthetic-5000-96-cosine", 5000, 96, Cosine, true},
		{"synthetic-5000-96-angular", 5000, 96, Cosine, true},
		{"synthetic-0-96-cosine", 0, 0, "", false},
		{"synthetic-10-0-cosine", 0, 0, "", false},
		{"synthetic-10-8-manhattan", 0, 0, "", false},
		{"synthetic-10-8", 0, 0, "", false},
		{"synthetic-x-8-euclidean", 0, 0, "", false},
		{"glove-100-angular", 0, 0, "", false},
	}
	for _, c := range cases {
		n, dim, m, ok := ParseSyntheticName(c.name)
		if n != c.n || dim != c.dim || m != c.metric || ok != c.ok {
			t.Errorf("%s: got %d %d %q %v", c.name, n, dim, m, ok)
		}
	}
}

func TestSyntheticLoad(t *testing.T) {
	ctx := context.Background()
	d, err := Load(ctx, "synthetic-20000-16-euclidean")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Synthetic || !strings.Contains(d.Description, "SYNTHETIC") || d.Name != "synthetic-20000-16-euclidean" {
		t.Fatalf("not labelled synthetic: %+v", d.Description)
	}
	if d.NTrain != 20000 || d.NTest != 200 || d.Dim != 16 || d.Validate() != nil {
		t.Fatalf("shape %d/%d/%d", d.NTrain, d.NTest, d.Dim)
	}
	again, _ := Load(ctx, "synthetic-20000-16-euclidean")
	sub, _ := Load(ctx, "synthetic-20000-16-euclidean", LoadOptions{MaxTrain: 5000, MaxTest: 7})
	if sub.NTrain != 5000 || sub.NTest != 7 {
		t.Fatalf("subset %d/%d", sub.NTrain, sub.NTest)
	}
	for i := range d.Train {
		if again.Train[i] != d.Train[i] {
			t.Fatalf("not deterministic at %d", i)
		}
		if i < len(sub.Train) && sub.Train[i] != d.Train[i] {
			t.Fatalf("subset is not a prefix at %d", i)
		}
	}
	for i := range sub.Test {
		if sub.Test[i] != d.Test[i] {
			t.Fatalf("test subset is not a prefix at %d", i)
		}
	}
	// Clustered: a query's nearest neighbour is much closer than a typical train vector.
	tr, err := GroundTruth(ctx, d, 1, TruthOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	var nn, far float64
	for q := range d.NTest {
		nn += float64(tr.Distances(q)[0])
		far += Distance(d.Metric, d.TestVec(q), d.TrainVec((q*7919)%d.NTrain))
	}
	if nn > 0.5*far {
		t.Errorf("mean nearest distance %.3f vs mean random distance %.3f: not clustered", nn/200, far/200)
	}
	c, err := Load(ctx, "synthetic-1000-8-angular")
	if err != nil || c.Metric != Cosine || c.NTest != 100 {
		t.Fatalf("cosine synthetic: %v %+v", err, c)
	}
}

func TestList(t *testing.T) {
	want := map[string]bool{"fashion-mnist-784-euclidean": true, "glove-100-angular": true, "synthetic-N-DIM-METRIC": true}
	for _, e := range List() {
		if e.Description == "" || e.Install == "" {
			t.Errorf("%s: empty description or install", e.Name)
		}
		delete(want, e.Name)
	}
	if len(want) != 0 {
		t.Errorf("missing from List: %v", want)
	}
	if e, err := Lookup("synthetic-100-4-cosine"); err != nil || !e.Synthetic || e.Dim != 4 {
		t.Errorf("lookup synthetic: %+v %v", e, err)
	}
	if _, err := Lookup("sift-128-euclidean"); err == nil {
		t.Error("unknown name found")
	}
}
