package render

import (
	"bytes"
	"io/fs"
	"path"
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
