package api

import (
	"encoding/json"
	"strconv"
)

// The hot responses — QueryVectors on the server, QueryVectors, GetVectors
// and ListVectors on the client — are encoded and decoded here in one pass,
// without reflection: floats with strconv.AppendFloat(…, 'g', -1, 32) into
// the caller's buffer, and back with parseFloat32, so every finite float32
// survives the trip bit for bit. Anything the fast decoders do not expect
// (unknown or repeated members, nulls, escapes they cannot slice, non-finite
// elements) makes them give up, and the caller decodes with encoding/json,
// which therefore stays the reference for every odd body.

// AppendResponse appends the JSON encoding of an operation's output to dst:
// QueryVectors, GetVectors and ListVectors responses are written directly,
// everything else through encoding/json. It is MarshalResponse into a
// caller-owned (reusable) buffer.
func AppendResponse(dst []byte, out any) ([]byte, error) {
	switch r := out.(type) {
	case *QueryVectorsResponse:
		return AppendQueryVectorsResponse(dst, r)
	case QueryVectorsResponse:
		return AppendQueryVectorsResponse(dst, &r)
	case *GetVectorsResponse:
		return appendOutputVectors(dst, r.Vectors, "")
	case GetVectorsResponse:
		return appendOutputVectors(dst, r.Vectors, "")
	case *ListVectorsResponse:
		return appendOutputVectors(dst, r.Vectors, r.NextToken)
	case ListVectorsResponse:
		return appendOutputVectors(dst, r.Vectors, r.NextToken)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// AppendQueryVectorsResponse appends the JSON body of r to dst (a nil
// vectors list is written as [], as the SDKs expect of a required member).
// Distances are written as shortest float32 decimals; a non-finite distance
// is an error, as it is for encoding/json.
func AppendQueryVectorsResponse(dst []byte, r *QueryVectorsResponse) ([]byte, error) {
	dst = append(dst, `{"vectors":[`...)
	for i := range r.Vectors {
		v := &r.Vectors[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(dst, `{"key":`...), v.Key)
		if v.Distance != nil {
			f := *v.Distance
			if CheckFinite([]float32{f}) >= 0 {
				return dst, &json.UnsupportedValueError{Str: strconv.FormatFloat(float64(f), 'g', -1, 32)}
			}
			dst = AppendFloat32(append(dst, `,"distance":`...), f)
		}
		if len(v.Metadata) > 0 {
			md, err := json.Marshal(v.Metadata)
			if err != nil {
				return dst, err
			}
			dst = append(append(dst, `,"metadata":`...), md...)
		}
		dst = append(dst, '}')
	}
	dst = appendJSONString(append(dst, `],"distanceMetric":`...), string(r.DistanceMetric))
	if r.NextToken != "" {
		dst = appendJSONString(append(dst, `,"nextToken":`...), r.NextToken)
	}
	if r.Vectorbucket != nil {
		x, err := json.Marshal(r.Vectorbucket)
		if err != nil {
			return dst, err
		}
		dst = append(append(dst, `,"vectorbucket":`...), x...)
	}
	return append(dst, '}'), nil
}

// DecodeResponse decodes a 200 response body of an operation into out,
// ignoring unknown members as restJson1 clients do. QueryVectors,
// GetVectors and ListVectors responses take the one-pass decoders; the rest
// (and whatever those refuse) go through encoding/json.
func DecodeResponse(body []byte, out any) error {
	switch r := out.(type) {
	case *QueryVectorsResponse:
		if decodeQueryResponseFast(body, r) {
			return nil
		}
		*r = QueryVectorsResponse{}
	case *GetVectorsResponse:
		var next string
		if vs, ok := decodeOutputVectorsFast(body, &next, false); ok {
			r.Vectors = vs
			return nil
		}
		*r = GetVectorsResponse{}
	case *ListVectorsResponse:
		if vs, ok := decodeOutputVectorsFast(body, &r.NextToken, true); ok {
			r.Vectors = vs
			return nil
		}
		*r = ListVectorsResponse{}
	}
	return json.Unmarshal(body, out)
}

// members walks the members of one JSON object at s, calling member with
// each name positioned at its value; member returns false to give up.
// Repeated names give up too (encoding/json keeps the last one).
func (s *fastScanner) members(member func(name string) bool) bool {
	s.ws()
	if !s.byte('{') {
		return false
	}
	s.ws()
	if s.byte('}') {
		return true
	}
	for {
		s.ws()
		name, ok := s.memberName()
		if !ok || !s.colon() {
			return false
		}
		s.ws()
		if !member(name) {
			return false
		}
		s.ws()
		if s.byte(',') {
			continue
		}
		return s.byte('}')
	}
}

// array walks the elements of one JSON array at s.
func (s *fastScanner) array(elem func() bool) bool {
	s.ws()
	if !s.byte('[') {
		return false
	}
	s.ws()
	if s.byte(']') {
		return true
	}
	for {
		s.ws()
		if !elem() {
			return false
		}
		s.ws()
		if s.byte(',') {
			continue
		}
		return s.byte(']')
	}
}

// metadata decodes one metadata object value with encoding/json (documents
// are rare on the hot path and must decode exactly as encoding/json does).
func (s *fastScanner) metadata(md *Metadata) bool {
	start := s.p
	if s.peek() != '{' || !s.skip() {
		return false
	}
	return json.Unmarshal(s.b[start:s.p], md) == nil
}

// end reports whether only white space is left.
func (s *fastScanner) end() bool {
	s.ws()
	return s.p == len(s.b)
}

// once marks bit in seen and reports whether it was clear.
func once(seen *int, bit int) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

func decodeQueryResponseFast(b []byte, r *QueryVectorsResponse) bool {
	s := fastScanner{b: b}
	seen := 0
	var dists []float32
	ok := s.members(func(name string) bool {
		switch name {
		case "vectors":
			if !once(&seen, 1) {
				return false
			}
			r.Vectors = []QueryOutputVector{}
			return s.array(func() bool {
				var v QueryOutputVector
				vs := 0
				if !s.members(func(name string) bool {
					var ok bool
					switch name {
					case "key":
						if !once(&vs, 1) {
							return false
						}
						v.Key, ok = s.str()
					case "distance":
						if !once(&vs, 2) {
							return false
						}
						var f float32
						f, s.p, ok = parseFloat32(s.b, s.p)
						if ok {
							if len(dists) == cap(dists) {
								dists = make([]float32, 0, max(16, 2*cap(dists)))
							}
							dists = append(dists, f)
							v.Distance = &dists[len(dists)-1]
						}
					case "metadata":
						ok = once(&vs, 4) && s.metadata(&v.Metadata)
					}
					return ok
				}) {
					return false
				}
				r.Vectors = append(r.Vectors, v)
				return true
			})
		case "distanceMetric":
			str, ok := s.str()
			r.DistanceMetric = DistanceMetric(str)
			return ok && once(&seen, 2)
		case "nextToken":
			var ok bool
			r.NextToken, ok = s.str()
			return ok && once(&seen, 4)
		case "vectorbucket":
			start := s.p
			if !once(&seen, 8) || s.peek() != '{' || !s.skip() {
				return false
			}
			r.Vectorbucket = new(QueryResponseExtension)
			return json.Unmarshal(s.b[start:s.p], r.Vectorbucket) == nil
		}
		return false
	})
	return ok && s.end()
}

// decodeOutputVectorsFast decodes a GetVectors (withNext false) or
// ListVectors response body.
func decodeOutputVectorsFast(b []byte, next *string, withNext bool) ([]GetOutputVector, bool) {
	s := fastScanner{b: b}
	seen := 0
	var out []GetOutputVector
	dim := 0
	ok := s.members(func(name string) bool {
		switch {
		case name == "vectors":
			if !once(&seen, 1) {
				return false
			}
			out = []GetOutputVector{}
			return s.array(func() bool {
				var v GetOutputVector
				vs := 0
				if !s.members(func(name string) bool {
					var ok bool
					switch name {
					case "key":
						if !once(&vs, 1) {
							return false
						}
						v.Key, ok = s.str()
					case "data":
						if !once(&vs, 2) {
							return false
						}
						var vec []float32
						var msg string
						vec, s.p, _, msg = parseVector(s.b, s.p, make([]float32, 0, dim))
						if ok = msg == ""; ok {
							dim = len(vec)
							if len(vec) == 0 {
								vec = nil // as VectorData.UnmarshalJSON leaves it
							}
							v.Data = &VectorData{Float32: vec, badIdx: -1}
						}
					case "metadata":
						ok = once(&vs, 4) && s.metadata(&v.Metadata)
					}
					return ok
				}) {
					return false
				}
				out = append(out, v)
				return true
			})
		case name == "nextToken" && withNext:
			var ok bool
			*next, ok = s.str()
			return ok && once(&seen, 2)
		}
		return false
	})
	return out, ok && s.end()
}
