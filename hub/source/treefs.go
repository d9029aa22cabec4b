package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// maxLinks bounds symlink hops in one lookup (as Linux's 40).
const maxLinks = 40

// TreeFS is a read-only fs.FS over one Git tree. Symlinks are resolved
// inside the tree; a link that leaves it is an error wrapping
// render.ErrEscape. Every path looked up is recorded with the Git hash it
// resolved to ("" for a path that does not exist), so a render can be
// re-used for a later commit in which none of them changed.
type TreeFS struct {
	s       storer.EncodedObjectStorer
	root    *object.Tree
	trees   *trees
	maxBlob int64

	mu    sync.Mutex
	reads map[string]string
}

// newTreeFS wraps a tree; c decodes its directories (shared per repository).
func newTreeFS(s storer.EncodedObjectStorer, root *object.Tree, c *trees) *TreeFS {
	return &TreeFS{s: s, root: root, trees: c, maxBlob: DefaultMaxBlobBytes, reads: map[string]string{}}
}

// DefaultMaxBlobBytes bounds one file read from Git: render refuses larger
// manifests anyway (object.DefaultLimits), and a small compressed blob
// must not inflate without bound in memory.
const DefaultMaxBlobBytes = 16 << 20

// LimitBlobs sets the largest file the tree reads, in bytes (<= 0: none).
func (t *TreeFS) LimitBlobs(n int64) { t.maxBlob = n }

// Reads returns the paths looked up so far and their hashes.
func (t *TreeFS) Reads() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]string, len(t.reads))
	for k, v := range t.reads {
		out[k] = v
	}
	return out
}

// Unchanged reports whether every path in reads resolves to the same hash
// in this tree.
func (t *TreeFS) Unchanged(reads map[string]string) bool {
	for p, h := range reads {
		e, err := t.lookup(p, true)
		got := ""
		if err == nil {
			got = e.hash.String()
		}
		if got != h {
			return false
		}
	}
	return true
}

type entry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (t *TreeFS) record(name string, e *entry, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil {
		t.reads[name] = e.hash.String()
	} else if errors.Is(err, fs.ErrNotExist) {
		t.reads[name] = ""
	}
}

// lookup resolves name (an fs.ValidPath) to an entry, following symlinks
// in every component, and in the last one when follow is set.
func (t *TreeFS) lookup(name string, follow bool) (*entry, error) {
	if !fs.ValidPath(name) {
		return nil, fs.ErrInvalid
	}
	root := &entry{name: ".", mode: filemode.Dir, hash: t.root.Hash}
	if name == "." {
		return root, nil
	}
	parts := strings.Split(name, "/")
	cur, dir := root, ""
	hops := 0
	for i := 0; i < len(parts); i++ {
		if cur.mode != filemode.Dir {
			return nil, fs.ErrNotExist
		}
		d, err := t.trees.get(cur.hash)
		if err != nil {
			return nil, fs.ErrNotExist
		}
		next := d.find(parts[i])
		if next == nil {
			return nil, fs.ErrNotExist
		}
		last := i == len(parts)-1
		if next.mode == filemode.Symlink && (!last || follow) {
			if hops++; hops > maxLinks {
				return nil, fmt.Errorf("%s: too many levels of symbolic links", name)
			}
			target, err := t.readBlob(path.Join(dir, parts[i]), next.hash)
			if err != nil {
				return nil, err
			}
			tgt := string(target)
			if path.IsAbs(tgt) {
				return nil, fmt.Errorf("symlink %s -> %s: %w", path.Join(dir, parts[i]), tgt, render.ErrEscape)
			}
			joined := path.Clean(path.Join(dir, tgt))
			if joined == ".." || strings.HasPrefix(joined, "../") {
				return nil, fmt.Errorf("symlink %s -> %s: %w", path.Join(dir, parts[i]), tgt, render.ErrEscape)
			}
			// Restart from the root with the link replaced by its target.
			rest := append(strings.Split(joined, "/"), parts[i+1:]...)
			if joined == "." {
				rest = parts[i+1:]
			}
			parts, cur, dir, i = rest, root, "", -1
			if len(parts) == 0 {
				return root, nil
			}
			continue
		}
		cur = next
		dir = path.Join(dir, parts[i])
	}
	return cur, nil
}

