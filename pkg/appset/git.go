package appset

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"sigs.k8s.io/yaml"
)

// pathEntry is one directories[i] or files[i] item.
type pathEntry struct {
	path    string
	exclude bool
}

// git is the Git generator: directories or files of repoURL at revision.
func (c *genCtx) git(p string, body map[string]any) ([]map[string]any, error) {
	if err := checkKeys(p, body, "repoURL", "revision", "directories", "files",
		"pathParamPrefix", "values", "template", "requeueAfterSeconds"); err != nil {
		return nil, err
	}
	repo, err := str(p+".repoURL", body["repoURL"], true)
	if err != nil {
		return nil, err
	}
	rev, err := str(p+".revision", body["revision"], false)
	if err != nil {
		return nil, err
	}
	if rev == "" {
		rev = "HEAD"
	}
	prefix, err := str(p+".pathParamPrefix", body["pathParamPrefix"], false)
	if err != nil {
		return nil, err
	}
	_, hasDirs := body["directories"]
	_, hasFiles := body["files"]
	if hasDirs == hasFiles {
		return nil, fmt.Errorf("%s: %w: exactly one of directories and files", p, ErrInvalid)
	}
	if c.in.Git == nil {
		return nil, fmt.Errorf("%s: %w: no Git reader given", p, ErrInvalid)
	}
	c.repos[repo] = true
	if hasDirs {
		return c.gitDirs(p, body, repo, rev, prefix)
	}
	return c.gitFiles(p, body, repo, rev, prefix)
}

func (c *genCtx) gitDirs(p string, body map[string]any, repo, rev, prefix string) ([]map[string]any, error) {
	entries, err := pathEntries(p+".directories", body["directories"])
	if err != nil {
		return nil, err
	}
	dirs, err := c.in.Git.Dirs(repo, rev)
	if err != nil {
		return nil, fmt.Errorf("%s: %s@%s: %w", p, repo, rev, err)
	}
	dirs = append([]string(nil), dirs...)
	sort.Strings(dirs)
	var sets []map[string]any
	for _, d := range dirs {
		if hidden(d) {
			continue // Argo CD's repo server skips dot-directories
		}
		include, exclude := false, false
		for _, e := range entries {
			if doublestar.MatchUnvalidated(e.path, d) {
				include = include || !e.exclude
				exclude = exclude || e.exclude
			}
		}
		if !include || exclude {
			continue
		}
		if len(sets) >= MaxApps {
			return nil, fmt.Errorf("%s.directories: %w: more than %d directories", p, ErrTooMany, MaxApps)
		}
		params := map[string]any{}
		pathParams(params, c.r.goTemplate, prefix, d, "")
		if err := c.addValues(p+".values", body["values"], params); err != nil {
			return nil, err
		}
		sets = append(sets, params)
	}
	return sets, nil
}

func (c *genCtx) gitFiles(p string, body map[string]any, repo, rev, prefix string) ([]map[string]any, error) {
	entries, err := pathEntries(p+".files", body["files"])
	if err != nil {
		return nil, err
	}
	found := map[string][]byte{}
	from := map[string]int{} // file -> index of the entry that found it
	excluded := map[string]bool{}
	for i, e := range entries {
		files, err := c.in.Git.Files(repo, rev, e.path)
		if err != nil {
			return nil, fmt.Errorf("%s.files[%d].path: %s@%s: %w", p, i, repo, rev, err)
		}
		for f, b := range files {
			if e.exclude {
				excluded[f] = true
			} else if _, ok := found[f]; !ok {
				found[f], from[f] = b, i
			}
		}
	}
	var sets []map[string]any
	for _, f := range sortedKeys(found) {
		if excluded[f] {
			continue
		}
		fp := fmt.Sprintf("%s.files[%d].path: %s", p, from[f], f)
		objs, err := parseFile(found[f])
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", fp, ErrInvalid, err)
		}
		if len(sets)+len(objs) > MaxApps {
			return nil, fmt.Errorf("%s.files: %w: more than %d parameter sets", p, ErrTooMany, MaxApps)
		}
		for _, o := range objs {
			params := o
			if !c.r.goTemplate {
				params = map[string]any{}
				flatten("", o, params)
			}
			pathParams(params, c.r.goTemplate, prefix, path.Dir(f), path.Base(f))
			if err := c.addValues(p+".values", body["values"], params); err != nil {
				return nil, fmt.Errorf("%w (file %s)", err, f)
			}
			sets = append(sets, params)
		}
	}
	return sets, nil
}

// hidden says whether a segment of dir starts with ".".
func hidden(dir string) bool {
	return strings.HasPrefix(dir, ".") || strings.Contains(dir, "/.")
}

// parseFile reads a JSON or YAML file as Argo CD does: a list of objects
// gives one param set each, an object gives one, an empty file one empty set.
func parseFile(b []byte) ([]map[string]any, error) {
	var list []map[string]any
	if err := yaml.Unmarshal(b, &list); err == nil {
		if len(list) == 0 {
			return []map[string]any{{}}, nil
		}
		for i, o := range list {
			if o == nil {
				list[i] = map[string]any{}
			}
		}
		return list, nil
	}
	var obj map[string]any
	if err := yaml.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("not a JSON or YAML object or list of objects: %w", err)
	}
	if obj == nil {
		obj = map[string]any{}
	}
	return []map[string]any{obj}, nil
}

// pathEntries decodes [{path, exclude}] at p, checking each glob.
func pathEntries(p string, raw any) ([]pathEntry, error) {
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: %w: must be a list", p, ErrInvalid)
	}
	out := make([]pathEntry, 0, len(list))
	for i, r := range list {
		ep := fmt.Sprintf("%s[%d]", p, i)
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %w: must be an object", ep, ErrInvalid)
		}
		if err := checkKeys(ep, m, "path", "exclude"); err != nil {
			return nil, err
		}
		glob, err := str(ep+".path", m["path"], true)
		if err != nil {
			return nil, err
		}
		if !doublestar.ValidatePattern(glob) {
			return nil, fmt.Errorf("%s.path: %w: bad glob %q", ep, ErrInvalid, glob)
		}
		e := pathEntry{path: glob}
		if x, ok := m["exclude"]; ok && x != nil {
			if e.exclude, ok = x.(bool); !ok {
				return nil, fmt.Errorf("%s.exclude: %w: must be a boolean", ep, ErrInvalid)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// str reads a string field; required says whether it may be absent or empty.
func str(p string, raw any, required bool) (string, error) {
	if raw == nil {
		if required {
			return "", fmt.Errorf("%s: %w: required", p, ErrInvalid)
		}
		return "", nil
	}
	s, ok := raw.(string)
	if !ok {
		return "", fmt.Errorf("%s: %w: must be a string", p, ErrInvalid)
	}
	if required && s == "" {
		return "", fmt.Errorf("%s: %w: required", p, ErrInvalid)
	}
	return s, nil
}
