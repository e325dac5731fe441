// Package objectstore is the one contract through which vectorbucket keeps
// everything durable: a flat namespace of immutable-or-CAS-updated objects
// addressed by string keys.
//
// The contract is deliberately small (six methods). Backends live in
// subpackages (local, mem, s3) and import this package, never the reverse.
// Wrappers (prefix, cache, metrics, faults) implement the same interface and
// compose.
//
// Semantics every backend guarantees (checked by objectstore/storetest):
//
//   - Read-after-write and list-after-write: once Put returns nil, every Get,
//     Head and List from any goroutine or process sees the new object.
//   - Conditional puts are atomic: of N concurrent create-only puts of one key,
//     exactly one succeeds; of N concurrent if-match puts against the same
//     ETag, exactly one succeeds. Losers get ErrPreconditionFailed.
//   - Every object carries a CRC32C checksum written with it and verified on
//     every read; a mismatch is ErrCorrupt and the bytes are never returned.
//   - List returns keys in ascending byte order.
package objectstore

import (
	"context"
	"errors"
	"hash/crc32"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Backends wrap them with context (fmt.Errorf("...: %w")),
// so callers must test with errors.Is.
var (
	// ErrNotFound: the key does not exist.
	ErrNotFound = errors.New("objectstore: not found")
	// ErrPreconditionFailed: a create-only put found the key present, or an
	// if-match put found a different ETag (or no object).
	ErrPreconditionFailed = errors.New("objectstore: precondition failed")
	// ErrCorrupt: the stored bytes do not match the stored checksum.
	ErrCorrupt = errors.New("objectstore: corrupt object")
	// ErrInvalidKey: the key breaks the rules of ValidateKey.
	ErrInvalidKey = errors.New("objectstore: invalid key")
	// ErrInvalidRange: a ranged get starts past the end of the object.
	ErrInvalidRange = errors.New("objectstore: invalid range")
	// ErrNoSpace: a write failed because the store is full (a local disk
	// with no space or quota left). Nothing was written; the write may
	// succeed once space is freed.
	ErrNoSpace = errors.New("objectstore: no space left")
	// ErrReadOnly: a write failed because the store is read-only (a
	// file system mounted or remounted read-only). Nothing was written.
	ErrReadOnly = errors.New("objectstore: store is read-only")
)

// Store is the object store contract. Every method takes ctx first and may
// block on I/O.
type Store interface {
	// Get returns the whole object and its attributes.
	Get(ctx context.Context, key string) ([]byte, Attrs, error)
	// GetRange returns length bytes starting at offset. length < 0 means
	// "to the end". A range that extends past the end is truncated to the
	// end (as S3 does); an offset past the end (offset > size, or offset ==
	// size on a non-empty object with length != 0) is ErrInvalidRange.
	// Returned bytes are verified against the object's checksum.
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, Attrs, error)
	// Head returns the attributes of an object without its body.
	Head(ctx context.Context, key string) (Attrs, error)
	// Put stores data under key if cond holds, and returns the new attributes.
	Put(ctx context.Context, key string, data []byte, cond Condition) (Attrs, error)
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns up to opts.Limit objects whose keys start with
	// opts.Prefix and sort strictly after opts.StartAfter, in ascending key
	// order. Page.Next is non-empty when more may follow: pass it as the next
	// StartAfter.
	List(ctx context.Context, opts ListOptions) (Page, error)
}

// Attrs describes a stored object.
type Attrs struct {
	Key string
	// Size in bytes.
	Size int64
	// ETag is an opaque version tag: it changes whenever the content
	// changes. Use it with IfMatch.
	ETag string
	// CRC32C is the Castagnoli CRC of the whole object, as written.
	CRC32C uint32
	// ModTime is when the object was last written.
	ModTime time.Time
}

// Condition guards a Put. The zero value is unconditional.
type Condition struct {
	// CreateOnly: succeed only if the key does not exist (If-None-Match: *).
	CreateOnly bool
	// IfMatch: succeed only if the key exists with this ETag.
	IfMatch string
}

// CreateOnly returns a condition that succeeds only when the key is absent.
func CreateOnly() Condition { return Condition{CreateOnly: true} }

// IfMatch returns a condition that succeeds only when the current ETag is etag.
func IfMatch(etag string) Condition { return Condition{IfMatch: etag} }

// DefaultListLimit is the page size used when ListOptions.Limit is zero.
const DefaultListLimit = 1000

// ListOptions selects a page of a listing.
type ListOptions struct {
	Prefix     string
	StartAfter string
	// Limit is the maximum number of objects returned; 0 means
	// DefaultListLimit.
	Limit int
}

// Page is one page of a listing.
type Page struct {
	Objects []Attrs
	// Next is the StartAfter for the following page, or "" at the end.
	Next string
}

// MaxKeyLen is the longest key (in bytes) the contract accepts, matching S3.
const MaxKeyLen = 1024

// ValidateKey reports whether key is acceptable to every backend: non-empty,
// at most MaxKeyLen bytes, valid UTF-8, no NUL, not starting with "/", and no
// "." or ".." path segment, so a key can never escape a directory root.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return errKey(key, "empty key")
	case len(key) > MaxKeyLen:
		return errKey(key, "longer than 1024 bytes")
	case !utf8.ValidString(key):
		return errKey(key, "not valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		return errKey(key, "contains NUL")
	case strings.HasPrefix(key, "/"):
		return errKey(key, "absolute path")
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return errKey(key, "contains a '.' or '..' segment")
		}
		if seg == "" {
			return errKey(key, "contains an empty path segment")
		}
	}
	return nil
}

func errKey(key, why string) error {
	if len(key) > 64 {
		key = key[:64] + "…"
	}
	return &KeyError{Key: key, Reason: why}
}

// KeyError explains why a key was rejected; it matches ErrInvalidKey.
type KeyError struct {
	Key    string
	Reason string
}

func (e *KeyError) Error() string {
	return "objectstore: invalid key " + quote(e.Key) + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidKey) true.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

func quote(s string) string { return "\"" + strings.ToValidUTF8(s, "\uFFFD") + "\"" }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC32C of data, the checksum every backend stores.
func Checksum(data []byte) uint32 { return crc32.Checksum(data, castagnoli) }

// UpdateChecksum extends crc with data.
func UpdateChecksum(crc uint32, data []byte) uint32 { return crc32.Update(crc, castagnoli, data) }
