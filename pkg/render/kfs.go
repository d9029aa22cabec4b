package render

import (
	"bytes"
	"io/fs"
	"path"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// kfs presents a repository fs.FS to Kustomize as a read-only filesystem
// whose root "/" is the repository root. Kustomize joins and cleans paths
// before it asks, so "/../.." collapses to "/": nothing above the root
// can be named, and the fs.FS (os.Root) refuses symlinks that leave it.
// Every file Kustomize reads is bounded by max bytes (0: no limit).
type kfs struct {
	repo fs.FS
	max  int64
}

var _ filesys.FileSystem = kfs{}

func (k kfs) rel(p string) string {
	p = path.Clean("/" + filepath.ToSlash(p))
	if p == "/" {
		return "."
	}
	return p[1:]
}

func (k kfs) Create(string) (filesys.File, error) { return nil, ErrReadOnly }
func (k kfs) Mkdir(string) error                  { return ErrReadOnly }
func (k kfs) MkdirAll(string) error               { return ErrReadOnly }
func (k kfs) RemoveAll(string) error              { return ErrReadOnly }
func (k kfs) WriteFile(string, []byte) error      { return ErrReadOnly }

func (k kfs) Open(p string) (filesys.File, error) {
	b, err := readFile(k.repo, k.rel(p), k.max)
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(k.repo, k.rel(p))
	if err != nil {
		return nil, explain(err)
	}
	return &kfile{Reader: bytes.NewReader(b), fi: fi}, nil
}

func (k kfs) IsDir(p string) bool {
	fi, err := fs.Stat(k.repo, k.rel(p))
	return err == nil && fi.IsDir()
}

func (k kfs) Exists(p string) bool {
	_, err := fs.Stat(k.repo, k.rel(p))
	return err == nil
}

func (k kfs) ReadDir(p string) ([]string, error) {
	ents, err := fs.ReadDir(k.repo, k.rel(p))
	if err != nil {
		return nil, explain(err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

func (k kfs) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	r := k.rel(p)
	fi, err := fs.Stat(k.repo, r)
	if err != nil {
		return "", "", explain(err)
	}
	abs := absOf(r)
	if fi.IsDir() {
		return filesys.ConfirmedDir(path.Clean(abs)), "", nil
	}
	return filesys.ConfirmedDir(path.Dir(abs)), path.Base(abs), nil
}

func (k kfs) Glob(pattern string) ([]string, error) {
	m, err := fs.Glob(k.repo, k.rel(pattern))
	if err != nil {
		return nil, err
	}
	for i := range m {
		m[i] = "/" + m[i]
	}
	return m, nil
}

func (k kfs) ReadFile(p string) ([]byte, error) {
	return readFile(k.repo, k.rel(p), k.max)
}

func (k kfs) Walk(p string, fn filepath.WalkFunc) error {
	return fs.WalkDir(k.repo, k.rel(p), func(q string, d fs.DirEntry, err error) error {
		abs := absOf(q)
		if err != nil {
			return fn(abs, nil, explain(err))
		}
		fi, ierr := d.Info()
		return fn(abs, fi, ierr)
	})
}

// absOf is the absolute path Kustomize knows for a repository path: "."
// is the root; a name starting with a dot (.config) keeps it.
func absOf(rel string) string {
	if rel == "." {
		return "/"
	}
	return "/" + rel
}

type kfile struct {
	*bytes.Reader
	fi fs.FileInfo
}

func (f *kfile) Write([]byte) (int, error)  { return 0, ErrReadOnly }
func (f *kfile) Close() error               { return nil }
func (f *kfile) Stat() (fs.FileInfo, error) { return f.fi, nil }
