package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/vectorbucket/vectorbucket/index/metadata"
)

// fields accumulates failed constraints.
type fields []ValidationField

func (f *fields) add(path, format string, args ...any) {
	*f = append(*f, ValidationField{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (f fields) err() *Error {
	if len(f) == 0 {
		return nil
	}
	return Validation(f...)
}

func (f *fields) name(path, name string, check func(string) string) {
	if msg := check(name); msg != "" {
		f.add(path, "%s", msg)
	}
}

func (f *fields) maxResults(p *int, max int) {
	if p != nil && (*p < 1 || *p > max) {
		f.add("maxResults", "must be between 1 and %d", max)
	}
}

func (f *fields) token(tok string, max int) {
	if len(tok) > max {
		f.add("nextToken", "must be at most %d characters long", max)
	}
}

func (f *fields) prefix(p string) {
	if len(p) > MaxPrefixLen {
		f.add("prefix", "must be at most %d characters long", MaxPrefixLen)
	}
}

// ResolvedBucket is a validated bucket selector. ARN is set when the caller
// addressed the bucket by ARN; the server must check its region and account.
type ResolvedBucket struct {
	Bucket string
	ARN    *ARN
}

// ResolvedIndex is a validated index selector.
type ResolvedIndex struct {
	Bucket, Index string
	ARN           *ARN
}

func (r BucketRef) check(f *fields) ResolvedBucket {
	switch {
	case r.VectorBucketName != "" && r.VectorBucketArn != "":
		f.add("vectorBucketName", "specify either vectorBucketName or vectorBucketArn, not both")
	case r.VectorBucketArn != "":
		a, err := ParseARN(r.VectorBucketArn)
		if err != nil || a.Index != "" {
			f.add("vectorBucketArn", "must be a vector bucket ARN (arn:aws:s3vectors:<region>:<account>:bucket/<name>)")
			return ResolvedBucket{}
		}
		return ResolvedBucket{Bucket: a.Bucket, ARN: &a}
	case r.VectorBucketName != "":
		f.name("vectorBucketName", r.VectorBucketName, CheckBucketName)
		return ResolvedBucket{Bucket: r.VectorBucketName}
	default:
		f.add("vectorBucketName", "either vectorBucketName or vectorBucketArn is required")
	}
	return ResolvedBucket{}
}

// Resolve validates the selector and returns the bucket it names.
func (r BucketRef) Resolve() (ResolvedBucket, *Error) {
	var f fields
	rb := r.check(&f)
	return rb, f.err()
}

func (r IndexRef) check(f *fields) ResolvedIndex {
	switch {
	case r.IndexArn != "" && (r.VectorBucketName != "" || r.IndexName != ""):
		f.add("indexArn", "specify either indexArn or vectorBucketName and indexName, not both")
	case r.IndexArn != "":
		a, err := ParseARN(r.IndexArn)
		if err != nil || a.Index == "" {
			f.add("indexArn", "must be an index ARN (arn:aws:s3vectors:<region>:<account>:bucket/<bucket>/index/<index>)")
			return ResolvedIndex{}
		}
		return ResolvedIndex{Bucket: a.Bucket, Index: a.Index, ARN: &a}
	case r.VectorBucketName != "" || r.IndexName != "":
		if r.VectorBucketName == "" {
			f.add("vectorBucketName", "is required with indexName")
		} else {
			f.name("vectorBucketName", r.VectorBucketName, CheckBucketName)
		}
		if r.IndexName == "" {
			f.add("indexName", "is required with vectorBucketName")
		} else {
			f.name("indexName", r.IndexName, CheckIndexName)
		}
		return ResolvedIndex{Bucket: r.VectorBucketName, Index: r.IndexName}
	default:
		f.add("indexArn", "either indexArn or vectorBucketName and indexName are required")
	}
	return ResolvedIndex{}
}

// Resolve validates the selector and returns the index it names.
func (r IndexRef) Resolve() (ResolvedIndex, *Error) {
	var f fields
	ri := r.check(&f)
	return ri, f.err()
}

func (f *fields) encryption(e *EncryptionConfiguration) {
	if e == nil {
		return
	}
	switch e.SseType {
	case "", SseAES256:
		if e.KmsKeyArn != "" {
			f.add("encryptionConfiguration.kmsKeyArn", "is allowed only with sseType aws:kms")
		}
	case SseKMS:
		if e.KmsKeyArn == "" {
			f.add("encryptionConfiguration.kmsKeyArn", "is required with sseType aws:kms")
		} else if msg := CheckKmsKeyArn(e.KmsKeyArn); msg != "" {
			f.add("encryptionConfiguration.kmsKeyArn", "%s", msg)
		}
	default:
		f.add("encryptionConfiguration.sseType", "must be AES256 or aws:kms")
	}
}

func (f *fields) tags(tags map[string]string, required bool) {
	if required && len(tags) == 0 {
		f.add("tags", "at least one tag is required")
	}
	if len(tags) > MaxTagsPerResource {
		f.add("tags", "at most %d tags are allowed", MaxTagsPerResource)
	}
	for k, v := range tags {
		if msg := CheckTag(k, v); msg != "" {
			f.add("tags."+k, "%s", msg)
		}
	}
}

func (f *fields) mode(path string, m IndexMode, required bool) {
	switch m {
	case ModeClassic, ModeEnhanced:
	case "":
		if required {
			f.add(path, "is required (CLASSIC or ENHANCED)")
		}
	default:
		f.add(path, "must be CLASSIC or ENHANCED")
	}
}

func (f *fields) vectorKeys(keys []string, max int) {
	if len(keys) < 1 || len(keys) > max {
		f.add("keys", "must contain between 1 and %d keys", max)
	}
	for i, k := range keys {
		if msg := CheckVectorKey(k); msg != "" {
			f.add("keys["+strconv.Itoa(i)+"]", "%s", msg)
		}
	}
}

// CheckVectorKey returns "" when k is a valid vector key (1–1024 characters
// of valid UTF-8).
func CheckVectorKey(k string) string {
	if !utf8.ValidString(k) {
		return "must be valid UTF-8"
	}
	if n := utf8.RuneCountInString(k); n < 1 || n > MaxKeyLen {
		return fmt.Sprintf("must be between 1 and %d characters long", MaxKeyLen)
	}
	return ""
}

func (f *fields) vectorSyntax(path string, v *VectorData) {
	if err := v.Err(); err != nil {
		var ve *VectorError
		if errors.As(err, &ve) && ve.Element >= 0 {
			f.add(path+".float32["+strconv.Itoa(ve.Element)+"]", "%s", ve.Msg)
		} else {
			f.add(path, "%s", err)
		}
		return
	}
	if n := len(v.Float32); n < MinDimension || n > MaxDimension {
		f.add(path+".float32", "must have between %d and %d elements, got %d", MinDimension, MaxDimension, n)
	}
}

// Validate implements Validator.
func (r *CreateVectorBucketRequest) Validate() *Error {
	var f fields
	f.name("vectorBucketName", r.VectorBucketName, CheckBucketName)
	f.encryption(r.EncryptionConfiguration)
	f.tags(r.Tags, false)
	return f.err()
}

// Validate implements Validator.
func (r *GetVectorBucketRequest) Validate() *Error { _, e := r.Resolve(); return e }

// Validate implements Validator.
func (r *ListVectorBucketsRequest) Validate() *Error {
	var f fields
	f.maxResults(r.MaxResults, MaxListBuckets)
	f.token(r.NextToken, MaxListTokenLen)
	f.prefix(r.Prefix)
	return f.err()
}

// Validate implements Validator.
func (r *DeleteVectorBucketRequest) Validate() *Error { _, e := r.Resolve(); return e }

// Validate implements Validator.
func (r *PutVectorBucketPolicyRequest) Validate() *Error {
	var f fields
	r.check(&f)
	switch {
	case r.Policy == "":
		f.add("policy", "is required")
	case len(r.Policy) > MaxPolicyBytes:
		f.add("policy", "must be at most %d bytes", MaxPolicyBytes)
	default:
		var doc map[string]any
		if json.Unmarshal([]byte(r.Policy), &doc) != nil {
			f.add("policy", "must be a JSON policy document (an object)")
		}
	}
	return f.err()
}

// Validate implements Validator.
func (r *GetVectorBucketPolicyRequest) Validate() *Error { _, e := r.Resolve(); return e }

// Validate implements Validator.
func (r *DeleteVectorBucketPolicyRequest) Validate() *Error { _, e := r.Resolve(); return e }

// Validate implements Validator.
func (r *PutVectorBucketDefaultIndexModeRequest) Validate() *Error {
	var f fields
	r.check(&f)
	f.mode("defaultIndexMode", r.DefaultIndexMode, true)
	return f.err()
}

// Validate implements Validator.
func (r *CreateIndexRequest) Validate() *Error {
	var f fields
	r.check(&f)
	f.name("indexName", r.IndexName, CheckIndexName)
	if r.DataType != DataTypeFloat32 {
		f.add("dataType", "must be float32")
	}
	if r.Dimension < MinDimension || r.Dimension > MaxDimension {
		f.add("dimension", "must be between %d and %d", MinDimension, MaxDimension)
	}
	if x := r.Vectorbucket; x != nil && x.DistanceMetric != "" {
		switch {
		case x.DistanceMetric != Cosine && x.DistanceMetric != Euclidean && x.DistanceMetric != DotProduct:
			f.add("vectorbucket.distanceMetric", "must be cosine, euclidean or dotproduct")
		case r.DistanceMetric != "" && r.DistanceMetric != x.DistanceMetric:
			f.add("distanceMetric", "is %q but vectorbucket.distanceMetric is %q: omit one or make them agree", r.DistanceMetric, x.DistanceMetric)
		}
	} else if r.DistanceMetric != Cosine && r.DistanceMetric != Euclidean {
		f.add("distanceMetric", "must be cosine or euclidean")
	}
	if x := r.Vectorbucket; x != nil && x.MaxFilterableMetadataBytes != 0 {
		if b := x.MaxFilterableMetadataBytes; b < MinFilterableMetadataBudget || b > MaxFilterableMetadataBudget {
			f.add("vectorbucket.maxFilterableMetadataBytes", "must be between %d and %d", MinFilterableMetadataBudget, MaxFilterableMetadataBudget)
		}
	}
	if mc := r.MetadataConfiguration; mc != nil {
		keys := mc.NonFilterableMetadataKeys
		if len(keys) < 1 || len(keys) > MaxNonFilterableKeys {
			f.add("metadataConfiguration.nonFilterableMetadataKeys", "must contain between 1 and %d keys", MaxNonFilterableKeys)
		}
		seen := map[string]bool{}
		for i, k := range keys {
			p := "metadataConfiguration.nonFilterableMetadataKeys[" + strconv.Itoa(i) + "]"
			if n := utf8.RuneCountInString(k); n < 1 || n > MaxMetadataKeyLen {
				f.add(p, "must be between 1 and %d characters long", MaxMetadataKeyLen)
			}
			if seen[k] {
				f.add(p, "duplicate key %q", k)
			}
			seen[k] = true
		}
	}
	f.encryption(r.EncryptionConfiguration)
	f.tags(r.Tags, false)
	return f.err()
}

// Metric is the index's distance metric: vectorbucket.distanceMetric when
// given, else distanceMetric.
func (r *CreateIndexRequest) Metric() DistanceMetric {
	if x := r.Vectorbucket; x != nil && x.DistanceMetric != "" {
		return x.DistanceMetric
	}
	return r.DistanceMetric
}

// Validate implements Validator.
func (r *GetIndexRequest) Validate() *Error { _, e := r.Resolve(); return e }

// Validate implements Validator.
func (r *ListIndexesRequest) Validate() *Error {
	var f fields
	r.check(&f)
	f.maxResults(r.MaxResults, MaxListIndexes)
	f.token(r.NextToken, MaxListTokenLen)
	f.prefix(r.Prefix)
	return f.err()
}

// Validate implements Validator.
func (r *DeleteIndexRequest) Validate() *Error { _, e := r.Resolve(); return e }

// Validate implements Validator.
func (r *UpdateIndexModeRequest) Validate() *Error {
	var f fields
	r.check(&f)
	f.mode("indexMode", r.IndexMode, true)
	return f.err()
}

// Validate implements Validator. The dimension, the cosine zero-vector rule
// and the filterable-metadata size depend on the index: see CheckVector and
// CheckMetadata.
func (r *PutVectorsRequest) Validate() *Error {
	var f fields
	r.check(&f)
	if len(r.Vectors) < 1 || len(r.Vectors) > MaxPutVectors {
		f.add("vectors", "must contain between 1 and %d vectors, got %d", MaxPutVectors, len(r.Vectors))
	}
	for i := range r.Vectors {
		v := &r.Vectors[i]
		p := "vectors[" + strconv.Itoa(i) + "]"
		if msg := CheckVectorKey(v.Key); msg != "" {
			f.add(p+".key", "%s", msg)
		}
		f.vectorSyntax(p+".data", &v.Data)
		f = append(f, checkMetadata(p+".metadata", v.Metadata, nil, false, 0)...)
		if len(f) > 100 { // enough to act on; keep the message bounded
			break
		}
	}
	return f.err()
}

// Validate implements Validator.
func (r *GetVectorsRequest) Validate() *Error {
	var f fields
	r.check(&f)
	f.vectorKeys(r.Keys, MaxGetVectors)
	if x := r.Vectorbucket; x != nil && len(x.Filter) > 0 {
		f.add("vectorbucket.filter", "is accepted by ListVectors and DeleteVectors, not GetVectors")
	}
	return f.err()
}

// Validate implements Validator.
func (r *ListVectorsRequest) Validate() *Error {
	var f fields
	r.check(&f)
	f.maxResults(r.MaxResults, MaxListVectors)
	f.token(r.NextToken, MaxNextTokenLen)
	count := 1
	if r.SegmentCount != nil {
		count = *r.SegmentCount
		if count < 1 || count > MaxSegments {
			f.add("segmentCount", "must be between 1 and %d", MaxSegments)
		}
	}
	if r.SegmentIndex < 0 || r.SegmentIndex >= MaxSegments {
		f.add("segmentIndex", "must be between 0 and %d", MaxSegments-1)
	} else if r.SegmentIndex >= count && count >= 1 && count <= MaxSegments {
		f.add("segmentIndex", "must be less than segmentCount (%d)", count)
	}
	return f.err()
}

// Validate implements Validator.
func (r *DeleteVectorsRequest) Validate() *Error {
	var f fields
	r.check(&f)
	if r.ByFilter() {
		if len(r.Keys) > 0 {
			f.add("keys", "must be omitted when vectorbucket.filter selects the vectors to delete")
		}
	} else {
		f.vectorKeys(r.Keys, MaxDeleteVectors)
	}
	return f.err()
}

// ByFilter reports whether the request deletes by vectorbucket.filter
// instead of by keys.
func (r *DeleteVectorsRequest) ByFilter() bool {
	return r.Vectorbucket != nil && len(r.Vectorbucket.Filter) > 0
}

// Validate implements Validator. The filter is compiled (and validated) by
// the index; the dimension is checked against the index by CheckVector.
func (r *QueryVectorsRequest) Validate() *Error {
	var f fields
	r.check(&f)
	if r.TopK < 1 || r.TopK > MaxTopK {
		f.add("topK", "must be between 1 and %d", MaxTopK)
	}
	f.vectorSyntax("queryVector", &r.QueryVector)
	f.token(r.NextToken, MaxNextTokenLen)
	f.mode("queryMode", r.QueryMode, false)
	return f.err()
}

// Validate implements Validator.
func (r *TagResourceRequest) Validate() *Error {
	var f fields
	f.tags(r.Tags, true)
	return f.err()
}

// CheckVector checks a syntactically valid vector against its index: the
// dimension, and for cosine indexes that it is not all zeros. It returns nil
// when the vector is acceptable.
func CheckVector(path string, v *VectorData, dim int, metric DistanceMetric) *ValidationField {
	if err := v.Err(); err != nil {
		return &ValidationField{Path: path, Message: err.Error()}
	}
	if len(v.Float32) != dim {
		return &ValidationField{Path: path + ".float32", Message: fmt.Sprintf("vector has dimension %d, the index has dimension %d", len(v.Float32), dim)}
	}
	if i := CheckFinite(v.Float32); i >= 0 {
		return &ValidationField{Path: path + ".float32[" + strconv.Itoa(i) + "]", Message: "must be a finite number"}
	}
	if metric == Cosine {
		for _, x := range v.Float32 {
			if x != 0 {
				return nil
			}
		}
		return &ValidationField{Path: path + ".float32", Message: "a zero vector is not allowed with the cosine distance metric"}
	}
	return nil
}

// CheckMetadata validates one vector's metadata against its index with the
// rule the index applies (package index/metadata): values are strings,
// numbers, booleans or lists of those (null and nested objects are
// rejected), at most 50 keys, at most 40 KB of compact JSON in all and at
// most 2 KB filterable (nil nonFilterable means every key is filterable).
// PutVectorsRequest.Validate checks all but the filterable size, which
// depends on the index.
func CheckMetadata(path string, md Metadata, nonFilterable func(string) bool) []ValidationField {
	return checkMetadata(path, md, nonFilterable, true, 0)
}

// CheckMetadataLimit is CheckMetadata for an index with a filterable budget
// of maxFilterable bytes (CreateIndexExtension.MaxFilterableMetadataBytes;
// 0 means MaxFilterableBytes), by the same rule the index applies
// (metadata.CheckLimit).
func CheckMetadataLimit(path string, md Metadata, nonFilterable func(string) bool, maxFilterable int) []ValidationField {
	return checkMetadata(path, md, nonFilterable, true, maxFilterable)
}

func checkMetadata(path string, md Metadata, nonFilterable func(string) bool, filterableLimit bool, maxFilterable int) []ValidationField {
	if md == nil {
		return nil
	}
	raw, err := json.Marshal(md)
	if err != nil {
		return []ValidationField{{Path: path, Message: "cannot be encoded as JSON: " + err.Error()}}
	}
	if !filterableLimit {
		nonFilterable = func(string) bool { return true }
	}
	_, err = metadata.CheckLimit(raw, nonFilterable, maxFilterable)
	var me *metadata.Error
	if errors.As(err, &me) {
		return []ValidationField{{Path: path + me.Sub, Message: me.Msg}}
	}
	return nil
}
