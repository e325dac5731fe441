package bench

import (
	"math"
	"runtime"
	"testing"
	"time"
)

func pts(xy ...float64) []Point {
	var ps []Point
	for i := 0; i+1 < len(xy); i += 2 {
		ps = append(ps, Point{Recall: xy[i], QPS: xy[i+1]})
	}
	return ps
}

func TestFrontier(t *testing.T) {
	// (0.80, 500) is beaten by (0.85, 900); (0.95, 100) ties (0.95, 300) on
	// recall and is slower; the negative recall has no ground truth.
	in := pts(0.80, 500, 0.85, 900, 0.95, 100, 0.95, 300, 0.99, 50, 0.70, 2000, -1, 9999, 0.99, 40)
	got := Frontier(in)
	want := pts(0.70, 2000, 0.85, 900, 0.95, 300, 0.99, 50)
	if len(got) != len(want) {
		t.Fatalf("frontier %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Recall != want[i].Recall || got[i].QPS != want[i].QPS {
			t.Fatalf("frontier[%d] = %v, want %v (all %v)", i, got[i], want[i], got)
		}
	}
	if len(Frontier(nil)) != 0 {
		t.Fatal("frontier of nothing is not empty")
	}
}

func TestQPSAt(t *testing.T) {
	ps := pts(0.90, 1000, 1.00, 10, 0.80, 500) // (0.80, 500) is dominated
	cases := []struct {
		r    float64
		want float64
		ok   bool
	}{
		{0.90, 1000, true},
		{0.95, 100, true},  // log-linear: √(1000·10)
		{0.50, 1000, true}, // below the frontier: its lowest-recall point
		{1.00, 10, true},
		{0.975, math.Pow(10, 1.5), true},
	}
	for _, c := range cases {
		got, ok := QPSAt(ps, c.r)
		if ok != c.ok || math.Abs(got-c.want) > 1e-9*c.want {
			t.Errorf("QPSAt(%v) = %v, %v; want %v, %v", c.r, got, ok, c.want, c.ok)
		}
	}
	if _, ok := QPSAt(pts(0.5, 10, 0.7, 5), 0.9); ok {
		t.Error("QPSAt reached a recall above every point")
	}
	if _, ok := QPSAt(nil, 0.5); ok {
		t.Error("QPSAt of no points reached a recall")
	}
}

func TestRatios(t *testing.T) {
	ours := Curve{Engine: "ours", Points: pts(0.90, 2000, 0.99, 200)}
	fast := Curve{Engine: "fast", Points: pts(0.90, 1000, 0.95, 500)}
	got := Ratios(ours, []Curve{fast}, []float64{0.90, 0.95, 0.99, 0.999})
	if len(got) != 4 {
		t.Fatalf("%d ratios, want 4", len(got))
	}
	if got[0].Ratio != 2 || got[0].String() != "2.00×" {
		t.Errorf("ratio at 0.90 = %v (%s), want 2", got[0].Ratio, got[0])
	}
	// ours at 0.95: 2000·(200/2000)^(5/9).
	wantOurs := 2000 * math.Pow(0.1, 5.0/9)
	if math.Abs(got[1].OursQPS-wantOurs) > 1e-6 || math.Abs(got[1].Ratio-wantOurs/500) > 1e-9 {
		t.Errorf("at 0.95: ours %v ratio %v, want %v and %v", got[1].OursQPS, got[1].Ratio, wantOurs, wantOurs/500)
	}
	if got[2].Ratio != 0 || got[2].OursQPS != 200 || got[2].String() != "not reached (fast)" {
		t.Errorf("at 0.99: %+v, want not reached by the peer", got[2])
	}
	if got[3].Ratio != 0 || got[3].String() != "not reached (either)" {
		t.Errorf("at 0.999: %+v, want not reached by either", got[3])
	}
	got = Ratios(fast, []Curve{ours}, []float64{0.99})
	if got[0].String() != "not reached (ours)" {
		t.Errorf("ours not reaching: %s", got[0])
	}
}

func TestSequentialTrips(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name  string
		spans []span
		want  int
	}{
		{"none", nil, 0},
		{"one", []span{{start: 0, end: ms}}, 1},
		// Head, then Get manifest, then centroids, then 3 parallel
		// neighborhood fetches: 4 round trips.
		{"chain with fan-out", []span{
			{start: 0, end: 5 * ms}, {start: 5 * ms, end: 9 * ms}, {start: 10 * ms, end: 15 * ms},
			{start: 15 * ms, end: 30 * ms}, {start: 16 * ms, end: 25 * ms}, {start: 15 * ms, end: 20 * ms}}, 4},
		{"all parallel", []span{{start: 0, end: 10 * ms}, {start: ms, end: 11 * ms}, {start: 2 * ms, end: 9 * ms}}, 1},
		// Recorded out of order (spans are appended as they end).
		{"out of order", []span{{start: 20 * ms, end: 30 * ms}, {start: 0, end: 10 * ms}, {start: 10 * ms, end: 20 * ms}}, 3},
		// A fetch limited to 2 at a time: 4 fetches make 2 trips.
		{"bounded fan-out", []span{{start: 0, end: 10 * ms}, {start: 0, end: 10 * ms}, {start: 10 * ms, end: 20 * ms}, {start: 10 * ms, end: 20 * ms}}, 2},
	}
	for _, c := range cases {
		if got := sequentialTrips(c.spans); got != c.want {
			t.Errorf("%s: %d sequential trips, want %d", c.name, got, c.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	st := "Name:\tvectorbucket\nVmPeak:\t  999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t3\n"
	rss, hwm := parseStatus([]byte(st))
	if rss != 1024*1024 || hwm != 2048*1024 {
		t.Fatalf("rss %d hwm %d, want %d %d", rss, hwm, 1024*1024, 2048*1024)
	}
	if rss, hwm := memory(); runtime.GOOS == "linux" && (rss <= 0 || hwm < rss) {
		t.Fatalf("memory() = %d, %d on Linux", rss, hwm)
	}
}

func TestPercentiles(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, reversed
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	p50, p95, p99, mean := percentiles(lat)
	if p50 != 50 || p95 != 95 || p99 != 99 || mean != 50.5 {
		t.Fatalf("percentiles = %v %v %v %v, want 50 95 99 50.5", p50, p95, p99, mean)
	}
	if lat[0] != 100*time.Millisecond {
		t.Fatal("percentiles sorted its input")
	}
}
