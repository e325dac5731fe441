package local

import (
	"path/filepath"
	"strings"
)

// Key to path mapping.
//
// A key's "/"-separated segments become directories, and its last segment
// becomes a file, under <root>/objects. Each segment is escaped: bytes other
// than lowercase ASCII letters, digits, '.', '_' and '-' become %XX
// (uppercase hex), so no segment can be special to the filesystem, and keys
// differing only in case stay apart on case-insensitive filesystems. The markers below use
// bytes that escaping never produces, which keeps every kind of name apart:
//
//	<seg>~   an object file (so key "a" and key "a/b" can both exist)
//	<seg>    a directory holding the keys under "<seg>/"
//	<part>+  a directory continuing a segment whose escaped form is longer
//	         than maxName bytes (it is cut into parts of at most maxName)
//
// ValidateKey already rejects empty, "." and ".." segments, NUL and absolute
// keys, so a path built here never leaves <root>/objects. Temporary files
// live in <root>/tmp and lock files in <root>/locks, never among objects.
const (
	objectMark = '~'
	partMark   = '+'
	maxName    = 200
)

// escapeSegment escapes one key segment.
func escapeSegment(seg string) string {
	n := 0
	for i := 0; i < len(seg); i++ {
		if !plain(seg[i]) {
			n++
		}
	}
	if n == 0 {
		return seg
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(seg) + 2*n)
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if plain(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func plain(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// unescapeName reverses escapeSegment; ok is false for names escapeSegment
// cannot produce.
func unescapeName(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	if !strings.Contains(name, "%") {
		for i := 0; i < len(name); i++ {
			if !plain(name[i]) {
				return "", false
			}
		}
		return name, true
	}
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case plain(c):
			b = append(b, c)
		case c == '%' && i+2 < len(name):
			hi, ok1 := unhex(name[i+1])
			lo, ok2 := unhex(name[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			b = append(b, hi<<4|lo)
			i += 2
		default:
			return "", false
		}
	}
	// Reject names escapeSegment would not produce (like "%61" for "a"),
	// so one key never has two paths.
	if escapeSegment(string(b)) != name {
		return "", false
	}
	return string(b), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// segmentParts cuts an escaped segment into path components: all but the
// last carry partMark. Cuts never split a %XX escape, and depend only on the
// bytes before them, so segments sharing an escaped prefix share its parts.
func segmentParts(esc string) []string {
	var parts []string
	for len(esc) > maxName {
		cut := maxName
		switch {
		case esc[cut-1] == '%':
			cut--
		case esc[cut-2] == '%':
			cut -= 2
		}
		parts = append(parts, esc[:cut]+string(partMark))
		esc = esc[cut:]
	}
	return append(parts, esc)
}

// dirComponents appends the path components of the directory holding keys
// under "<seg>/".
func dirComponents(dst []string, seg string) []string {
	return append(dst, segmentParts(escapeSegment(seg))...)
}

// objectPath returns the file of key relative to the objects directory.
// key must have passed ValidateKey.
func objectPath(key string) string {
	segs := strings.Split(key, "/")
	comps := make([]string, 0, len(segs)+1)
	for _, s := range segs[:len(segs)-1] {
		comps = dirComponents(comps, s)
	}
	comps = dirComponents(comps, segs[len(segs)-1])
	comps[len(comps)-1] += string(objectMark)
	return filepath.Join(comps...)
}

// prefixDir returns the directory (relative to the objects directory) that
// holds every key starting with prefix's complete segments, and the key
// prefix that directory stands for. For "a/b/c" it returns ("a/b", "a/b/").
func prefixDir(prefix string) (dir, keyPrefix string) {
	i := strings.LastIndexByte(prefix, '/')
	if i < 0 {
		return "", ""
	}
	var comps []string
	for s := range strings.SplitSeq(prefix[:i], "/") {
		if s == "" || s == "." || s == ".." {
			return "", "" // no key has this prefix; walk from the root and find nothing
		}
		comps = dirComponents(comps, s)
	}
	return filepath.Join(comps...), prefix[:i+1]
}
