package api

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// VectorData is the VectorData union: today only {"float32": [...]}.
//
// Decoding is hand-written (it is the bulk of every PutVectors body) and
// never fails on bad elements: NaN and ±Infinity (which the AWS SDKs send as
// the strings "NaN", "Infinity", "-Infinity"), values outside the float32
// range, non-numbers, unknown union members and other shapes are recorded
// and reported by Err, which Decode turns into a ValidationException whose
// path names the vector and element. Encoding writes each element in its
// shortest float32 form and non-finite elements as the SDK strings.
type VectorData struct {
	Float32 []float32

	bad    string // why the JSON was unacceptable, "" when fine
	badIdx int    // element index the problem is at, -1 for the whole value
}

// Float32Vector wraps a float32 slice as VectorData.
func Float32Vector(v []float32) VectorData { return VectorData{Float32: v} }

// VectorError reports an unacceptable VectorData.
type VectorError struct {
	// Element is the index of the offending element, or -1.
	Element int
	Msg     string
}

func (e *VectorError) Error() string {
	if e.Element >= 0 {
		return fmt.Sprintf("float32[%d]: %s", e.Element, e.Msg)
	}
	return e.Msg
}

// Err returns why the decoded JSON was not acceptable vector data, or nil.
// It does not check the dimension.
func (v *VectorData) Err() error {
	if v.bad == "" {
		return nil
	}
	return &VectorError{Element: v.badIdx, Msg: v.bad}
}

// CheckFinite returns the index of the first NaN or infinite element, or -1.
func CheckFinite(v []float32) int {
	for i, f := range v {
		if f != f || f > math.MaxFloat32 || f < -math.MaxFloat32 {
			return i
		}
	}
	return -1
}

// MarshalJSON encodes {"float32":[…]}.
func (v VectorData) MarshalJSON() ([]byte, error) {
	return AppendVectorJSON(make([]byte, 0, 16+len(v.Float32)*12), v.Float32), nil
}

// AppendVectorJSON appends {"float32":[…]} for vec to dst.
func AppendVectorJSON(dst []byte, vec []float32) []byte {
	dst = append(dst, `{"float32":[`...)
	for i, f := range vec {
		if i > 0 {
			dst = append(dst, ',')
		}
		switch {
		case f != f:
			dst = append(dst, `"NaN"`...)
		case math.IsInf(float64(f), 1):
			dst = append(dst, `"Infinity"`...)
		case math.IsInf(float64(f), -1):
			dst = append(dst, `"-Infinity"`...)
		default:
			dst = AppendFloat32(dst, f)
		}
	}
	return append(dst, "]}"...)
}

// AppendFloat32 appends the shortest decimal that parses back to exactly f
// (finite; strconv.AppendFloat(dst, float64(f), 'g', -1, 32)). Integral
// values below 2^24 — pixels, counts, quantized embeddings — take an
// integer fast path that prints the same digits up to the exponent form
// ("1000000" for "1e+06"), which parses to the same float32.
func AppendFloat32(dst []byte, f float32) []byte {
	if i := int32(f); float32(i) == f && i > -1<<24 && i < 1<<24 && (i != 0 || !math.Signbit(float64(f))) {
		if i >= 0 && i < 10 {
			return append(dst, byte('0'+i))
		}
		return strconv.AppendInt(dst, int64(i), 10)
	}
	return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
}

var errNotVector = errors.New(`must be an object with one member "float32" holding an array of numbers`)

// UnmarshalJSON decodes {"float32":[…]}; see the type's documentation for
// how bad input is reported.
func (v *VectorData) UnmarshalJSON(b []byte) error {
	v.Float32 = v.Float32[:0]
	v.bad, v.badIdx = "", -1
	vec, end, idx, msg := parseVector(b, 0, v.Float32)
	v.Float32 = vec
	if msg == "" {
		for end < len(b) && (b[end] == ' ' || b[end] == '\n' || b[end] == '\r' || b[end] == '\t') {
			end++
		}
		if end != len(b) {
			idx, msg = -1, "unexpected data after vector"
		}
	}
	if msg != "" {
		v.Float32 = nil
		v.bad, v.badIdx = msg, idx
	}
	return nil
}

