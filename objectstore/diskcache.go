package objectstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The disk tier keeps one file per object, named by the SHA-256 of the key:
//
//	"VBC1" | crc32c (4, big-endian) of everything after it |
//	size (8) | mod time, Unix ns (8) | object CRC32C (4) |
//	etag length (2) | key length (2) | etag | key | object bytes
//
// Files are written to a temporary name and renamed, so readers never see a
// partial file; there is no fsync (a cache may lose files in a crash, and a
// torn file fails its checksum and is dropped).
const (
	diskMagic     = "VBC1"
	diskHeaderLen = 4 + 4 + 8 + 8 + 4 + 2 + 2
	diskExt       = ".obj"
)

type diskTier struct {
	dir   string
	limit int64

	mu        sync.Mutex
	files     map[string]*diskFile // by file name
	head      diskFile             // LRU ring sentinel; head.next is the newest
	bytes     int64
	evictions int64
	corrupt   int64
}

type diskFile struct {
	name       string
	size       int64
	prev, next *diskFile
}

func openDiskTier(dir string, limit int64) (*diskTier, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := &diskTier{dir: dir, limit: limit, files: make(map[string]*diskFile)}
	d.head.next, d.head.prev = &d.head, &d.head
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type found struct {
		name string
		size int64
		mod  time.Time
	}
	var fs []found
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		if !strings.HasSuffix(name, diskExt) {
			_ = os.Remove(filepath.Join(dir, name)) // a temporary file left by a crash
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		fs = append(fs, found{name, info.Size(), info.ModTime()})
	}
	// Oldest first, so the newest end up most recently used.
	slices.SortFunc(fs, func(a, b found) int { return a.mod.Compare(b.mod) })
	for _, f := range fs {
		d.addLocked(f.name, f.size)
	}
	d.evictLocked()
	return d, nil
}

func diskName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:20]) + diskExt
}

func (d *diskTier) stats() (entries, bytes, evictions, corrupt int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int64(len(d.files)), d.bytes, d.evictions, d.corrupt
}

func (d *diskTier) addLocked(name string, size int64) {
	if old, ok := d.files[name]; ok {
		d.unlinkLocked(old)
	}
	f := &diskFile{name: name, size: size}
	d.files[name] = f
	f.prev, f.next = &d.head, d.head.next
	d.head.next.prev = f
	d.head.next = f
	d.bytes += size
}

func (d *diskTier) unlinkLocked(f *diskFile) {
	f.prev.next, f.next.prev = f.next, f.prev
	delete(d.files, f.name)
	d.bytes -= f.size
}

func (d *diskTier) evictLocked() {
	for d.bytes > d.limit && d.head.prev != &d.head {
		victim := d.head.prev
		d.unlinkLocked(victim)
		_ = os.Remove(filepath.Join(d.dir, victim.name))
		d.evictions++
	}
}

// get reads and verifies key's file. A missing file is a miss; a damaged one
// is removed and is a miss too.
func (d *diskTier) get(key string) ([]byte, Attrs, bool) {
	name := diskName(key)
	d.mu.Lock()
	f, ok := d.files[name]
	if ok {
		f.prev.next, f.next.prev = f.next, f.prev
		f.prev, f.next = &d.head, d.head.next
		d.head.next.prev = f
		d.head.next = f
	}
	d.mu.Unlock()
	if !ok {
		return nil, Attrs{}, false
	}
	buf, err := os.ReadFile(filepath.Join(d.dir, name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			d.forget(name, false)
		}
		return nil, Attrs{}, false
	}
	data, attrs, err := decodeDiskFile(buf, key)
	if err != nil {
		d.forget(name, true)
		return nil, Attrs{}, false
	}
	return data, attrs, true
}

// forget drops name from the index (and the disk), counting corruption.
func (d *diskTier) forget(name string, corrupt bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, ok := d.files[name]; ok {
		d.unlinkLocked(f)
	}
	if corrupt {
		d.corrupt++
	}
	_ = os.Remove(filepath.Join(d.dir, name))
}

// put writes key's file and makes it visible if current() still holds once
// the disk lock is taken (so an invalidation that raced with the fetch wins).
func (d *diskTier) put(key string, data []byte, attrs Attrs, current func() bool) {
	buf := encodeDiskFile(key, data, attrs)
	if int64(len(buf)) > d.limit {
		return
	}
	tmp, err := os.CreateTemp(d.dir, "tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(buf)
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return
	}
	name := diskName(key)
	d.mu.Lock()
	defer d.mu.Unlock()
	if !current() || os.Rename(tmp.Name(), filepath.Join(d.dir, name)) != nil {
		_ = os.Remove(tmp.Name())
		return
	}
	d.addLocked(name, int64(len(buf)))
	d.evictLocked()
}

func (d *diskTier) remove(key string) {
	d.forget(diskName(key), false)
}

func encodeDiskFile(key string, data []byte, a Attrs) []byte {
	etag := a.ETag[:min(len(a.ETag), 0xffff)]
	buf := make([]byte, diskHeaderLen+len(etag)+len(key)+len(data))
	copy(buf, diskMagic)
	p := buf[8:]
	binary.BigEndian.PutUint64(p[0:], uint64(len(data)))
	var mod int64
	if !a.ModTime.IsZero() {
		mod = a.ModTime.UnixNano()
	}
	binary.BigEndian.PutUint64(p[8:], uint64(mod))
	binary.BigEndian.PutUint32(p[16:], Checksum(data))
	binary.BigEndian.PutUint16(p[20:], uint16(len(etag)))
	binary.BigEndian.PutUint16(p[22:], uint16(len(key)))
	n := diskHeaderLen
	n += copy(buf[n:], etag)
	n += copy(buf[n:], key)
	copy(buf[n:], data)
	binary.BigEndian.PutUint32(buf[4:], Checksum(buf[8:]))
	return buf
}

var errDiskFile = errors.New("damaged disk cache file")

// decodeDiskFile verifies buf and returns the object bytes (a subslice of
// buf) and attributes.
func decodeDiskFile(buf []byte, key string) ([]byte, Attrs, error) {
	if len(buf) < diskHeaderLen || string(buf[:4]) != diskMagic ||
		binary.BigEndian.Uint32(buf[4:]) != Checksum(buf[8:]) {
		return nil, Attrs{}, errDiskFile
	}
	p := buf[8:]
	size := binary.BigEndian.Uint64(p[0:])
	mod := int64(binary.BigEndian.Uint64(p[8:]))
	crc := binary.BigEndian.Uint32(p[16:])
	etagLen := int(binary.BigEndian.Uint16(p[20:]))
	keyLen := int(binary.BigEndian.Uint16(p[22:]))
	rest := buf[diskHeaderLen:]
	if uint64(len(rest)) != uint64(etagLen)+uint64(keyLen)+size || string(rest[etagLen:etagLen+keyLen]) != key {
		return nil, Attrs{}, errDiskFile
	}
	data := rest[etagLen+keyLen:]
	a := Attrs{Key: key, Size: int64(size), ETag: string(rest[:etagLen]), CRC32C: crc}
	if mod != 0 {
		a.ModTime = time.Unix(0, mod).UTC()
	}
	return data, a, nil
}
