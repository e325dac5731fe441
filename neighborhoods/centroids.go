package neighborhoods

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Centroids is a decoded centroid table: one row per neighborhood, with the neighborhood's id
// (as the index names it) and its centroid. Like Segment it is a read-only view over the bytes.
type Centroids struct {
	version FormatVersion
	dim     int
	metric  Metric
	n       int
	idOff   []int32
	idData  []byte
	vecs    []float32
	cal     *Calibration
}

// Calibration returns the recall curve recorded by EncodeCentroidsCalibrated, or nil.
func (c *Centroids) Calibration() *Calibration { return c.cal }

const (
	metaRecallK = "vectorbucket.recall_k"
	metaRecall  = "vectorbucket.recall"
	// maxCurve bounds the recorded curve (one point per nprobe).
	maxCurve = 1 << 20
)

func formatCurve(r []float32) string {
	b := make([]byte, 0, 7*len(r))
	for i, v := range r {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(v), 'f', 4, 32)
	}
	return string(b)
}

func (c *Calibration) validate() error {
	if c.K < 1 || len(c.Recall) == 0 || len(c.Recall) > maxCurve {
		return fmt.Errorf("calibration with K=%d and %d points: %w", c.K, len(c.Recall), ErrInvalidRecord)
	}
	for i, v := range c.Recall {
		if !(v >= 0 && v <= 1) || (i > 0 && v < c.Recall[i-1]) {
			return fmt.Errorf("calibration point %d = %v (want non-decreasing in [0,1]): %w", i, v, ErrInvalidRecord)
		}
	}
	return nil
}

// parseCalibration reads the optional recall curve; absent keys mean none.
func parseCalibration(md arrow.Metadata) (*Calibration, error) {
	ki, ri := md.FindKey(metaRecallK), md.FindKey(metaRecall)
	if ki < 0 && ri < 0 {
		return nil, nil
	}
	if ki < 0 || ri < 0 {
		return nil, fmt.Errorf("decode centroids: half a calibration: %w", ErrCorrupt)
	}
	k, err := strconv.Atoi(md.Values()[ki])
	if err != nil {
		return nil, fmt.Errorf("decode centroids: recall k %q: %w", md.Values()[ki], ErrCorrupt)
	}
	cal := &Calibration{K: k}
	for _, f := range strings.Split(md.Values()[ri], ",") {
		if len(cal.Recall) >= maxCurve {
			return nil, fmt.Errorf("decode centroids: recall curve too long: %w", ErrCorrupt)
		}
		v, err := strconv.ParseFloat(f, 32)
		if err != nil {
			return nil, fmt.Errorf("decode centroids: recall point %q: %w", f, ErrCorrupt)
		}
		cal.Recall = append(cal.Recall, float32(v))
	}
	if err := cal.validate(); err != nil {
		return nil, fmt.Errorf("decode centroids: %v: %w", err, ErrCorrupt)
	}
	return cal, nil
}

// Len is the number of centroids.
func (c *Centroids) Len() int { return c.n }

// Dim is the vector dimension.
func (c *Centroids) Dim() int { return c.dim }

// Metric is the metric recorded in the object.
func (c *Centroids) Metric() Metric { return c.metric }

// Version is the format version the object was written with.
func (c *Centroids) Version() FormatVersion { return c.version }

// ID returns the neighborhood id of row i (a copy).
func (c *Centroids) ID(i int) string { return string(c.idData[c.idOff[i]:c.idOff[i+1]]) }

// Vector returns centroid i, a slice into the decoded bytes.
func (c *Centroids) Vector(i int) []float32 { return c.vecs[i*c.dim : (i+1)*c.dim : (i+1)*c.dim] }

// Vectors returns all centroids, row-major, as NearestCentroids takes them.
func (c *Centroids) Vectors() []float32 { return c.vecs }

// EncodeCentroids writes a centroid table: centroids is flat (len(ids)*dim values) and ids[i]
// names the neighborhood of centroid i.
func EncodeCentroids(dim int, metric Metric, centroids []float32, ids []string) ([]byte, error) {
	return EncodeCentroidsCalibrated(dim, metric, centroids, ids, nil)
}

// EncodeCentroidsCalibrated is EncodeCentroids that also records cal (when not nil) in the
// schema metadata, so a query holding the centroid table can turn a target recall into an
// nprobe (Centroids.Calibration) without another object.
func EncodeCentroidsCalibrated(dim int, metric Metric, centroids []float32, ids []string, cal *Calibration) ([]byte, error) {
	if err := checkHeader(dim, metric); err != nil {
		return nil, err
	}
	n := len(ids)
	if len(centroids) != n*dim {
		return nil, fmt.Errorf("%d centroid values for %d ids of dimension %d: %w", len(centroids), n, dim, ErrInvalidRecord)
	}
	off := make([]int32, n+1)
	var data []byte
	for i, id := range ids {
		data = append(data, id...)
		off[i+1] = int32(len(data))
	}
	flat := append([]float32(nil), centroids...)
	schema := centroidSchema(dim, metric)
	if cal != nil {
		if err := cal.validate(); err != nil {
			return nil, err
		}
		md := schema.Metadata()
		keys := append(append([]string(nil), md.Keys()...), metaRecallK, metaRecall)
		vals := append(append([]string(nil), md.Values()...), strconv.Itoa(cal.K), formatCurve(cal.Recall))
		nm := arrow.NewMetadata(keys, vals)
		schema = arrow.NewSchema(schema.Fields(), &nm)
	}
	cols := []arrow.ArrayData{
		array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, bufOf(off), memory.NewBufferBytes(data)}, nil, 0, 0),
		vectorData(dim, n, flat),
	}
	return writeFile(schema, cols, n)
}

func centroidSchema(dim int, metric Metric) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "vector", Type: vectorType(dim)},
	}, schemaMeta(kindCentroids, dim, metric))
}

// DecodeCentroids decodes a centroid table with zero copies; errors as DecodeSegment.
func DecodeCentroids(data []byte) (c *Centroids, err error) {
	f, err := openFile(data, kindCentroids, centroidSchema)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("decode centroids: %v: %w", r, ErrCorrupt)
		}
	}()
	defer f.rec.Release()
	n := int(f.rec.NumRows())
	c = &Centroids{version: f.version, dim: f.dim, metric: f.metric, n: n}
	if c.cal, err = parseCalibration(f.md); err != nil {
		return nil, err
	}
	cols := f.rec.Columns()
	if c.idOff, c.idData, _, err = stringColumn(cols[0].Data(), n, false); err != nil {
		return nil, fmt.Errorf("id column: %w", err)
	}
	if c.vecs, err = vectorColumn(cols[1].Data(), n, f.dim); err != nil {
		return nil, fmt.Errorf("vector column: %w", err)
	}
	return c, nil
}