// readBlob reads the blob of the file name, refusing one over the limit
// before it is inflated (its size is in the object's header).
func (t *TreeFS) readBlob(name string, h plumbing.Hash) ([]byte, error) {
	if t.maxBlob > 0 {
		sz, err := t.s.EncodedObjectSize(h)
		if err != nil {
			return nil, err
		}
		if sz > t.maxBlob {
			return nil, fmt.Errorf("%s: %w: %d bytes > %d", name, ErrBlobTooLarge, sz, t.maxBlob)
		}
	}
	b, err := object.GetBlob(t.s, h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer r.Close()
	if t.maxBlob <= 0 {
		return io.ReadAll(r)
	}
	data, err := io.ReadAll(io.LimitReader(r, t.maxBlob+1))
	if err == nil && int64(len(data)) > t.maxBlob {
		err = fmt.Errorf("%s: %w: more than %d bytes", name, ErrBlobTooLarge, t.maxBlob)
	}
	return data, err
}

// ErrBlobTooLarge is a file in Git larger than the tree's limit.
var ErrBlobTooLarge = errors.New("file in Git exceeds the size limit")

func (t *TreeFS) resolve(op, name string) (*entry, error) {
	e, err := t.lookup(name, true)
	t.record(name, e, err)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return e, nil
}

// Open implements fs.FS.
func (t *TreeFS) Open(name string) (fs.File, error) {
	e, err := t.resolve("open", name)
	if err != nil {
		return nil, err
	}
	if e.mode == filemode.Dir {
		ents, err := t.readDir(name, e)
		if err != nil {
			return nil, err
		}
		return &dirFile{info: t.info(path.Base(name), e), ents: ents}, nil
	}
	b, err := t.readBlob(name, e.hash)
	if err != nil {
		return nil, err
	}
	return &file{info: t.info(path.Base(name), e), r: strings.NewReader(string(b))}, nil
}

// Stat implements fs.StatFS.
func (t *TreeFS) Stat(name string) (fs.FileInfo, error) {
	e, err := t.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return t.info(path.Base(name), e), nil
}

// ReadFile implements fs.ReadFileFS.
func (t *TreeFS) ReadFile(name string) ([]byte, error) {
	e, err := t.resolve("read", name)
	if err != nil {
		return nil, err
	}
	if e.mode == filemode.Dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	return t.readBlob(name, e.hash)
}

// ReadDir implements fs.ReadDirFS.
func (t *TreeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := t.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	return t.readDir(name, e)
}

func (t *TreeFS) readDir(name string, e *entry) ([]fs.DirEntry, error) {
	if e.mode != filemode.Dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	d, err := t.trees.get(e.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, 0, len(d.entries))
	for _, te := range d.entries {
		if te.mode == filemode.Submodule {
			continue
		}
		out = append(out, fs.FileInfoToDirEntry(t.info(te.name, &te)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (t *TreeFS) info(name string, e *entry) fs.FileInfo {
	fi := &info{name: name}
	switch e.mode {
	case filemode.Dir:
		fi.mode = fs.ModeDir | 0o755
	case filemode.Symlink:
		fi.mode = fs.ModeSymlink | 0o777
	case filemode.Executable:
		fi.mode = 0o755
	default:
		fi.mode = 0o644
	}
	if e.mode != filemode.Dir {
		if sz, err := t.s.EncodedObjectSize(e.hash); err == nil {
			fi.size = sz
		}
	}
	return fi
}

type info struct {
	name string
	size int64
	mode fs.FileMode
}

func (i *info) Name() string       { return i.name }
func (i *info) Size() int64        { return i.size }
func (i *info) Mode() fs.FileMode  { return i.mode }
func (i *info) ModTime() time.Time { return time.Time{} }
func (i *info) IsDir() bool        { return i.mode.IsDir() }
func (i *info) Sys() any           { return nil }

type file struct {
	info fs.FileInfo
	r    *strings.Reader
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *file) Close() error               { return nil }

type dirFile struct {
	info fs.FileInfo
	ents []fs.DirEntry
	off  int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Read([]byte) (int, error)   { return 0, errors.New("is a directory") }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.off:]
	if n <= 0 {
		d.off = len(d.ents)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}
