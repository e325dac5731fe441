package bench

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Plot draws the recall/QPS curves (QPS on a log scale, one line per
// engine through its Pareto frontier, every sweep point marked) and saves
// them to each path; the extension (.png, .svg, .pdf) picks the format.
// Curves with a single point (cold runs) are drawn as a marker.
func (r *Report) Plot(paths ...string) error {
	p := plot.New()
	syn := ""
	if r.Synthetic {
		syn = " (synthetic)"
	}
	p.Title.Text = fmt.Sprintf("%s%s: %d queries, k=%d, one thread", r.Dataset, syn, r.NQueries, r.K)
	p.X.Label.Text = fmt.Sprintf("recall@%d", r.K)
	p.Y.Label.Text = "queries per second (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = true
	drawn := 0
	for i, c := range r.Curves {
		var all plotter.XYs
		for _, pt := range c.Points {
			if pt.Recall >= 0 && pt.QPS > 0 {
				all = append(all, plotter.XY{X: pt.Recall, Y: pt.QPS})
			}
		}
		if len(all) == 0 {
			continue
		}
		slices.SortFunc(all, func(a, b plotter.XY) int {
			switch {
			case a.X < b.X:
				return -1
			case a.X > b.X:
				return 1
			}
			return 0
		})
		sc, err := plotter.NewScatter(all)
		if err != nil {
			return fmt.Errorf("plot %s: %w", c.Engine, err)
		}
		sc.GlyphStyle.Color = plotutil.Color(i)
		sc.GlyphStyle.Shape = plotutil.Shape(i)
		sc.GlyphStyle.Radius = vg.Points(2.5)
		p.Add(sc)
		var front plotter.XYs
		for _, pt := range Frontier(c.Points) {
			front = append(front, plotter.XY{X: pt.Recall, Y: pt.QPS})
		}
		if len(front) > 1 {
			l, err := plotter.NewLine(front)
			if err != nil {
				return fmt.Errorf("plot %s: %w", c.Engine, err)
			}
			l.LineStyle.Color = plotutil.Color(i)
			l.LineStyle.Dashes = plotutil.Dashes(i % 3)
			l.LineStyle.Width = vg.Points(1.2)
			p.Add(l)
			p.Legend.Add(c.Engine, l, sc)
		} else {
			p.Legend.Add(c.Engine, sc)
		}
		drawn++
	}
	if drawn == 0 {
		return fmt.Errorf("plot: no points with recall and QPS")
	}
	for _, path := range paths {
		if err := p.Save(9*vg.Inch, 6*vg.Inch, path); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	return nil
}