// parseVector parses one VectorData JSON value starting at b[p] into dst and
// returns the position just past it. On failure it returns the element
// index (or -1) and a message; the position is then meaningless.
func parseVector(b []byte, p int, dst []float32) (vec []float32, end, idx int, msg string) {
	ws := func() {
		for p < len(b) && (b[p] == ' ' || b[p] == '\n' || b[p] == '\r' || b[p] == '\t') {
			p++
		}
	}
	ws()
	if p >= len(b) || b[p] != '{' {
		return nil, 0, -1, errNotVector.Error()
	}
	p++
	ws()
	if p < len(b) && b[p] == '}' {
		return nil, 0, -1, `union has no member; want "float32"`
	}
	// The member name: only "float32" is known.
	end = scanString(b, p)
	if end < 0 {
		return nil, 0, -1, errNotVector.Error()
	}
	if string(b[p:end]) != `"float32"` {
		return nil, 0, -1, fmt.Sprintf("unknown union member %s; want \"float32\"", truncate(b[p:end]))
	}
	p = end
	ws()
	if p >= len(b) || b[p] != ':' {
		return nil, 0, -1, errNotVector.Error()
	}
	p++
	ws()
	if p >= len(b) || b[p] != '[' {
		return nil, 0, -1, `"float32" must be an array of numbers`
	}
	p++
	ws()
	if p < len(b) && b[p] == ']' {
		p++
	} else {
		for i := 0; ; i++ {
			ws()
			if p >= len(b) {
				return nil, 0, -1, "truncated vector"
			}
			c := b[p]
			if c == '"' {
				end := scanString(b, p)
				if end < 0 {
					return nil, 0, i, "truncated string"
				}
				switch s := string(b[p:end]); s {
				case `"NaN"`, `"Infinity"`, `"-Infinity"`:
					return nil, 0, i, s + " is not allowed; vector elements must be finite numbers"
				default:
					return nil, 0, i, "must be a number, got string " + truncate(b[p:end])
				}
			}
			f, q, ok := parseFloat32(b, p)
			if !ok {
				q = p
				for q < len(b) && numberByte(b[q]) {
					q++
				}
				if q == p {
					return nil, 0, i, fmt.Sprintf("must be a number, got %s", describe(b[p:]))
				}
				if !validNumber(b[p:q]) {
					return nil, 0, i, "invalid number " + truncate(b[p:q])
				}
				return nil, 0, i, "number " + truncate(b[p:q]) + " is outside the float32 range"
			}
			dst = append(dst, f)
			p = q
			ws()
			if p >= len(b) {
				return nil, 0, -1, "truncated vector"
			}
			if b[p] == ',' {
				p++
				continue
			}
			if b[p] == ']' {
				p++
				break
			}
			return nil, 0, -1, fmt.Sprintf("unexpected %q in vector", b[p])
		}
	}
	ws()
	if p < len(b) && b[p] == ',' {
		return nil, 0, -1, `union must have exactly one member, "float32"`
	}
	if p >= len(b) || b[p] != '}' {
		return nil, 0, -1, errNotVector.Error()
	}
	return dst, p + 1, -1, ""
}

// float32pow10 holds the powers of ten that are exact in float32.
var float32pow10 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// parseFloat32 parses the JSON number at b[p] as a correctly rounded float32
// in one pass, returning the position after it. Small decimals (mantissa
// below 2^24, exponent within ±10) are converted exactly (Clinger's fast
// path: one correctly rounded float32 multiply or divide of exact values);
// the rest go through strconv.ParseFloat. ok is false for malformed numbers
// and for values outside the float32 range.
func parseFloat32(b []byte, p int) (f float32, end int, ok bool) {
	start := p
	neg := false
	if p < len(b) && b[p] == '-' {
		neg = true
		p++
	}
	var mant uint64
	digits, exp10 := 0, 0
	if p < len(b) && b[p] == '0' {
		p++
	} else {
		q := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			if digits < 19 {
				mant = mant*10 + uint64(b[p]-'0')
				if mant != 0 {
					digits++
				}
			} else {
				exp10++
			}
			p++
		}
		if p == q {
			return 0, p, false
		}
	}
	if p < len(b) && b[p] == '.' {
		p++
		q := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			if digits < 19 {
				mant = mant*10 + uint64(b[p]-'0')
				if mant != 0 {
					digits++
				}
				exp10--
			}
			p++
		}
		if p == q {
			return 0, p, false
		}
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		p++
		eneg := false
		if p < len(b) && (b[p] == '+' || b[p] == '-') {
			eneg = b[p] == '-'
			p++
		}
		q := p
		e := 0
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			if e < 100000 {
				e = e*10 + int(b[p]-'0')
			}
			p++
		}
		if p == q {
			return 0, p, false
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	if digits < 19 && mant < 1<<24 && exp10 >= -10 && exp10 <= 10 {
		f = float32(mant)
		if exp10 > 0 {
			f = float32(f * float32pow10[exp10])
		} else if exp10 < 0 {
			f = float32(f / float32pow10[-exp10])
		}
		if neg {
			f = -f
		}
		return f, p, true
	}
	num := b[start:p]
	g, err := strconv.ParseFloat(unsafe.String(&num[0], len(num)), 32)
	if err != nil {
		return 0, p, false
	}
	return float32(g), p, true
}

// scanString returns the index just past the JSON string starting at b[p]
// ('"'), or -1.
func scanString(b []byte, p int) int {
	if p >= len(b) || b[p] != '"' {
		return -1
	}
	for q := p + 1; q < len(b); q++ {
		switch b[q] {
		case '\\':
			q++
		case '"':
			return q + 1
		}
	}
	return -1
}

func numberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// validNumber checks the JSON number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

func describe(b []byte) string {
	if len(b) == 0 {
		return "end of input"
	}
	switch b[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return strconv.Quote(string(b[:1]))
}
