package render

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Mount returns repo with each filesystem of mounts visible at its
// directory (a slash path inside repo, shadowing what repo has there):
// how a render sees the other repositories its kustomizations build on
// (remote bases the caller fetched). Directories above a mount point
// exist even when repo lacks them.
func Mount(repo fs.FS, mounts map[string]fs.FS) fs.FS {
	if len(mounts) == 0 {
		return repo
	}
	m := mountFS{base: repo, mounts: map[string]fs.FS{}}
	for at, sub := range mounts {
		m.mounts[path.Clean(at)] = sub
	}
	return m
}

type mountFS struct {
	base   fs.FS
	mounts map[string]fs.FS
}

var (
	_ fs.StatFS     = mountFS{}
	_ fs.ReadFileFS = mountFS{}
	_ fs.ReadDirFS  = mountFS{}
)

// route returns the mounted filesystem name falls in and its path there.
func (m mountFS) route(name string) (fs.FS, string, bool) {
	name = path.Clean(name)
	for at, sub := range m.mounts {
		if name == at {
			return sub, ".", true
		}
		if rest, ok := strings.CutPrefix(name, at+"/"); ok {
			return sub, rest, true
		}
	}
	return nil, "", false
}

// above says whether name is a directory holding a mount point.
func (m mountFS) above(name string) bool {
	name = path.Clean(name)
	for at := range m.mounts {
		if name == "." || strings.HasPrefix(at, name+"/") {
			return true
		}
	}
	return false
}

func (m mountFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if sub, rel, ok := m.route(name); ok {
		return sub.Open(rel)
	}
	f, err := m.base.Open(name)
	if errors.Is(err, fs.ErrNotExist) && m.above(name) {
		return dirFile{info: dirInfo(path.Base(name))}, nil
	}
	return f, err
}

func (m mountFS) Stat(name string) (fs.FileInfo, error) {
	if sub, rel, ok := m.route(name); ok {
		fi, err := fs.Stat(sub, rel)
		if err == nil && rel == "." {
			return dirInfo(path.Base(name)), nil
		}
		return fi, err
	}
	fi, err := fs.Stat(m.base, name)
	if errors.Is(err, fs.ErrNotExist) && m.above(name) {
		return dirInfo(path.Base(name)), nil
	}
	return fi, err
}

func (m mountFS) ReadFile(name string) ([]byte, error) {
	if sub, rel, ok := m.route(name); ok {
		return fs.ReadFile(sub, rel)
	}
	return fs.ReadFile(m.base, name)
}

func (m mountFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if sub, rel, ok := m.route(name); ok {
		return fs.ReadDir(sub, rel)
	}
	ents, err := fs.ReadDir(m.base, name)
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && m.above(name)) {
		return nil, err
	}
	dir := path.Clean(name)
	for at := range m.mounts {
		rest, ok := strings.CutPrefix(at, dir+"/")
		if dir == "." {
			rest, ok = at, true
		}
		if !ok {
			continue
		}
		child, _, _ := strings.Cut(rest, "/")
		ents = slices.DeleteFunc(ents, func(e fs.DirEntry) bool { return e.Name() == child })
		ents = append(ents, fs.FileInfoToDirEntry(dirInfo(child)))
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return slices.CompactFunc(ents, func(a, b fs.DirEntry) bool { return a.Name() == b.Name() }), nil
}

// dirInfo describes a directory that exists only as a mount's parent.
type dirInfo string

func (d dirInfo) Name() string       { return string(d) }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (d dirInfo) ModTime() time.Time { return time.Time{} }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }

type dirFile struct{ info fs.FileInfo }

func (d dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d dirFile) Read([]byte) (int, error)   { return 0, io.EOF }
func (d dirFile) Close() error               { return nil }
