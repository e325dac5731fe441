package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// entry is one name in a directory of the object tree, with continuation
// directories of long segments flattened into their parent.
type entry struct {
	seg  string // the decoded key segment
	dir  bool   // a directory of keys under seg + "/"
	path string
}

// sortKey orders entries so that a depth-first walk yields keys in byte
// order: a directory stands for keys that all start with seg + "/".
func (e entry) sortKey() string {
	if e.dir {
		return e.seg + "/"
	}
	return e.seg
}

// readEntries appends the entries of dir, whose names continue segPrefix
// (non-empty only inside a continuation directory). Names that the mapping
// cannot produce are skipped.
func readEntries(dir, segPrefix string, out []entry) ([]entry, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil // removed by a concurrent Delete: no keys
	}
	if err != nil {
		return out, err
	}
	des, err := f.ReadDir(-1)
	f.Close()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return out, err
	}
	for _, de := range des {
		name := de.Name()
		last := name[len(name)-1]
		switch {
		case de.Type().IsRegular() && last == objectMark:
			if seg, ok := unescapeName(name[:len(name)-1]); ok {
				out = append(out, entry{seg: segPrefix + seg, path: filepath.Join(dir, name)})
			}
		case de.IsDir() && last == partMark:
			if part, ok := unescapeName(name[:len(name)-1]); ok {
				if out, err = readEntries(filepath.Join(dir, name), segPrefix+part, out); err != nil {
					return out, err
				}
			}
		case de.IsDir():
			if seg, ok := unescapeName(name); ok {
				out = append(out, entry{seg: segPrefix + seg, dir: true, path: filepath.Join(dir, name)})
			}
		}
	}
	return out, nil
}

// lister collects the keys of one List page.
type lister struct {
	ctx    context.Context
	prefix string
	after  string
	want   int // limit + 1, to learn whether more follow
	keys   []entry
}

var errPageFull = errors.New("page full")

// walk visits dir, which holds the keys starting with keyPrefix, in key
// order, skipping subtrees that cannot hold a key of the page.
func (l *lister) walk(dir, keyPrefix string) error {
	if err := l.ctx.Err(); err != nil {
		return err
	}
	entries, err := readEntries(dir, "", nil)
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.sortKey(), b.sortKey()) })
	for _, e := range entries {
		if !e.dir {
			key := keyPrefix + e.seg
			if key > l.after && strings.HasPrefix(key, l.prefix) {
				l.keys = append(l.keys, entry{seg: key, path: e.path})
				if len(l.keys) == l.want {
					return errPageFull
				}
			}
			continue
		}
		sub := keyPrefix + e.seg + "/"
		if !strings.HasPrefix(sub, l.prefix) && !strings.HasPrefix(l.prefix, sub) {
			continue // no key under sub has the prefix
		}
		if sub <= l.after && !strings.HasPrefix(l.after, sub) {
			continue // every key under sub sorts before StartAfter
		}
		if err := l.walk(e.path, sub); err != nil {
			return err
		}
	}
	return nil
}

// List returns a page of keys under opts.Prefix after opts.StartAfter in
// byte order. It walks only the directories that can hold such keys and
// reads the header of each listed object. An object whose header is corrupt
// is listed with only its Key set; reading it returns ErrCorrupt.
func (s *Store) List(ctx context.Context, opts objectstore.ListOptions) (objectstore.Page, error) {
	if err := ctx.Err(); err != nil {
		return objectstore.Page{}, fmt.Errorf("list %s: %w", opts.Prefix, err)
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = objectstore.DefaultListLimit
	}
	l := &lister{ctx: ctx, prefix: opts.Prefix, after: opts.StartAfter, want: limit + 1}
	dir, keyPrefix := prefixDir(opts.Prefix)
	if err := l.walk(filepath.Join(s.objects, dir), keyPrefix); err != nil && !errors.Is(err, errPageFull) {
		return objectstore.Page{}, fmt.Errorf("list %s: %w", opts.Prefix, err)
	}
	var page objectstore.Page
	if len(l.keys) > limit {
		l.keys = l.keys[:limit]
		page.Next = l.keys[limit-1].seg
	}
	page.Objects = make([]objectstore.Attrs, 0, len(l.keys))
	for _, e := range l.keys {
		f, err := os.Open(e.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since the walk
		}
		if err != nil {
			return objectstore.Page{}, fmt.Errorf("list %s: %w", opts.Prefix, err)
		}
		h, err := readHeader(f)
		f.Close()
		switch {
		case errors.Is(err, objectstore.ErrCorrupt):
			page.Objects = append(page.Objects, objectstore.Attrs{Key: e.seg})
		case err != nil:
			return objectstore.Page{}, fmt.Errorf("list %s: %s: %w", opts.Prefix, e.seg, err)
		default:
			page.Objects = append(page.Objects, h.attrs(e.seg))
		}
	}
	return page, nil
}
