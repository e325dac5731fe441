package neighborhoods

import (
	"fmt"

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
	cols := f.rec.Columns()
	if c.idOff, c.idData, _, err = stringColumn(cols[0].Data(), n, false); err != nil {
		return nil, fmt.Errorf("id column: %w", err)
	}
	if c.vecs, err = vectorColumn(cols[1].Data(), n, f.dim); err != nil {
		return nil, fmt.Errorf("vector column: %w", err)
	}
	return c, nil
}
