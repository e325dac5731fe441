// Package local is the embedded, strongly consistent objectstore.Store on a
// directory: vectorbucket's default backend.
//
// Layout of a store directory:
//
//	<root>/FORMAT       "vectorbucket-local 1": the directory format version
//	<root>/objects/...  one file per object (see objectPath for the mapping)
//	<root>/tmp/         files being written; leftovers of a crash are removed
//	<root>/locks/NN     lock files, one per stripe of keys
//
// Writes are crash-safe: the object is written to a temporary file, fsynced,
// renamed over the old one and the directory is fsynced, so a crash leaves
// the old object or the new one, never a torn one. Every file carries a
// header with the CRC32C of the data and of each 16 KiB block (format.go),
// checked on every read: whole reads check the whole-object CRC, ranged
// reads the blocks they touch; a mismatch is objectstore.ErrCorrupt and no
// bytes are returned.
//
// Every write (conditional or not) and every delete holds the key's lock
// stripe: a channel within the process and flock(2) across processes, so
// conditional puts are atomic across goroutines and across processes that
// share the directory. Reads take no lock: rename(2) makes each object
// change atomic to them.
//
// The package needs flock(2), so it builds on Unix systems only.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

const formatLine = "vectorbucket-local 1\n"

// Store is an objectstore.Store on a local directory. It is safe for
// concurrent use, and several Stores (in one or many processes) may share a
// directory.
type Store struct {
	root    string
	objects string
	tmp     string
	stripes []*stripe
}

var _ objectstore.Store = (*Store)(nil)

// Open opens the store in dir, creating it if needed. Temporary files older
// than an hour (left by a crash) are removed.
func Open(dir string) (*Store, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open local store %s: %w", dir, err)
	}
	s := &Store{root: root, objects: filepath.Join(root, "objects"), tmp: filepath.Join(root, "tmp"), stripes: newStripes(root)}
	for _, d := range []string{root, s.objects, s.tmp, filepath.Join(root, "locks")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open local store: %w", err)
		}
	}
	if err := s.checkFormat(); err != nil {
		return nil, fmt.Errorf("open local store %s: %w", root, err)
	}
	s.removeStaleTemps(time.Hour)
	return s, nil
}

// checkFormat writes FORMAT in a new store and rejects unknown formats.
func (s *Store) checkFormat() error {
	path := filepath.Join(s.root, "FORMAT")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err := os.CreateTemp(s.tmp, "format-*")
		if err != nil {
			return err
		}
		_, err = f.WriteString(formatLine)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			// Link fails if another process won the race; either way the
			// file now exists with the same content.
			if lerr := os.Link(f.Name(), path); lerr != nil && !errors.Is(lerr, fs.ErrExist) {
				err = lerr
			}
		}
		_ = os.Remove(f.Name())
		if err != nil {
			return fmt.Errorf("write FORMAT: %w", err)
		}
		return syncDir(s.root)
	}
	if err != nil {
		return err
	}
	if string(b) != formatLine {
		return fmt.Errorf("unknown store format %q (want %q)", strings.TrimSpace(string(b)), strings.TrimSpace(formatLine))
	}
	return nil
}

func (s *Store) removeStaleTemps(age time.Duration) {
	entries, _ := os.ReadDir(s.tmp)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			_ = os.Remove(filepath.Join(s.tmp, e.Name()))
		}
	}
}

// Close releases the store's lock files. The store must not be used after.
func (s *Store) Close() error {
	var errs []error
	for _, st := range s.stripes {
		errs = append(errs, st.close())
	}
	return errors.Join(errs...)
}

// Root returns the store's directory.
func (s *Store) Root() string { return s.root }

// Path returns the file that holds key (whether or not it exists). Tests
// use it to damage objects behind the store's back.
func (s *Store) Path(key string) (string, error) {
	if err := objectstore.ValidateKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.objects, objectPath(key)), nil
}

// begin checks ctx and key at the start of an operation and returns the
// object's path.
func (s *Store) begin(ctx context.Context, op, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s %s: %w", op, key, err)
	}
	if err := objectstore.ValidateKey(key); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return filepath.Join(s.objects, objectPath(key)), nil
}

