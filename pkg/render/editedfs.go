package render

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"time"
)

// editedFS is a repository with one file's content replaced in memory
// (the kustomization the overrides were written into). Every other path,
// and every check on it, is the repository's own.
type editedFS struct {
	repo fs.FS
	name string
	data []byte
	fi   fs.FileInfo // of the original file: name, mode, time
}

func newEditedFS(repo fs.FS, name string, data []byte) (fs.FS, error) {
	fi, err := fs.Stat(repo, name)
	if err != nil {
		return nil, explain(err)
	}
	return editedFS{repo: repo, name: name, data: data, fi: fi}, nil
}

// newAddedFS is the repository with one more file, name, which it must
// not already have.
func newAddedFS(repo fs.FS, name string, data []byte) (fs.FS, error) {
	if _, err := fs.Stat(repo, name); err == nil {
		return nil, fmt.Errorf("%s: %w: the repository already has it", name, fs.ErrExist)
	}
	return editedFS{repo: repo, name: name, data: data, fi: addedInfo{name: path.Base(name)}}, nil
}

// addedInfo describes a file that exists only in memory.
type addedInfo struct{ name string }

func (a addedInfo) Name() string       { return a.name }
func (a addedInfo) Size() int64        { return 0 } // memInfo gives the size
func (a addedInfo) Mode() fs.FileMode  { return 0o444 }
func (a addedInfo) ModTime() time.Time { return time.Time{} }
func (a addedInfo) IsDir() bool        { return false }
func (a addedInfo) Sys() any           { return nil }

var (
	_ fs.StatFS     = editedFS{}
	_ fs.ReadFileFS = editedFS{}
	_ fs.ReadDirFS  = editedFS{}
)

func (e editedFS) Open(name string) (fs.File, error) {
	if path.Clean(name) == e.name {
		return &memFile{Reader: bytes.NewReader(e.data), fi: e.info()}, nil
	}
	return e.repo.Open(name)
}

func (e editedFS) Stat(name string) (fs.FileInfo, error) {
	if path.Clean(name) == e.name {
		return e.info(), nil
	}
	return fs.Stat(e.repo, name)
}

func (e editedFS) ReadFile(name string) ([]byte, error) {
	if path.Clean(name) == e.name {
		return bytes.Clone(e.data), nil
	}
	return fs.ReadFile(e.repo, name)
}

func (e editedFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(e.repo, name) }

func (e editedFS) info() fs.FileInfo { return memInfo{FileInfo: e.fi, size: int64(len(e.data))} }

// memInfo is the original file's info with the edited size.
type memInfo struct {
	fs.FileInfo
	size int64
}

func (m memInfo) Size() int64 { return m.size }

type memFile struct {
	*bytes.Reader
	fi fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.fi, nil }
func (f *memFile) Close() error               { return nil }
