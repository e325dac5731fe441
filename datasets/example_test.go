package datasets_test

import (
	"context"
	"fmt"

	"github.com/vectorbucket/vectorbucket/datasets"
)

func Example() {
	ctx := context.Background()
	d, err := datasets.Load(ctx, "synthetic-2000-16-euclidean", datasets.LoadOptions{MaxTest: 10})
	if err != nil {
		panic(err)
	}
	truth, err := datasets.GroundTruth(ctx, d, 10, datasets.TruthOptions{NoCache: true})
	if err != nil {
		panic(err)
	}
	// An engine's answer for query 0: here the true neighbours with the 10th replaced.
	got := make([]int, 10)
	for i, id := range truth.Neighbors(0) {
		got[i] = int(id)
	}
	got[9] = int(truth.Neighbors(1)[0])
	fmt.Println(d.Synthetic, d.NTrain, d.NTest, d.Dim, d.Metric)
	fmt.Printf("recall@10 = %.1f\n", truth.Recall(d, 0, got, 10))
	// Output:
	// true 2000 10 16 euclidean
	// recall@10 = 0.9
}
