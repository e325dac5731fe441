package api

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Service limits (S3VECTORS.md §3.5, as of November 2026).
const (
	MinNameLen              = 3
	MaxNameLen              = 63
	MinDimension            = 1
	MaxDimension            = 4096
	MaxKeyLen               = 1024 // vector key, in characters
	MaxPutVectors           = 500
	MaxDeleteVectors        = 500
	MaxGetVectors           = 100
	MaxTopK                 = 10000
	MaxListBuckets          = 500 // ListVectorBuckets maxResults
	MaxListIndexes          = 500 // ListIndexes maxResults
	MaxListVectors          = 1000
	DefaultListVectors      = 500
	MaxSegments             = 16
	MaxNextTokenLen         = 2048 // ListVectors; the list operations use 512
	MaxListTokenLen         = 512
	MaxPrefixLen            = 63
	MaxMetadataBytes        = 40 * 1024
	MaxFilterableBytes      = 2 * 1024
	MaxMetadataKeys         = 50
	MaxNonFilterableKeys    = 10
	MaxMetadataKeyLen       = 63 // non-filterable key names
	MaxBucketsPerAccount    = 10000
	MaxIndexesPerBucket     = 10000
	MaxTagsPerResource      = 50
	MaxTagKeyLen            = 128
	MaxTagValueLen          = 256
	MaxResourceArnLen       = 1011
	MaxKmsKeyArnLen         = 2048
	MaxRequestBytes         = 20 << 20
	MaxFilterConstraints    = 100
	MaxVectorsPerIndexQuota = 2_000_000_000
	DefaultQueryPageSize    = 100
	accountIDLen            = 12
	arnPrefix               = "arn:"
	serviceName             = "s3vectors"
	defaultPartition        = "aws"
)

// ServiceName is the SigV4 signing name and ARN service of S3 Vectors.
const ServiceName = serviceName

// MaxPolicyBytes caps a bucket policy document (the S3 bucket-policy size).
const MaxPolicyBytes = 20 * 1024

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// CheckBucketName returns "" when name is a valid vector bucket name (3–63
// characters of a-z, 0-9 and '-', starting and ending with a letter or
// digit), else what is wrong with it.
func CheckBucketName(name string) string {
	return checkName(name, false)
}

// CheckIndexName returns "" when name is a valid index name (like a bucket
// name, and '.' is allowed too), else what is wrong with it.
func CheckIndexName(name string) string {
	return checkName(name, true)
}

func checkName(name string, dots bool) string {
	if len(name) < MinNameLen || len(name) > MaxNameLen {
		return fmt.Sprintf("must be between %d and %d characters long", MinNameLen, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isLowerAlnum(c) || c == '-' || dots && c == '.' {
			continue
		}
		if dots {
			return "may contain only lowercase letters, digits, hyphens and dots"
		}
		return "may contain only lowercase letters, digits and hyphens"
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return "must start and end with a lowercase letter or digit"
	}
	return ""
}

// ARN is a parsed vector bucket or index ARN.
type ARN struct {
	Partition string // "aws", "aws-cn", …
	Region    string
	AccountID string
	Bucket    string
	Index     string // empty for a bucket ARN
}

// String formats the ARN.
func (a ARN) String() string {
	p := a.Partition
	if p == "" {
		p = defaultPartition
	}
	s := arnPrefix + p + ":" + serviceName + ":" + a.Region + ":" + a.AccountID + ":bucket/" + a.Bucket
	if a.Index != "" {
		s += "/index/" + a.Index
	}
	return s
}

// BucketARN formats the ARN of a bucket in partition "aws".
func BucketARN(region, account, bucket string) string {
	return ARN{Region: region, AccountID: account, Bucket: bucket}.String()
}

// IndexARN formats the ARN of an index in partition "aws".
func IndexARN(region, account, bucket, index string) string {
	return ARN{Region: region, AccountID: account, Bucket: bucket, Index: index}.String()
}

// ParseARN parses a bucket or index ARN, validating it against the service
// model's patterns. The bucket and index segments follow the ARN pattern
// ([a-z0-9][a-z0-9-.]{1,61}[a-z0-9]), which is laxer than CheckBucketName.
func ParseARN(s string) (ARN, error) {
	bad := func(why string) (ARN, error) { return ARN{}, fmt.Errorf("invalid ARN %q: %s", s, why) }
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return bad("want arn:<partition>:s3vectors:<region>:<account>:bucket/<name>[/index/<name>]")
	}
	a := ARN{Partition: parts[1], Region: parts[3], AccountID: parts[4]}
	if !strings.HasPrefix(a.Partition, "aws") || !allOf(a.Partition[3:], func(c byte) bool { return isLowerAlnum(c) || c == '-' }) {
		return bad("unknown partition")
	}
	if parts[2] != serviceName {
		return bad("service is not s3vectors")
	}
	if a.Region == "" || !allOf(a.Region, func(c byte) bool { return isLowerAlnum(c) || c == '-' }) {
		return bad("invalid region")
	}
	if len(a.AccountID) != accountIDLen || !allOf(a.AccountID, func(c byte) bool { return c >= '0' && c <= '9' }) {
		return bad("account must be 12 digits")
	}
	res, ok := strings.CutPrefix(parts[5], "bucket/")
	if !ok {
		return bad("resource must start with bucket/")
	}
	bucket, index, hasIndex := strings.Cut(res, "/index/")
	if !arnName(bucket) {
		return bad("invalid bucket name")
	}
	a.Bucket = bucket
	if hasIndex {
		if !arnName(index) {
			return bad("invalid index name")
		}
		a.Index = index
	}
	return a, nil
}

