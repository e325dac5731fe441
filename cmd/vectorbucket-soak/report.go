package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// sample is one reporting period of the mixed phase.
type sample struct {
	At         float64        `json:"at_s"` // seconds since the workload began
	Puts       int            `json:"puts"`
	Deletes    int            `json:"deletes"`
	Queries    int            `json:"queries"`
	PutQPS     float64        `json:"put_requests_per_s"`
	QueryQPS   float64        `json:"queries_per_s"`
	PutP50     float64        `json:"put_p50_ms"`
	PutP99     float64        `json:"put_p99_ms"`
	QueryP50   float64        `json:"query_p50_ms"`
	QueryP99   float64        `json:"query_p99_ms"`
	QueryMax   float64        `json:"query_max_ms"`
	Errors     map[string]int `json:"errors,omitempty"`
	RSS        int64          `json:"rss_bytes"`
	StoreBytes int64          `json:"volume_bytes"`
}

func takeSample(r *recorder, srv *server, vols []string, at, period time.Duration) sample {
	puts, queries, deletes, errs := r.period()
	s := sample{At: at.Seconds(), Puts: len(puts), Deletes: deletes, Queries: len(queries), Errors: errs,
		PutP50: ms(quantile(puts, 0.5)), PutP99: ms(quantile(puts, 0.99)),
		QueryP50: ms(quantile(queries, 0.5)), QueryP99: ms(quantile(queries, 0.99)), QueryMax: ms(quantile(queries, 1))}
	if sec := period.Seconds(); sec > 0 {
		s.PutQPS, s.QueryQPS = float64(len(puts))/sec, float64(len(queries))/sec
	}
	s.RSS, _ = srv.RSS()
	s.StoreBytes = dirBytes(vols)
	return s
}

func ms(sec float64) float64 { return sec * 1000 }

func printSampleHeader(w io.Writer) {
	fmt.Fprintf(w, "%9s %8s %8s %8s %8s %8s %9s %9s %8s %9s %10s  %s\n",
		"time", "puts/s", "deletes", "p50 ms", "p99 ms", "q/s", "q p50 ms", "q p99 ms", "q max", "RSS MiB", "store MiB", "errors")
}

func (s sample) print(w io.Writer) {
	errs := "-"
	if len(s.Errors) > 0 {
		var parts []string
		for k, n := range s.Errors {
			parts = append(parts, fmt.Sprintf("%s×%d", k, n))
		}
		slices.Sort(parts)
		errs = strings.Join(parts, " ")
	}
	fmt.Fprintf(w, "%8.0fs %8.1f %8d %8.1f %8.1f %8.1f %9.2f %9.2f %8.1f %9.1f %10.1f  %s\n",
		s.At, s.PutQPS, s.Deletes, s.PutP50, s.PutP99, s.QueryQPS, s.QueryP50, s.QueryP99, s.QueryMax,
		float64(s.RSS)/(1<<20), float64(s.StoreBytes)/(1<<20), errs)
}

// event marks a fault in the timeline.
type event struct {
	At   float64 `json:"at_s"`
	What string  `json:"what"`
}

// publicConfig is the part of the configuration the summary records.
type publicConfig struct {
	Duration string `json:"duration"`
	Writers  int    `json:"writers"`
	Queriers int    `json:"queriers"`
	Keys     int    `json:"keys"`
	Dim      int    `json:"dimension"`
	Batch    int    `json:"batch"`
	Seed     uint64 `json:"seed"`
	Server   string `json:"server_args"`
}

func (c config) public() publicConfig {
	return publicConfig{Duration: c.duration.String(), Writers: c.writers, Queriers: c.queriers, Keys: c.keys, Dim: c.dim, Batch: c.batch, Seed: c.seed,
		Server: strings.Join(serverArgs("ADDR", []string{"VOL0", "VOL1", "VOL2"}, c.memoryBudget()), " ")}
}

// summary is the outcome of a soak, written to summary.json.
type summary struct {
	Config       publicConfig `json:"config"`
	Started      time.Time    `json:"started"`
	Finished     time.Time    `json:"finished"`
	Ops          int          `json:"operations"`
	Errors       int          `json:"errors"`
	FirstErrors  []string     `json:"first_errors,omitempty"`
	Uncertain    int          `json:"uncertain_keys"`
	RecallBefore float64      `json:"recall_before"`
	RecallAfter  float64      `json:"recall_after"`
	RSSPeak      int64        `json:"rss_peak_bytes"`
	// MemoryBudget is the server's --memory-budget in bytes.
	MemoryBudget int64         `json:"memory_budget_bytes"`
	Audit        auditResult   `json:"audit"`
	AuditRestart auditResult   `json:"audit_after_restart"`
	Scrub        []scrubReport `json:"offline_scrubs"`
	Events       []event       `json:"events"`
	Samples      []sample      `json:"samples"`
	Failures     []string      `json:"failures"`
}

