package render

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// renderDirectory decodes every manifest file under dir, in lexical order.
// Hidden files and directories (".git", ".github") are skipped.
func renderDirectory(ctx context.Context, repo fs.FS, dir string, opts DirectoryOptions, lim Limits) ([]*unstructured.Unstructured, error) {
	var (
		out   []*unstructured.Unstructured
		files int
		total int64
	)
	err := fs.WalkDir(repo, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", p, explain(err))
		}
		if err := ctxErr(ctx, p); err != nil {
			return err
		}
		rel := relTo(dir, p)
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && !opts.Recurse {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// os.Root resolves links inside the root; one that leaves it
			// (or dangles) fails here, naming the link.
			fi, err := fs.Stat(repo, p)
			if err != nil {
				return fmt.Errorf("%s: %w", p, explain(err))
			}
			if fi.IsDir() {
				return nil // linked directories are not descended into
			}
		}
		if !manifestExts[strings.ToLower(path.Ext(p))] || !selected(rel, opts) {
			return nil
		}
		files++
		if lim.MaxFiles > 0 && files > lim.MaxFiles {
			return fmt.Errorf("%s: %w: more than %d manifest files", displayPath(dir), ErrLimit, lim.MaxFiles)
		}
		data, err := readFile(repo, p, lim.MaxFileBytes)
		if err != nil {
			return err
		}
		total += int64(len(data))
		if lim.MaxTotalBytes > 0 && total > lim.MaxTotalBytes {
			return fmt.Errorf("%s: %w: more than %d bytes of manifests", displayPath(dir), ErrLimit, lim.MaxTotalBytes)
		}
		objs, err := object.Decode(p, data, lim.Limits)
		if err != nil {
			return err
		}
		out = append(out, objs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func relTo(dir, p string) string {
	if dir == "." {
		return p
	}
	return strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
}

// selected applies include and exclude globs (Argo CD semantics: a file is
// read when it matches an include, or there are none, and no exclude).
func selected(rel string, opts DirectoryOptions) bool {
	if len(opts.Include) > 0 && !matchAny(opts.Include, rel) {
		return false
	}
	return !matchAny(opts.Exclude, rel)
}

func matchAny(globs []string, rel string) bool {
	for _, g := range globs {
		for _, alt := range expandBraces(g) {
			if ok, _ := path.Match(alt, rel); ok { // a malformed glob matches nothing
				return true
			}
			if ok, _ := path.Match(alt, path.Base(rel)); ok && !strings.Contains(alt, "/") {
				return true
			}
		}
	}
	return false
}

// expandBraces expands the first {a,b} group recursively: "{x,y}/*.yaml" →
// ["x/*.yaml", "y/*.yaml"].
func expandBraces(g string) []string {
	i := strings.IndexByte(g, '{')
	if i < 0 {
		return []string{g}
	}
	j := strings.IndexByte(g[i:], '}')
	if j < 0 {
		return []string{g}
	}
	j += i
	var out []string
	for _, alt := range strings.Split(g[i+1:j], ",") {
		out = append(out, expandBraces(g[:i]+alt+g[j+1:])...)
	}
	return out
}
