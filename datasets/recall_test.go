package datasets

import (
	"context"
	"testing"
)

func TestRecallDistances(t *testing.T) {
	truth := []float32{1, 2, 3, 3, 4}
	cases := []struct {
		name string
		got  []float64
		k    int
		want float64
	}{
		{"exact", []float64{1, 2, 3}, 3, 1},
		{"any order", []float64{3, 1, 2}, 3, 1},
		{"within epsilon", []float64{1, 2, 3.0009}, 3, 1},
		{"beyond epsilon", []float64{1, 2, 3.0011}, 3, 2.0 / 3},
		{"tie with 4th counts", []float64{1, 3, 3}, 3, 1},
		{"too few results", []float64{1, 2}, 3, 2.0 / 3},
		{"only first k looked at", []float64{1, 9, 2, 3}, 3, 2.0 / 3},
		{"empty", nil, 3, 0},
		{"k=1", []float64{1.0005}, 1, 1},
	}
	for _, c := range cases {
		if got := RecallDistances(truth, c.got, c.k); got != c.want {
			t.Errorf("%s: recall = %v, want %v", c.name, got, c.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("k > len(truth) did not panic")
		}
	}()
	RecallDistances(truth, nil, 6)
}

func TestTruthRecallTies(t *testing.T) {
	// Train points on a line; 2 and 3 are duplicates at distance 2 from the query at 0.
	d := &Dataset{Name: "line", Dim: 2, Metric: Euclidean, NTrain: 6, NTest: 1,
		Train: []float32{0, 0, 1, 0, 2, 0, 2, 0, 3, 0, 9, 9}, Test: []float32{0, 0}}
	tr, err := GroundTruth(context.Background(), d, 3, TruthOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := tr.Neighbors(0); n[0] != 0 || n[1] != 1 || n[2] != 2 {
		t.Fatalf("neighbors = %v, want [0 1 2] (tie broken by smaller id)", n)
	}
	cases := []struct {
		got  []int
		want float64
	}{
		{[]int{0, 1, 2}, 1},
		{[]int{0, 1, 3}, 1}, // the tied duplicate counts
		{[]int{3, 0, 1}, 1},
		{[]int{0, 1, 4}, 2.0 / 3},
		{[]int{0, 1}, 2.0 / 3},
		{[]int{0, 1, 99}, 2.0 / 3}, // unknown id is a miss
		{[]int{0, -1, 1}, 2.0 / 3},
		{[]int{4, 5, 0, 1, 2}, 1.0 / 3},
	}
	for _, c := range cases {
		if got := tr.Recall(d, 0, c.got, 3); got != c.want {
			t.Errorf("recall(%v) = %v, want %v", c.got, got, c.want)
		}
	}
	if got := tr.MeanRecall(d, [][]int{{0, 1, 4}}, 3); got != 2.0/3 {
		t.Errorf("mean recall = %v", got)
	}
	// Cosine: parallel vectors have distance 0 whatever their length.
	c := &Dataset{Name: "dirs", Dim: 2, Metric: Cosine, NTrain: 4, NTest: 1,
		Train: []float32{1, 0, 5, 0, 0, 1, -1, 0}, Test: []float32{2, 0}}
	ct, err := GroundTruth(context.Background(), c, 2, TruthOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := ct.Distances(0); d[0] != 0 || d[1] != 0 {
		t.Fatalf("cosine distances = %v, want [0 0]", d)
	}
	if got := ct.Recall(c, 0, []int{1, 2}, 2); got != 0.5 {
		t.Errorf("cosine recall = %v, want 0.5", got)
	}
}
