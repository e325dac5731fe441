package index

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vectorbucket/vectorbucket/index/metadata"
)

// Limits of the S3 Vectors API (the S3 Vectors API reference), enforced by the catalog
// and by Put, Delete, Get, List and Query.
const (
	MaxBuckets               = 10000                       // vector buckets per store (default quota)
	MaxIndexesPerBucket      = 10000                       // indexes per bucket (default quota)
	MinDimension             = 1                           // smallest vector dimension
	MaxDimension             = 4096                        // largest vector dimension
	MaxNonFilterableKeys     = 10                          // non-filterable metadata keys per index
	MaxMetadataKeyLen        = 63                          // characters in a non-filterable key name
	MaxKeyLen                = 1024                        // characters in a vector key
	MaxMetadataBytes         = metadata.MaxBytes           // bytes of metadata per vector (compact JSON)
	MaxFilterableBytes       = metadata.MaxFilterableBytes // bytes of filterable metadata per vector
	MaxMetadataKeys          = metadata.MaxKeys            // metadata keys per vector
	MaxVectorsPerWrite       = 500                         // vectors per Put, keys per Delete
	MaxKeysPerGet            = 100                         // keys per Get
	MaxTopK                  = 10000                       // results per Query
	MaxListResults           = 1000                        // vectors per List page
	DefaultListVectorResults = 500                         // vectors per List page by default
	MaxListSegments          = 16                          // parallel List segments
	MaxCatalogPage           = 500                         // buckets or indexes per listing page
	MaxTags                  = 50                          // tags per bucket or index
)

var (
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	indexNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	arnRE        = regexp.MustCompile(`^arn:(aws[-a-z0-9]*):s3vectors:([a-z0-9-]+):([0-9]{12}):bucket/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/index/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9]))?$`)
)

// ValidateBucketName checks the vector bucket naming rules: 3–63 characters,
// lowercase letters, digits and hyphens, starting and ending with a letter or
// digit.
func ValidateBucketName(name string) error {
	if !bucketNameRE.MatchString(name) {
		return invalid("vectorBucketName", "%q must be 3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit", name)
	}
	return nil
}

// ValidateIndexName checks the index naming rules: 3–63 characters,
// lowercase letters, digits, hyphens and dots, starting and ending with a
// letter or digit.
func ValidateIndexName(name string) error {
	if !indexNameRE.MatchString(name) {
		return invalid("indexName", "%q must be 3-63 characters of a-z, 0-9, '-' and '.', starting and ending with a letter or digit", name)
	}
	return nil
}

// ValidateKey checks a vector key: 1–1024 characters of valid UTF-8.
func ValidateKey(field, key string) error {
	if key == "" {
		return invalid(field, "key must not be empty")
	}
	if !utf8.ValidString(key) {
		return invalid(field, "key is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(key); n > MaxKeyLen {
		return invalid(field, "key has %d characters, more than %d", n, MaxKeyLen)
	}
	return nil
}

// ARN is a parsed S3 Vectors resource name of a bucket or (Index != "") an index.
type ARN struct {
	Partition, Region, Account string
	Bucket                     string
	Index                      string
}

// String formats the ARN.
func (a ARN) String() string {
	s := "arn:" + a.Partition + ":s3vectors:" + a.Region + ":" + a.Account + ":bucket/" + a.Bucket
	if a.Index != "" {
		s += "/index/" + a.Index
	}
	return s
}

// ParseARN parses a bucket ARN (arn:aws:s3vectors:<region>:<account>:bucket/<b>)
// or an index ARN (…/index/<i>).
func ParseARN(field, s string) (ARN, error) {
	m := arnRE.FindStringSubmatch(s)
	if m == nil {
		return ARN{}, invalid(field, "%q is not a vector bucket or index ARN", s)
	}
	return ARN{Partition: m[1], Region: m[2], Account: m[3], Bucket: m[4], Index: m[5]}, nil
}

// escape makes a user-given name safe as one object key segment. Names are
// validated before they get here; escaping is a second line of defence.
func escape(name string) string { return url.PathEscape(name) }

func unescape(seg string) string {
	s, err := url.PathUnescape(seg)
	if err != nil {
		return seg
	}
	return s
}

func validTagChars(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.In(r, unicode.Z) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return false
	}
	return true
}

// ValidateTags checks tag keys (1–128 characters) and values (0–256
// characters) against the S3 Vectors character set.
func ValidateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return invalid("tags", "at most %d tags, got %d", MaxTags, len(tags))
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || !validTagChars(k) {
			return invalid("tags", "tag key %q must be 1-128 characters of letters, digits, spaces and _.:/=+-@", k)
		}
		if utf8.RuneCountInString(v) > 256 || !validTagChars(v) {
			return invalid("tags", "tag value for %q must be 0-256 characters of letters, digits, spaces and _.:/=+-@", k)
		}
	}
	return nil
}
