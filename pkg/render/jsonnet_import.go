package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/google/go-jsonnet"
)

// fsImporter resolves Jsonnet imports (import, importstr, importbin) inside
// the repository, in the order of go-jsonnet's FileImporter as Argo CD
// configures it (JPaths = [source dir, libs...]): the importing file's
// directory first, then the library paths from the last to the first, then
// the source directory. Paths it returns (foundAt) are repository-relative,
// so they name files in Jsonnet's error messages.
//
// An import that is absolute, climbs out of the repository or follows a
// symlink out of it is refused rather than skipped: go-jsonnet would read
// it from the host. The refusal is kept in refused, since go-jsonnet turns
// importer errors into text.
type fsImporter struct {
	ctx     context.Context // jsonnet.Importer takes none: checked at each import
	repo    fs.FS
	search  []string // after the importing file's directory, in search order
	maxFile int64
	cache   map[string]importEntry // by repository path; go-jsonnet requires the same Contents for the same foundAt
	refused error                  // the last import refused, for errors.Is
}

type importEntry struct {
	contents jsonnet.Contents
	exists   bool
}

// newImporter checks the library paths (relative to the repository root,
// as Argo CD resolves them) and builds the search list.
func newImporter(ctx context.Context, repo fs.FS, dir string, libs []string, maxFile int64) (*fsImporter, error) {
	search := make([]string, 0, len(libs)+1)
	for i := len(libs) - 1; i >= 0; i-- {
		lib, err := joinPath(".", libs[i])
		if err != nil {
			return nil, fmt.Errorf("jsonnet lib %q: %w", libs[i], ErrEscape)
		}
		search = append(search, lib)
	}
	search = append(search, dir)
	return &fsImporter{ctx: ctx, repo: repo, search: search, maxFile: maxFile, cache: map[string]importEntry{}}, nil
}

// Import implements jsonnet.Importer. importedFrom is "" for the file
// evaluated (EvaluateFile), else the foundAt of the importing file.
func (im *fsImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	from := importedFrom
	if from == "" {
		from = importedPath
	}
	if err := im.ctx.Err(); err != nil {
		return jsonnet.Contents{}, "", fmt.Errorf("import %q from %s: %w", importedPath, from, context.Cause(im.ctx))
	}
	if path.IsAbs(importedPath) || strings.Contains(importedPath, "\\") {
		return im.refuse(fmt.Errorf("import %q from %s: %w (imports are relative to the importing file or a library path)", importedPath, from, ErrEscape))
	}
	dirs := append([]string{path.Dir(importedFrom)}, im.search...)
	for _, d := range dirs {
		p := path.Join(d, importedPath)
		if _, err := cleanPath(p); err != nil {
			return im.refuse(fmt.Errorf("import %q from %s: %w", importedPath, from, ErrEscape))
		}
		e, err := im.read(p)
		if err != nil {
			return im.refuse(fmt.Errorf("import %q from %s: %w", importedPath, from, err))
		}
		if e.exists {
			return e.contents, p, nil
		}
	}
	return jsonnet.Contents{}, "", fmt.Errorf("import %q from %s: not found beside it nor in %s", importedPath, from, strings.Join(im.search, ", "))
}

func (im *fsImporter) refuse(err error) (jsonnet.Contents, string, error) {
	im.refused = err
	return jsonnet.Contents{}, "", err
}

// read returns the file at p, exists=false when there is none; any other
// failure (too large, not a regular file, a symlink out) is an error.
func (im *fsImporter) read(p string) (importEntry, error) {
	if e, ok := im.cache[p]; ok {
		return e, nil
	}
	var e importEntry
	data, err := readFile(im.repo, p, im.maxFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return e, err
	default:
		e = importEntry{contents: jsonnet.MakeContentsRaw(data), exists: true}
	}
	im.cache[p] = e
	return e, nil
}
