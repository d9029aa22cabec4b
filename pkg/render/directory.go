package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// skipMarker in a file keeps it out of the render (Argo CD's marker).
const skipMarker = "+argocd:skip-file-rendering"

// renderDirectory decodes every manifest file under dir, in lexical order,
// as Argo CD's directory source does: .git is skipped; a file that fails to
// decode is ignored unless it looks like a manifest (it mentions apiVersion,
// kind and metadata), so values.yaml or renovate.json beside the manifests
// do no harm; a dangling symlink is skipped. A *.jsonnet file is evaluated
// (jsonnet.go) and its output must be objects; *.libsonnet files are only
// imported.
func renderDirectory(ctx context.Context, repo fs.FS, dir string, opts DirectoryOptions, lim Limits) ([]*unstructured.Unstructured, error) {
	var (
		out   []*unstructured.Unstructured
		files int
		total int64
		jr    *jsonnetRenderer // made at the first *.jsonnet file
	)
	err := fs.WalkDir(repo, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", p, explain(err))
		}
		if err := ctxErr(ctx, p); err != nil {
			return err
		}
		rel := relTo(dir, p)
		if d.IsDir() && d.Name() == ".git" {
			return fs.SkipDir
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
			if errors.Is(err, fs.ErrNotExist) {
				return nil // dangling: Argo CD warns and skips
			}
			if err != nil {
				return fmt.Errorf("%s: %w", p, explain(err))
			}
			if fi.IsDir() {
				return nil // linked directories are not descended into
			}
		}
		isJsonnet := path.Ext(p) == ".jsonnet"
		if !(manifestExts[path.Ext(p)] || isJsonnet) || !selected(rel, opts) {
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
		if bytes.Contains(data, []byte(skipMarker)) {
			return nil
		}
		if isJsonnet {
			if jr == nil {
				if jr, err = newJsonnetRenderer(ctx, repo, dir, opts.Jsonnet, lim.Limits); err != nil {
					return err
				}
			}
			objs, n, err := jr.render(p, data)
			if err != nil {
				return err
			}
			// The output counts as bytes read: it is what gets decoded.
			if total += int64(n); lim.MaxTotalBytes > 0 && total > lim.MaxTotalBytes {
				return fmt.Errorf("%s: %w: more than %d bytes of manifests (with Jsonnet output)", displayPath(dir), ErrLimit, lim.MaxTotalBytes)
			}
			out = append(out, objs...)
			return nil
		}
		objs, err := object.Decode(p, data, lim.Limits)
		if err != nil {
			if mustReport(data, err) {
				return err
			}
			return nil // not a manifest (values.yaml, renovate.json...): ignored, as Argo CD does
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

// mustReport says whether a file that failed to decode is an error rather
// than a file that is not a manifest (values.yaml, renovate.json): limits
// exceeded, a document meant as an object (apiVersion or kind) that lacks a
// field, a failure after earlier documents decoded, or a file that looks
// like a manifest (Argo CD).
func mustReport(data []byte, err error) bool {
	var de *object.DecodeError
	switch {
	case errors.Is(err, object.ErrTooLarge), errors.Is(err, object.ErrAliasBomb), errors.Is(err, object.ErrTooDeep),
		errors.Is(err, object.ErrTooManyDocs), errors.Is(err, object.ErrIncomplete):
		return true
	case errors.As(err, &de) && de.Doc > 1:
		return true
	}
	return looksLikeManifest(data)
}

// looksLikeManifest is Argo CD's test for a file that failed to decode:
// if it mentions apiVersion, kind and metadata, the failure is an error.
func looksLikeManifest(data []byte) bool {
	for _, k := range []string{"apiVersion", "kind", "metadata"} {
		if !bytes.Contains(data, []byte(k+":")) && !bytes.Contains(data, []byte(`"`+k+`"`)) {
			return false
		}
	}
	return true
}

// selected applies include and exclude globs (Argo CD semantics: a file is
// read when it matches an include, or there are none, and no exclude; globs
// match the path relative to the source, and * crosses /).
func selected(rel string, opts DirectoryOptions) bool {
	if len(opts.Include) > 0 && !matchAny(opts.Include, rel) {
		return false
	}
	return !matchAny(opts.Exclude, rel)
}

func matchAny(globs []string, rel string) bool {
	for _, g := range globs {
		if re, err := globRegexp(g); err == nil && re.MatchString(rel) {
			return true
		}
	}
	return false
}

// globRegexp compiles a glob as gobwas/glob does without separators:
// * and ** match any run of characters (/ included), ? one character,
// [abc] [a-z] [!x] classes, {a,b} alternatives (nesting allowed), \ escapes.
func globRegexp(g string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	depth := 0
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("glob %q: unclosed [", g)
			}
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case '{':
			depth++
			b.WriteString("(?:")
		case '}':
			if depth == 0 {
				return nil, fmt.Errorf("glob %q: unmatched }", g)
			}
			depth--
			b.WriteString(")")
		case ',':
			if depth > 0 {
				b.WriteString("|")
			} else {
				b.WriteString(",")
			}
		case '\\':
			if i+1 < len(g) {
				i++
				b.WriteString(regexp.QuoteMeta(string(g[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("glob %q: unclosed {", g)
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
