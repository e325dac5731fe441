package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// AppendPutVectorsJSON appends the JSON body of r to dst, writing vectors
// with AppendVectorJSON instead of going through encoding/json's reflection
// and re-validation (a 500×768 batch is several megabytes). The output
// decodes with Decode to the same request.
func AppendPutVectorsJSON(dst []byte, r *PutVectorsRequest) ([]byte, error) {
	dst = append(dst, '{')
	sep := false
	member := func(name, value string) {
		if value == "" {
			return
		}
		if sep {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(appendJSONString(dst, name), ':'), value)
		sep = true
	}
	member("indexArn", r.IndexArn)
	member("indexName", r.IndexName)
	member("vectorBucketName", r.VectorBucketName)
	if sep {
		dst = append(dst, ',')
	}
	dst = append(dst, `"vectors":[`...)
	for i := range r.Vectors {
		v := &r.Vectors[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"data":`...)
		dst = AppendVectorJSON(dst, v.Data.Float32)
		dst = append(dst, `,"key":`...)
		dst = appendJSONString(dst, v.Key)
		if len(v.Metadata) > 0 {
			md, err := json.Marshal(v.Metadata)
			if err != nil {
				return nil, err
			}
			dst = append(append(dst, `,"metadata":`...), md...)
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...), nil
}

// AppendQueryVectorsJSON appends the JSON body of r to dst, the query
// vector with AppendVectorJSON: encoding/json would call VectorData's
// MarshalJSON and then re-validate and copy its output, which for a
// 784-float query took ~30 µs of a ~200 µs call. The filter is validated
// and compacted as encoding/json does; the output decodes with Decode to
// the same request.
func AppendQueryVectorsJSON(dst []byte, r *QueryVectorsRequest) ([]byte, error) {
	dst = append(dst, '{')
	member := func(name string) {
		if len(dst) > 0 && dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = append(appendJSONString(dst, name), ':')
	}
	str := func(name, value string) {
		if value != "" {
			member(name)
			dst = appendJSONString(dst, value)
		}
	}
	str("indexArn", r.IndexArn) // IndexRef's field order, as encoding/json writes it
	str("vectorBucketName", r.VectorBucketName)
	str("indexName", r.IndexName)
	member("topK")
	dst = strconv.AppendInt(dst, int64(r.TopK), 10)
	member("queryVector")
	dst = AppendVectorJSON(dst, r.QueryVector.Float32)
	if len(r.Filter) > 0 {
		member("filter")
		var buf bytes.Buffer
		if err := json.Compact(&buf, r.Filter); err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
		dst = append(dst, buf.Bytes()...)
	}
	if r.ReturnMetadata {
		member("returnMetadata")
		dst = append(dst, "true"...)
	}
	if r.ReturnDistance {
		member("returnDistance")
		dst = append(dst, "true"...)
	}
	str("nextToken", r.NextToken)
	str("queryMode", string(r.QueryMode))
	if r.Vectorbucket != nil {
		ext, err := json.Marshal(r.Vectorbucket)
		if err != nil {
			return nil, err
		}
		member("vectorbucket")
		dst = append(dst, ext...)
	}
	return append(dst, '}'), nil
}

// appendJSONString appends s as a JSON string; invalid UTF-8 is left to
// encoding/json (which substitutes U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	if !utf8.ValidString(s) {
		b, _ := json.Marshal(s)
		return append(dst, b...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// MarshalResponse encodes an operation's output. GetVectors and ListVectors
// responses, which can carry a thousand vectors, are written directly with
// AppendVectorJSON (a nil vectors list is written as [], as the SDKs expect
// of a required member), QueryVectors responses with
// AppendQueryVectorsResponse; everything else goes through encoding/json.
// AppendResponse does the same into a reusable buffer.
func MarshalResponse(out any) ([]byte, error) {
	switch r := out.(type) {
	case *QueryVectorsResponse:
		return AppendQueryVectorsResponse(make([]byte, 0, 64+48*len(r.Vectors)), r)
	case QueryVectorsResponse:
		return MarshalResponse(&r)
	case *GetVectorsResponse:
		return appendOutputVectors(make([]byte, 0, outputSizeHint(r.Vectors)), r.Vectors, "")
	case *ListVectorsResponse:
		return appendOutputVectors(make([]byte, 0, outputSizeHint(r.Vectors)), r.Vectors, r.NextToken)
	case GetVectorsResponse:
		return MarshalResponse(&r)
	case ListVectorsResponse:
		return MarshalResponse(&r)
	}
	return json.Marshal(out)
}

func outputSizeHint(vs []GetOutputVector) int {
	n := 32
	for i := range vs {
		n += 32 + len(vs[i].Key)
		if vs[i].Data != nil {
			n += 12 * len(vs[i].Data.Float32)
		}
	}
	return n
}

func appendOutputVectors(dst []byte, vs []GetOutputVector, nextToken string) ([]byte, error) {
	dst = append(dst, `{`...)
	if nextToken != "" {
		dst = append(appendJSONString(append(dst, `"nextToken":`...), nextToken), ',')
	}
	dst = append(dst, `"vectors":[`...)
	for i := range vs {
		v := &vs[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(dst, `{"key":`...), v.Key)
		if v.Data != nil {
			dst = AppendVectorJSON(append(dst, `,"data":`...), v.Data.Float32)
		}
		if len(v.Metadata) > 0 {
			md, err := json.Marshal(v.Metadata)
			if err != nil {
				return nil, err
			}
			dst = append(append(dst, `,"metadata":`...), md...)
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...), nil
}