// openObject opens the file at path, translating a missing file.
func openObject(op, key, path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %s: %w", op, key, objectstore.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, key, err)
	}
	return f, nil
}

// Get reads the whole object and verifies its checksum.
func (s *Store) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	path, err := s.begin(ctx, "get", key)
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	f, err := openObject("get", key, path)
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	buf := make([]byte, info.Size())
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, info.Size()), buf); err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	h, data, err := decodeObject(buf)
	if err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	return data, h.attrs(key), nil
}

// readHeader reads and verifies the header of an open object file.
func readHeader(f *os.File) (header, error) {
	var b [headerSize]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return header{}, fmt.Errorf("truncated header: %w", objectstore.ErrCorrupt)
		}
		return header{}, err
	}
	h, err := decodeHeader(b[:])
	if err != nil {
		return header{}, err
	}
	info, err := f.Stat()
	if err != nil {
		return header{}, err
	}
	if h.fileSize() != info.Size() {
		return header{}, fmt.Errorf("file is %d bytes, header says %d: %w", info.Size(), h.fileSize(), objectstore.ErrCorrupt)
	}
	return h, nil
}

// GetRange reads length bytes at offset (length < 0: to the end), verifying
// the checksum of every block it touches.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, objectstore.Attrs, error) {
	if offset == 0 && length < 0 {
		return s.Get(ctx, key)
	}
	path, err := s.begin(ctx, "get", key)
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	f, err := openObject("get", key, path)
	if err != nil {
		return nil, objectstore.Attrs{}, err
	}
	defer f.Close()
	h, err := readHeader(f)
	if err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	start, end, err := objectstore.ResolveRange(h.size, offset, length)
	if err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	if start == end {
		return []byte{}, h.attrs(key), nil
	}
	first, last := start/h.block, (end-1)/h.block
	table := make([]byte, 4*(last-first+1))
	if _, err := f.ReadAt(table, headerSize+4*first); err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: block table: %w", key, err)
	}
	bstart, bend := first*h.block, min((last+1)*h.block, h.size)
	buf := make([]byte, bend-bstart)
	if _, err := f.ReadAt(buf, h.dataOffset()+bstart); err != nil {
		return nil, objectstore.Attrs{}, fmt.Errorf("get %s: %w", key, err)
	}
	for i := first; i <= last; i++ {
		blk := buf[i*h.block-bstart : min((i+1)*h.block, h.size)-bstart]
		if got, want := objectstore.Checksum(blk), blockCRC(table, first, i); got != want {
			return nil, objectstore.Attrs{}, fmt.Errorf("get %s: block %d crc32c %08x, stored %08x: %w", key, i, got, want, objectstore.ErrCorrupt)
		}
	}
	return buf[start-bstart : end-bstart : end-bstart], h.attrs(key), nil
}

// Head returns the attributes recorded in the object's header.
func (s *Store) Head(ctx context.Context, key string) (objectstore.Attrs, error) {
	path, err := s.begin(ctx, "head", key)
	if err != nil {
		return objectstore.Attrs{}, err
	}
	f, err := openObject("head", key, path)
	if err != nil {
		return objectstore.Attrs{}, err
	}
	defer f.Close()
	h, err := readHeader(f)
	if err != nil {
		return objectstore.Attrs{}, fmt.Errorf("head %s: %w", key, err)
	}
	return h.attrs(key), nil
}

// currentETag returns the ETag of the object at path, or "" if it does not
// exist. A corrupt header counts as an unknown ETag: if-match fails, and
// create-only sees the key as present.
func currentETag(path string) (etag string, exists bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	h, err := readHeader(f)
	if errors.Is(err, objectstore.ErrCorrupt) {
		return "", true, nil
	}
	if err != nil {
		return "", true, err
	}
	return h.etag(), true, nil
}

// Put writes data to a temporary file, fsyncs it, and under the key's lock
// checks cond and renames the file into place, then fsyncs the directory.
func (s *Store) Put(ctx context.Context, key string, data []byte, cond objectstore.Condition) (objectstore.Attrs, error) {
	a, err := s.put(ctx, key, data, cond)
	return a, classify(err)
}

