package api

import (
	"encoding/json"
	"unicode/utf8"
	"unsafe"
)

// decodePutVectorsFast decodes a well-formed PutVectors body in one pass
// without encoding/json's reflection and double scan (it dominates a 500×768
// batch otherwise). It returns false on anything unusual — malformed JSON,
// an unknown or duplicated member, a null, a bad vector — and the caller then
// decodes with encoding/json, which produces the precise error. It must
// never accept a body encoding/json would reject (FuzzDecodePutVectors).
func decodePutVectorsFast(b []byte, req *PutVectorsRequest) bool {
	s := fastScanner{b: b}
	s.ws()
	if !s.byte('{') {
		return false
	}
	seen := 0
	const (
		seenArn = 1 << iota
		seenBucket
		seenIndex
		seenVectors
	)
	first := true
	for {
		s.ws()
		if s.peek() == '}' && first {
			s.p++
			break
		}
		key, ok := s.memberName()
		if !ok || !s.colon() {
			return false
		}
		s.ws()
		var bit int
		switch key {
		case "indexArn":
			bit = seenArn
			req.IndexArn, ok = s.str()
		case "vectorBucketName":
			bit = seenBucket
			req.VectorBucketName, ok = s.str()
		case "indexName":
			bit = seenIndex
			req.IndexName, ok = s.str()
		case "vectors":
			bit = seenVectors
			ok = s.vectors(req)
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		first = false
		s.ws()
		if s.byte(',') {
			continue
		}
		if s.byte('}') {
			break
		}
		return false
	}
	s.ws()
	return s.p == len(s.b)
}

type fastScanner struct {
	b []byte
	p int
}

func (s *fastScanner) ws() {
	for s.p < len(s.b) {
		switch s.b[s.p] {
		case ' ', '\n', '\r', '\t':
			s.p++
		default:
			return
		}
	}
}

func (s *fastScanner) peek() byte {
	if s.p < len(s.b) {
		return s.b[s.p]
	}
	return 0
}

func (s *fastScanner) byte(c byte) bool {
	if s.p < len(s.b) && s.b[s.p] == c {
		s.p++
		return true
	}
	return false
}

func (s *fastScanner) colon() bool {
	s.ws()
	return s.byte(':')
}

// str reads a JSON string. Plain ASCII/UTF-8 strings are sliced directly;
// escapes and invalid UTF-8 go through encoding/json for identical results.
func (s *fastScanner) str() (string, bool) {
	if !s.byte('"') {
		return "", false
	}
	start := s.p - 1
	plain := true
	for s.p < len(s.b) {
		c := s.b[s.p]
		switch {
		case c == '"':
			s.p++
			raw := s.b[start+1 : s.p-1]
			if plain && utf8.Valid(raw) {
				return string(raw), true
			}
			var out string
			if json.Unmarshal(s.b[start:s.p], &out) != nil {
				return "", false
			}
			return out, true
		case c == '\\':
			plain = false
			s.p += 2
		case c < 0x20:
			return "", false
		default:
			s.p++
		}
	}
	return "", false
}

// memberName reads an object member name. A plain name (no escapes) is
// returned as a view of the body, without a copy: callers only compare it
// and must not keep it.
func (s *fastScanner) memberName() (string, bool) {
	if s.p < len(s.b) && s.b[s.p] == '"' {
		for q := s.p + 1; q < len(s.b) && q-s.p <= 64; q++ {
			c := s.b[q]
			if c == '"' {
				if q == s.p+1 {
					break
				}
				name := unsafe.String(&s.b[s.p+1], q-s.p-1)
				s.p = q + 1
				return name, true
			}
			if c == '\\' || c < 0x20 || c >= 0x80 {
				break
			}
		}
	}
	return s.str()
}

// skip moves past one JSON value without validating it (brackets and
// strings only); the caller validates the slice with encoding/json.
func (s *fastScanner) skip() bool {
	depth := 0
	for s.p < len(s.b) {
		c := s.b[s.p]
		switch c {
		case '"':
			if _, ok := s.str(); !ok {
				return false
			}
			if depth == 0 {
				return true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return false
			}
			if depth == 0 {
				s.p++
				return true
			}
		case ',', ' ', '\n', '\r', '\t', ':':
			if depth == 0 {
				return true
			}
		}
		s.p++
	}
	return depth == 0
}

func (s *fastScanner) vectors(req *PutVectorsRequest) bool {
	if !s.byte('[') {
		return false
	}
	s.ws()
	if s.byte(']') {
		req.Vectors = []PutInputVector{}
		return true
	}
	dim := 0
	for {
		s.ws()
		var v PutInputVector
		if !s.vector(&v, dim) {
			return false
		}
		dim = len(v.Data.Float32)
		req.Vectors = append(req.Vectors, v)
		s.ws()
		if s.byte(',') {
			continue
		}
		return s.byte(']')
	}
}

func (s *fastScanner) vector(v *PutInputVector, dim int) bool {
	if !s.byte('{') {
		return false
	}
	seen := 0
	first := true
	for {
		s.ws()
		if first && s.byte('}') {
			return true
		}
		key, ok := s.memberName()
		if !ok || !s.colon() {
			return false
		}
		s.ws()
		var bit int
		switch key {
		case "key":
			bit = 1
			v.Key, ok = s.str()
		case "data":
			bit = 2
			var vec []float32
			var msg string
			vec, s.p, _, msg = parseVector(s.b, s.p, make([]float32, 0, dim))
			ok = msg == ""
			v.Data = VectorData{Float32: vec, badIdx: -1}
		case "metadata":
			bit = 4
			start := s.p
			if s.peek() != '{' || !s.skip() {
				return false
			}
			ok = json.Unmarshal(s.b[start:s.p], &v.Metadata) == nil
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		first = false
		s.ws()
		if s.byte(',') {
			continue
		}
		return s.byte('}')
	}
}

// decodeQueryVectorsFast is the one-pass decoder for QueryVectors bodies,
// with the same contract as decodePutVectorsFast.
func decodeQueryVectorsFast(b []byte, req *QueryVectorsRequest) bool {
	s := fastScanner{b: b}
	s.ws()
	if !s.byte('{') {
		return false
	}
	// The members seen so far, one bit each (a repeated member is left to
	// encoding/json, which keeps the last).
	seen := 0
	// A caller may lend the buffer for the query vector (a pooled one).
	buf := req.QueryVector.Float32[:0]
	req.QueryVector.Float32 = nil
	first := true
	for {
		s.ws()
		if first && s.byte('}') {
			break
		}
		key, ok := s.memberName()
		if !ok || !s.colon() {
			return false
		}
		s.ws()
		var str string
		var bit int
		switch key {
		case "indexArn":
			bit = 1 << 0
			req.IndexArn, ok = s.str()
		case "vectorBucketName":
			bit = 1 << 1
			req.VectorBucketName, ok = s.str()
		case "indexName":
			bit = 1 << 2
			req.IndexName, ok = s.str()
		case "nextToken":
			bit = 1 << 3
			req.NextToken, ok = s.str()
		case "queryMode":
			bit = 1 << 4
			str, ok = s.str()
			req.QueryMode = IndexMode(str)
		case "topK":
			bit = 1 << 5
			req.TopK, ok = s.int()
		case "returnMetadata":
			bit = 1 << 6
			req.ReturnMetadata, ok = s.bool()
		case "returnDistance":
			bit = 1 << 7
			req.ReturnDistance, ok = s.bool()
		case "queryVector":
			bit = 1 << 8
			var vec []float32
			var msg string
			vec, s.p, _, msg = parseVector(s.b, s.p, buf)
			ok = msg == ""
			if len(vec) == 0 {
				vec = nil // as VectorData.UnmarshalJSON leaves it
			}
			req.QueryVector = VectorData{Float32: vec, badIdx: -1}
		case "filter":
			bit = 1 << 9
			start := s.p
			if s.peek() != '{' || !s.skip() || !json.Valid(s.b[start:s.p]) {
				return false
			}
			req.Filter = append(json.RawMessage(nil), s.b[start:s.p]...)
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		first = false
		s.ws()
		if s.byte(',') {
			continue
		}
		if s.byte('}') {
			break
		}
		return false
	}
	s.ws()
	return s.p == len(s.b)
}

// int reads a JSON integer that fits an int32 (larger or fractional values
// are left to encoding/json's error path).
func (s *fastScanner) int() (int, bool) {
	neg := s.byte('-')
	start := s.p
	n := 0
	for s.p < len(s.b) && s.b[s.p] >= '0' && s.b[s.p] <= '9' {
		n = n*10 + int(s.b[s.p]-'0')
		s.p++
		if s.p-start > 9 {
			return 0, false
		}
	}
	if s.p == start || s.b[start] == '0' && s.p-start > 1 {
		return 0, false
	}
	if s.p < len(s.b) && (s.b[s.p] == '.' || s.b[s.p] == 'e' || s.b[s.p] == 'E') {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// bool reads true or false.
func (s *fastScanner) bool() (bool, bool) {
	switch {
	case len(s.b)-s.p >= 4 && string(s.b[s.p:s.p+4]) == "true":
		s.p += 4
		return true, true
	case len(s.b)-s.p >= 5 && string(s.b[s.p:s.p+5]) == "false":
		s.p += 5
		return false, true
	}
	return false, false
}
