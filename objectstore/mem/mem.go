// Package mem is an in-memory objectstore.Store for fast unit tests.
//
// It keeps every object in a map guarded by one lock, with a sorted key slice
// for listing. It honours the whole contract (conditions, checksums verified
// on every read, ranges, sorted paged listing) so tests written against it
// hold on the durable backends too. Corrupt lets a test damage an object
// behind the store's back to exercise ErrCorrupt paths.
package mem

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// Store is an in-memory objectstore.Store. The zero value is not usable; call
// New. It is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	objects map[string]*object
	keys    []string // sorted keys of objects
	gen     uint64   // write generation, part of every ETag
	now     func() time.Time
}

type object struct {
	data []byte
	crc  uint32
	etag string
	mod  time.Time
}

var _ objectstore.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return NewWithClock(time.Now) }

// NewWithClock returns an empty store that stamps objects' ModTime with
// now, so that a test which advances an injected clock (index.Options.Now)
// sees the objects age with it, instead of sleeping for them to.
func NewWithClock(now func() time.Time) *Store {
	return &Store{objects: make(map[string]*object), now: now}
}

func (o *object) attrs(key string) objectstore.Attrs {
	return objectstore.Attrs{Key: key, Size: int64(len(o.data)), ETag: o.etag, CRC32C: o.crc, ModTime: o.mod}
}

// lookup validates key, checks ctx and returns the object under a read lock
// held by the caller.
func (s *Store) lookup(ctx context.Context, op, key string) (*object, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, key, err)
	}
	if err := objectstore.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	o, ok := s.objects[key]
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", op, key, objectstore.ErrNotFound)
	}
	return o, nil
}

// Get returns a copy of the object after verifying its checksum.
func (s *Store) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	return s.GetRange(ctx, key, 0, -1)
}

// GetRange returns a copy of length bytes at offset (length < 0: to the end)
// after verifying the whole object's checksum.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, objectstore.Attrs, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.lookup(ctx, "get", key)
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	start, end, err := objectstore.ResolveRange(int64(len(o.data)), offset, length)
	if err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	if objectstore.Checksum(o.data) != o.crc {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: crc32c mismatch: %w", key, objectstore.ErrCorrupt)
	}
	return slices.Clone(o.data[start:end:end]), o.attrs(key), nil
}

// Head returns the attributes of key.
func (s *Store) Head(ctx context.Context, key string) (objectstore.Attrs, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.lookup(ctx, "head", key)
	if err != nil {
		return objectstore.Attrs{}, err
	}
	return o.attrs(key), nil
}

// Put stores a copy of data under key if cond holds.
func (s *Store) Put(ctx context.Context, key string, data []byte, cond objectstore.Condition) (objectstore.Attrs, error) {
	if err := ctx.Err(); err != nil {
		return objectstore.Attrs{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := objectstore.ValidateKey(key); err != nil {
		return objectstore.Attrs{}, fmt.Errorf("put: %w", err)
	}
	o := &object{data: slices.Clone(data), crc: objectstore.Checksum(data), mod: s.now()}
	if o.data == nil {
		o.data = []byte{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.objects[key]
	switch {
	case cond.CreateOnly && exists:
		return objectstore.Attrs{}, fmt.Errorf("put %s: create-only but the key exists: %w", key, objectstore.ErrPreconditionFailed)
	case cond.IfMatch != "" && !exists:
		return objectstore.Attrs{}, fmt.Errorf("put %s: if-match %s but the key is missing: %w", key, cond.IfMatch, objectstore.ErrPreconditionFailed)
	case cond.IfMatch != "" && old.etag != cond.IfMatch:
		return objectstore.Attrs{}, fmt.Errorf("put %s: if-match %s but the etag is %s: %w", key, cond.IfMatch, old.etag, objectstore.ErrPreconditionFailed)
	}
	s.gen++
	o.etag = fmt.Sprintf("%08x-%s", o.crc, strconv.FormatUint(s.gen, 36))
	if !exists {
		i, _ := slices.BinarySearch(s.keys, key)
		s.keys = slices.Insert(s.keys, i, key)
	}
	s.objects[key] = o
	return o.attrs(key), nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := objectstore.ValidateKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[key]; !ok {
		return nil
	}
	delete(s.objects, key)
	if i, ok := slices.BinarySearch(s.keys, key); ok {
		s.keys = slices.Delete(s.keys, i, i+1)
	}
	return nil
}

// List returns one page of keys under opts.Prefix after opts.StartAfter.
func (s *Store) List(ctx context.Context, opts objectstore.ListOptions) (objectstore.Page, error) {
	if err := ctx.Err(); err != nil {
		return objectstore.Page{}, fmt.Errorf("list %s: %w", opts.Prefix, err)
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = objectstore.DefaultListLimit
	}
	from := max(opts.Prefix, opts.StartAfter)
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, found := slices.BinarySearch(s.keys, from)
	if found && from == opts.StartAfter {
		i++
	}
	var page objectstore.Page
	for ; i < len(s.keys); i++ {
		k := s.keys[i]
		if !strings.HasPrefix(k, opts.Prefix) {
			break
		}
		if len(page.Objects) == limit {
			page.Next = page.Objects[limit-1].Key
			break
		}
		page.Objects = append(page.Objects, s.objects[k].attrs(k))
	}
	return page, nil
}

// Corrupt flips one stored byte of key (or, for an empty object, its stored
// checksum) without updating the checksum, so the next read must fail with
// objectstore.ErrCorrupt. It reports whether key exists.
func (s *Store) Corrupt(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[key]
	if !ok {
		return false
	}
	if len(o.data) == 0 {
		o.crc ^= 1
	} else {
		o.data[len(o.data)/2] ^= 0x40
	}
	return true
}

// Len returns the number of objects stored.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.objects)
}