func (s *Store) put(ctx context.Context, key string, data []byte, cond objectstore.Condition) (objectstore.Attrs, error) {
	path, err := s.begin(ctx, "put", key)
	if err != nil {
		return objectstore.Attrs{}, err
	}
	hdr, h := encodeHeader(data, rand.Uint64(), time.Now())
	tmp, err := s.writeTemp(hdr, data)
	if err != nil {
		return objectstore.Attrs{}, fmt.Errorf("put %s: %w", key, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.Remove(tmp)
		}
	}()
	unlock, err := s.stripes[stripeOf(key)].lock(ctx)
	if err != nil {
		return objectstore.Attrs{}, fmt.Errorf("put %s: lock: %w", key, err)
	}
	dir, err := s.commit(key, path, tmp, cond)
	unlock()
	if err != nil {
		return objectstore.Attrs{}, err
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return objectstore.Attrs{}, fmt.Errorf("put %s: %w", key, err)
	}
	return h.attrs(key), nil
}

// commit checks cond and renames tmp to path; the caller holds the lock.
// It returns the directory to fsync.
func (s *Store) commit(key, path, tmp string, cond objectstore.Condition) (string, error) {
	if cond.CreateOnly || cond.IfMatch != "" {
		etag, exists, err := currentETag(path)
		switch {
		case err != nil:
			return "", fmt.Errorf("put %s: read current etag: %w", key, err)
		case cond.CreateOnly && exists:
			return "", fmt.Errorf("put %s: create-only but the key exists: %w", key, objectstore.ErrPreconditionFailed)
		case cond.IfMatch != "" && !exists:
			return "", fmt.Errorf("put %s: if-match %s but the key is missing: %w", key, cond.IfMatch, objectstore.ErrPreconditionFailed)
		case cond.IfMatch != "" && etag != cond.IfMatch:
			return "", fmt.Errorf("put %s: if-match %s but the etag is %s: %w", key, cond.IfMatch, etag, objectstore.ErrPreconditionFailed)
		}
	}
	dir := filepath.Dir(path)
	// A concurrent Delete may remove empty parent directories between our
	// mkdir and rename; retry a few times.
	for attempt := 0; ; attempt++ {
		err := os.Rename(tmp, path)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 10 {
			return "", fmt.Errorf("put %s: %w", key, err)
		}
		if err := s.mkdirs(dir); err != nil {
			return "", fmt.Errorf("put %s: %w", key, err)
		}
	}
}

// writeTemp writes header and data to a new fsynced file in the tmp
// directory and returns its path.
func (s *Store) writeTemp(hdr, data []byte) (string, error) {
	f, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(hdr)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// mkdirs creates dir and its missing parents under the objects directory,
// fsyncing each parent that gained an entry.
func (s *Store) mkdirs(dir string) error {
	if dir == s.objects {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err == nil {
		return syncDir(filepath.Dir(dir))
	} else if errors.Is(err, fs.ErrExist) {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := s.mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// Delete removes key under its lock, then removes directories left empty.
func (s *Store) Delete(ctx context.Context, key string) error {
	return classify(s.delete(ctx, key))
}

func (s *Store) delete(ctx context.Context, key string) error {
	path, err := s.begin(ctx, "delete", key)
	if err != nil {
		return err
	}
	unlock, err := s.stripes[stripeOf(key)].lock(ctx)
	if err != nil {
		return fmt.Errorf("delete %s: lock: %w", key, err)
	}
	err = os.Remove(path)
	unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	dir := filepath.Dir(path)
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	// Remove parents that became empty; rmdir fails harmlessly on the
	// first one that is not.
	for ; dir != s.objects; dir = filepath.Dir(dir) {
		if err := syscall.Rmdir(dir); err != nil {
			break
		}
	}
	return nil
}

// syncDir fsyncs a directory so that entries created or removed in it are
// durable. A directory that no longer exists (a later Delete emptied and
// removed it) needs no sync.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