func arnName(s string) bool {
	return len(s) >= MinNameLen && len(s) <= MaxNameLen &&
		isLowerAlnum(s[0]) && isLowerAlnum(s[len(s)-1]) &&
		allOf(s, func(c byte) bool { return isLowerAlnum(c) || c == '-' || c == '.' })
}

func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// TagsPath returns the request path of the tagging operations for a
// resource ARN: /tags/ followed by the ARN escaped as one path segment.
func TagsPath(resourceArn string) string {
	return "/tags/" + EscapeSegment(resourceArn)
}

// EscapeSegment percent-encodes s as one URI path segment the way the AWS
// SDKs escape labels: every byte except A–Z a–z 0–9 - _ . ~ is %XX-encoded
// (so ':' becomes %3A and '/' becomes %2F).
func EscapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// TagsResource extracts the resource ARN from an escaped request path (as
// r.URL.EscapedPath() returns it) of the form [prefix]/tags/<escaped ARN>.
func TagsResource(escapedPath string) (string, bool) {
	i := strings.LastIndex(escapedPath, "/tags/")
	if i < 0 {
		return "", false
	}
	arn, err := url.PathUnescape(escapedPath[i+len("/tags/"):])
	if err != nil || arn == "" {
		return "", false
	}
	return arn, true
}

// CheckTag returns "" when key and value satisfy the tag rules (key 1–128,
// value 0–256 characters, both of letters, spaces, digits and _.:/=+-@).
func CheckTag(key, value string) string {
	if n := utf8.RuneCountInString(key); n < 1 || n > MaxTagKeyLen {
		return fmt.Sprintf("tag key must be between 1 and %d characters long", MaxTagKeyLen)
	}
	if utf8.RuneCountInString(value) > MaxTagValueLen {
		return fmt.Sprintf("tag value must be at most %d characters long", MaxTagValueLen)
	}
	if !tagChars(key) || !tagChars(value) {
		return "tags may contain only letters, spaces, digits and _ . : / = + - @"
	}
	return ""
}

func tagChars(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return false
	}
	return utf8.ValidString(s)
}

// CheckKmsKeyArn returns "" when arn is a full KMS key ARN.
func CheckKmsKeyArn(arn string) string {
	if len(arn) < 1 || len(arn) > MaxKmsKeyArnLen {
		return fmt.Sprintf("must be between 1 and %d characters long", MaxKmsKeyArnLen)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "kms" ||
		len(parts[4]) != accountIDLen || !allOf(parts[4], func(c byte) bool { return c >= '0' && c <= '9' }) ||
		!strings.HasPrefix(parts[5], "key/") || len(parts[5]) == len("key/") {
		return "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)"
	}
	return ""
}
