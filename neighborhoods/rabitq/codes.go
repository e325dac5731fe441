package rabitq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"unsafe"
)

// Metric is the distance a set of codes estimates. Its values are those of
// neighborhoods.Metric (this package does not import neighborhoods, so that neighborhoods can
// import it).
type Metric uint8

const (
	// Euclidean estimates squared L2 distance.
	Euclidean Metric = 1
	// Cosine estimates 1−cos, as half the squared L2 distance of the unit vectors.
	Cosine Metric = 2
)

// Version is the version byte of the layout Encode writes. Version 2 added
// the per-vector base term, which lets a query be quantized once for every
// neighborhood (version 1 codes needed a quantization per neighborhood).
const Version = 2

// MaxCodes bounds the number of codes in one encoding.
const MaxCodes = 1 << 26

const (
	magic      = "RBQC"
	headerSize = 24
)

var (
	// ErrInvalidInput marks arguments Encode, NewRotation or NewQuery cannot work with.
	ErrInvalidInput = errors.New("rabitq: invalid input")
	// ErrCorrupt marks bytes Decode does not accept.
	ErrCorrupt = errors.New("rabitq: corrupt codes")
	// ErrMismatch marks a query used with codes of another dimension, seed or metric.
	ErrMismatch = errors.New("rabitq: query and codes do not match")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Codes is a decoded set of 1-bit codes of one neighborhood. Its slices alias the bytes it was
// decoded from where possible; it is read-only and safe for concurrent use.
type Codes struct {
	metric   Metric
	rounds   int
	dim      int
	padded   int
	words    int // padded/64
	n        int
	seed     uint64
	centroid []float32 // dim
	rotCent  []float32 // padded
	codes    []uint64  // blocks of 8 codes: word k of code i at wordAt(i, k); ⌈n/8⌉·8·words
	add      []float32 // n: ‖o−c‖² (·½ for Cosine)
	base     []float32 // n: add + 2·rescale·⟨x̄,P·c⟩, the constant term of the estimate
	rescale  []float32 // n: ‖o−c‖/⟨ō,o⟩ (·½)
	errf     []float32 // n: ‖o−c‖·√(1−⟨ō,o⟩²)/⟨ō,o⟩ (·½)
	pop      []uint16  // n: popcount of the code
}

// Len is the number of codes.
func (c *Codes) Len() int { return c.n }

// Dim is the dimension of the encoded vectors.
func (c *Codes) Dim() int { return c.dim }

// Metric is the metric the codes estimate.
func (c *Codes) Metric() Metric { return c.metric }

// Seed is the seed of the rotation the codes were made with.
func (c *Codes) Seed() uint64 { return c.seed }

// Rounds is the number of rounds of the rotation the codes were made with.
func (c *Codes) Rounds() int { return c.rounds }

// Centroid is the neighborhood's centroid (unit-normalized for Cosine); do not modify it.
func (c *Codes) Centroid() []float32 { return c.centroid }

// RotatedCentroid is P·c, which Prepare reads (a caller may prefetch it); do
// not modify it.
func (c *Codes) RotatedCentroid() []float32 { return c.rotCent }

// Code appends the Padded(Dim())/64 words of code i to dst[:0] and returns it (codes are
// stored interleaved in blocks of 8, see the package documentation).
func (c *Codes) Code(i int, dst []uint64) []uint64 {
	dst = dst[:0]
	for k := range c.words {
		dst = append(dst, c.codes[wordAt(i, k, c.words)])
	}
	return dst
}

// codeBlock is the number of codes whose words are interleaved: the kernel
// reads word k of 8 codes as one 64-byte vector.
const codeBlock = 8

// wordAt is the index of word k of code i in the interleaved code section of
// codes with w words each.
func wordAt(i, k, w int) int { return ((i/codeBlock)*w+k)*codeBlock + i%codeBlock }

// codeWords is the length of the code section of n codes of w words: whole
// blocks, the last one zero-padded.
func codeWords(n, w int) int { return (n + codeBlock - 1) / codeBlock * codeBlock * w }

// Norm is ‖o−c‖ of vector i (of the unit vector for Cosine).
func (c *Codes) Norm(i int) float32 {
	a := c.add[i]
	if c.metric == Cosine {
		a *= 2
	}
	return float32(math.Sqrt(float64(a)))
}

// EncodeOptions tune Encode.
type EncodeOptions struct {
	// Metric is Euclidean (the zero value means Euclidean) or Cosine.
	Metric Metric
	// Seed and Rounds choose the rotation (ignored when Rotation is set).
	Seed   uint64
	Rounds int
	// Rotation, when set, is used instead of NewRotation(dim, Seed, Rounds): share one across
	// the neighborhoods of an index.
	Rotation *Rotation
}

// Encode returns the RaBitQ codes of the rows of vectors (row-major, len(vectors)/dim rows of
// dimension dim = len(centroid)) relative to centroid, in the layout of the package
// documentation. For Cosine the rows and the centroid are normalized first (zero vectors stay
// zero).
func Encode(centroid, vectors []float32, opts EncodeOptions) ([]byte, error) {
	dim := len(centroid)
	m := opts.Metric
	if m == 0 {
		m = Euclidean
	}
	if m != Euclidean && m != Cosine {
		return nil, fmt.Errorf("rabitq: encode: metric %d: %w", m, ErrInvalidInput)
	}
	if dim == 0 || len(vectors)%dim != 0 {
		return nil, fmt.Errorf("rabitq: encode: %d values with a centroid of dimension %d: %w", len(vectors), dim, ErrInvalidInput)
	}
	rot := opts.Rotation
	if rot == nil {
		var err error
		if rot, err = NewRotation(dim, opts.Seed, opts.Rounds); err != nil {
			return nil, err
		}
	} else if rot.dim != dim {
		return nil, fmt.Errorf("rabitq: encode: rotation of dimension %d for dimension %d: %w", rot.dim, dim, ErrInvalidInput)
	}
	n := len(vectors) / dim
	if n > MaxCodes {
		return nil, fmt.Errorf("rabitq: encode: %d vectors: %w", n, ErrInvalidInput)
	}
	p := rot.padded
	w := p / 64
	lay := layoutFor(dim, p, n)
	buf := make([]byte, lay.total)
	copy(buf, magic)
	buf[4] = Version
	buf[5] = byte(m)
	buf[6] = byte(len(rot.signs))
	binary.LittleEndian.PutUint32(buf[8:], uint32(dim))
	binary.LittleEndian.PutUint32(buf[12:], uint32(n))
	binary.LittleEndian.PutUint64(buf[16:], rot.seed)

	cent := make([]float32, dim)
	copy(cent, centroid)
	if m == Cosine {
		normalize(cent)
	}
	rc := make([]float32, p)
	rot.Apply(rc, cent)
	putFloats(buf[headerSize:], cent)
	putFloats(buf[lay.rotCent:], rc)

	scale := 1.0
	if m == Cosine {
		scale = 0.5
	}
	sqrtP := math.Sqrt(float64(p))
	var rcSum float64
	for _, r := range rc {
		rcSum += float64(r)
	}
	v := make([]float32, dim)
	u := make([]float32, p)
	code := make([]uint64, w)
	for i := range n {
		copy(v, vectors[i*dim:(i+1)*dim])
		if m == Cosine {
			normalize(v)
		}
		rot.Apply(u, v)
		// One branch-free pass (the signs are random: a branch on them
		// mispredicts half the time): the code bits, ‖o−c‖², Σ|u_j − c_j| and
		// Σ_{bit set} (P·c)_j, from which ⟨x̄, P·c⟩·√D = 2·that − Σ (P·c)_j.
		var nn, l1, set float64
		for k := range w {
			var word uint64
			for j := k * 64; j < k*64+64; j++ {
				r := rc[j]
				d := float64(u[j] - r)
				nn += d * d
				l1 += math.Abs(d)
				var bit uint64
				if d > 0 {
					bit = 1
				}
				word |= bit << (j & 63)
				set += float64(r) * float64(bit)
			}
			code[k] = word
		}
		var add, rescale, errf float64
		xc := 2*set - rcSum
		pop := 0
		for _, x := range code {
			pop += popcount(x)
		}
		if nn > 0 {
			norm := math.Sqrt(nn)
			ipo := l1 / (norm * sqrtP) // ⟨ō,o⟩ ∈ (0, 1]
			add = scale * nn
			rescale = scale * norm / ipo
			errf = scale * norm * math.Sqrt(max(0, 1-ipo*ipo)) / ipo
			xc /= sqrtP
		} else {
			clear(code)
			pop = 0
		}
		for k, x := range code {
			binary.LittleEndian.PutUint64(buf[lay.codes+8*wordAt(i, k, w):], x)
		}
		binary.LittleEndian.PutUint32(buf[lay.add+4*i:], math.Float32bits(float32(add)))
		binary.LittleEndian.PutUint32(buf[lay.base+4*i:], math.Float32bits(float32(add+2*rescale*xc)))
		binary.LittleEndian.PutUint32(buf[lay.rescale+4*i:], math.Float32bits(float32(rescale)))
		binary.LittleEndian.PutUint32(buf[lay.errf+4*i:], math.Float32bits(float32(errf)))
		binary.LittleEndian.PutUint16(buf[lay.pop+2*i:], uint16(pop))
	}
	binary.LittleEndian.PutUint32(buf[lay.total-4:], crc32.Checksum(buf[:lay.total-4], castagnoli))
	return buf, nil
}

// layout holds the offsets of the sections of an encoding.
type layout struct {
	rotCent, codes, add, base, rescale, errf, pop, total int
}

func layoutFor(dim, padded, n int) layout {
	var l layout
	l.rotCent = headerSize + align(4*dim, 8)
	l.codes = l.rotCent + 4*padded
	l.add = l.codes + 8*codeWords(n, padded/64)
	l.base = l.add + 4*n
	l.rescale = l.base + 4*n
	l.errf = l.rescale + 4*n
	l.pop = l.errf + 4*n
	l.total = l.pop + align(2*n, 4) + 4
	return l
}

func align(x, a int) int { return (x + a - 1) &^ (a - 1) }

func putFloats(b []byte, f []float32) {
	for i, x := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
}

// Decode returns a view of codes written by Encode. It checks the header, the length and the
// checksum and returns an error wrapping ErrCorrupt if any is wrong. When b is 8-byte aligned
// and the machine little-endian the result aliases b (b must then not be modified while it is
// in use); otherwise the sections are copied.
func Decode(b []byte) (*Codes, error) {
	if len(b) < headerSize+4 || string(b[:4]) != magic {
		return nil, fmt.Errorf("%w: bad magic or %d bytes", ErrCorrupt, len(b))
	}
	if b[4] != Version {
		return nil, fmt.Errorf("%w: version %d", ErrCorrupt, b[4])
	}
	m := Metric(b[5])
	if m != Euclidean && m != Cosine {
		return nil, fmt.Errorf("%w: metric %d", ErrCorrupt, b[5])
	}
	rounds := int(b[6])
	if rounds < 1 || rounds > 8 || b[7] != 0 {
		return nil, fmt.Errorf("%w: rounds %d, flags %d", ErrCorrupt, b[6], b[7])
	}
	dim := int(binary.LittleEndian.Uint32(b[8:]))
	n := int(binary.LittleEndian.Uint32(b[12:]))
	if dim < 1 || dim > MaxDim || n > MaxCodes {
		return nil, fmt.Errorf("%w: dimension %d, %d codes", ErrCorrupt, dim, n)
	}
	p := Padded(dim)
	lay := layoutFor(dim, p, n)
	if lay.total != len(b) {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(b), lay.total)
	}
	if got, want := crc32.Checksum(b[:len(b)-4], castagnoli), binary.LittleEndian.Uint32(b[len(b)-4:]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	c := &Codes{
		metric: m, rounds: rounds, dim: dim, padded: p, words: p / 64, n: n,
		seed: binary.LittleEndian.Uint64(b[16:]),
	}
	if nativeLittle && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%8 == 0 {
		c.centroid = view[float32](b, headerSize, dim)
		c.rotCent = view[float32](b, lay.rotCent, p)
		c.codes = view[uint64](b, lay.codes, codeWords(n, c.words))
		c.add = view[float32](b, lay.add, n)
		c.base = view[float32](b, lay.base, n)
		c.rescale = view[float32](b, lay.rescale, n)
		c.errf = view[float32](b, lay.errf, n)
		c.pop = view[uint16](b, lay.pop, n)
		return c, nil
	}
	c.centroid = copyFloats(b[headerSize:], dim)
	c.rotCent = copyFloats(b[lay.rotCent:], p)
	c.codes = make([]uint64, codeWords(n, c.words))
	for i := range c.codes {
		c.codes[i] = binary.LittleEndian.Uint64(b[lay.codes+8*i:])
	}
	c.add = copyFloats(b[lay.add:], n)
	c.base = copyFloats(b[lay.base:], n)
	c.rescale = copyFloats(b[lay.rescale:], n)
	c.errf = copyFloats(b[lay.errf:], n)
	c.pop = make([]uint16, n)
	for i := range c.pop {
		c.pop[i] = binary.LittleEndian.Uint16(b[lay.pop+2*i:])
	}
	return c, nil
}

var nativeLittle = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func view[T float32 | uint64 | uint16](b []byte, off, n int) []T {
	if n == 0 {
		return []T{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[off])), n)
}

func copyFloats(b []byte, n int) []float32 {
	f := make([]float32, n)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}