// fail records a problem; the first 100 are kept.
func (s *summary) fail(format string, args ...any) {
	if len(s.Failures) < 100 {
		s.Failures = append(s.Failures, fmt.Sprintf(format, args...))
	}
}

// line is the one-line verdict.
func (s *summary) line() string {
	var qp99, worst float64
	var qs []float64
	for _, x := range s.Samples {
		if !math.IsNaN(x.QueryP99) {
			qs = append(qs, x.QueryP99)
			worst = max(worst, x.QueryP99)
		}
	}
	qp99 = quantile(qs, 0.5)
	out := fmt.Sprintf("%d operations, %d errors; %s; recall %.4f → %.4f; query p99 median %.1f ms, worst period %.1f ms; peak RSS %.0f MiB",
		s.Ops, s.Errors, s.AuditRestart, s.RecallBefore, s.RecallAfter, qp99, worst, float64(s.RSSPeak)/(1<<20))
	if s.MemoryBudget > 0 {
		out += fmt.Sprintf(" = %.2f× the %.0f MiB memory budget", float64(s.RSSPeak)/float64(s.MemoryBudget), float64(s.MemoryBudget)/(1<<20))
	}
	return out
}

// write saves summary.json, soak.csv and the two plots into dir.
func (s *summary) write(dir string) error {
	b, err := json.MarshalIndent(jsonSafe(s), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "soak.csv"))
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write([]string{"at_s", "puts", "deletes", "queries", "put_p50_ms", "put_p99_ms", "query_p50_ms", "query_p99_ms", "query_max_ms", "errors", "rss_bytes", "volume_bytes"})
	for _, x := range s.Samples {
		nerr := 0
		for _, n := range x.Errors {
			nerr += n
		}
		_ = cw.Write([]string{fmtF(x.At), strconv.Itoa(x.Puts), strconv.Itoa(x.Deletes), strconv.Itoa(x.Queries), fmtF(x.PutP50), fmtF(x.PutP99),
			fmtF(x.QueryP50), fmtF(x.QueryP99), fmtF(x.QueryMax), strconv.Itoa(nerr), strconv.FormatInt(x.RSS, 10), strconv.FormatInt(x.StoreBytes, 10)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if len(s.Samples) < 2 {
		return nil
	}
	if err := s.plot(filepath.Join(dir, "soak-latency.svg"), "latency per period (ms, log)", true, map[string]func(sample) float64{
		"query p50": func(x sample) float64 { return x.QueryP50 }, "query p99": func(x sample) float64 { return x.QueryP99 },
		"put p50": func(x sample) float64 { return x.PutP50 }, "put p99": func(x sample) float64 { return x.PutP99 },
	}); err != nil {
		return err
	}
	return s.plot(filepath.Join(dir, "soak-rss.svg"), "MiB", false, map[string]func(sample) float64{
		"server RSS":       func(x sample) float64 { return float64(x.RSS) / (1 << 20) },
		"bytes on volumes": func(x sample) float64 { return float64(x.StoreBytes) / (1 << 20) },
	})
}

func fmtF(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 3, 64)
}

// plot draws one line per series over the soak's time, with the fault
// events marked in the title.
func (s *summary) plot(path, ylabel string, logY bool, series map[string]func(sample) float64) error {
	p := plot.New()
	var ev []string
	for _, e := range s.Events {
		ev = append(ev, fmt.Sprintf("%s at %.0fs", e.What, e.At))
	}
	p.Title.Text = fmt.Sprintf("soak: %d writers, %d queriers, %d keys; %s", s.Config.Writers, s.Config.Queriers, s.Config.Keys, strings.Join(ev, ", "))
	p.X.Label.Text = "seconds into the workload"
	p.Y.Label.Text = ylabel
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	names := make([]string, 0, len(series))
	for name := range series {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		var xys plotter.XYs
		for _, x := range s.Samples {
			if y := series[name](x); !math.IsNaN(y) && (!logY || y > 0) {
				xys = append(xys, plotter.XY{X: x.At, Y: y})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i)
		p.Add(l)
		p.Legend.Add(name, l)
	}
	p.Legend.Top = true
	return p.Save(10*vg.Inch, 5*vg.Inch, path)
}

// jsonSafe returns s with NaN floats (no data in a period) made
// JSON-encodable, as zero.
func jsonSafe(s *summary) *summary {
	c := *s
	c.Samples = slices.Clone(s.Samples)
	fix := func(x *float64) {
		if math.IsNaN(*x) {
			*x = 0
		}
	}
	for i := range c.Samples {
		x := &c.Samples[i]
		for _, f := range []*float64{&x.PutP50, &x.PutP99, &x.QueryP50, &x.QueryP99, &x.QueryMax} {
			fix(f)
		}
	}
	fix(&c.RecallBefore)
	fix(&c.RecallAfter)
	return &c
}
