package render

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// renderKustomize runs krusty on dir with Kustomize's defaults (load
// restrictions: root only; no exec or Helm plugins), as `kustomize build`.
// Overrides (Argo CD's spec.source.kustomize) are written into the
// kustomization of dir first, as Argo CD's kustomize edit does.
func renderKustomize(ctx context.Context, repo fs.FS, dir string, o KustomizeOptions, lim Limits) ([]*unstructured.Unstructured, error) {
	if o.Overrides() {
		var err error
		if repo, err = withOverrides(repo, dir, o, lim); err != nil {
			return nil, err
		}
	}
	if len(o.RemoteBases) > 0 {
		var err error
		if repo, err = withRemoteBases(repo, dir, o.RemoteBases); err != nil {
			return nil, err
		}
	}
	if o.EnableHelm {
		var err error
		if repo, err = inflateHelmCharts(ctx, repo, dir, o.HelmCharts, lim); err != nil {
			return nil, err
		}
	}
	if err := checkLocalBases(repo, dir, map[string]bool{}); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, dir); err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	// As the kustomize CLI: a kustomization's sortOptions, else legacy order.
	opts.Reorder = krusty.ReorderOptionUnspecified
	k := krusty.MakeKustomizer(opts)
	rm, err := k.Run(kfs{repo: repo, max: lim.MaxFileBytes}, "/"+strings.TrimPrefix(dir, "."))
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", displayPath(dir), err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", displayPath(dir), err)
	}
	lim.MaxFileBytes = 0 // the inputs were bounded; the output may be larger
	return object.Decode("kustomize build "+displayPath(dir), out, lim.Limits)
}

// Fields of a kustomization that name files or directories. Kustomize
// fetches http(s) files itself and clones Git URLs with the git binary, so
// every one of them is checked, recursively through local directories.
var (
	dirFields  = []string{"resources", "bases", "components", "generators", "transformers", "validators"}
	fileFields = []string{"crds", "configurations", "patchesStrategicMerge"}
	// list fields whose entries carry paths under these keys
	nestedFields = map[string][]string{
		"patches": {"path"}, "patchesJson6902": {"path"}, "replacements": {"path"},
		"configMapGenerator": {"files", "envs", "env"}, "secretGenerator": {"files", "envs", "env"},
	}
)

// checkLocalBases walks the kustomization tree and refuses every remote
// reference (Git or HTTP URL) in a field that names a file or directory.
func checkLocalBases(repo fs.FS, dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	file, kz, err := readKustomization(repo, dir)
	if err != nil || file == "" {
		return err // none: a plain resource directory; krusty reports what is wrong
	}
	for _, k := range []string{"helmCharts", "helmChartInflationGenerator"} {
		if _, ok := kz[k]; ok {
			return fmt.Errorf("%s: %s: %w", file, k, ErrKustomizeHelm)
		}
	}
	refuse := func(ref string) error {
		if isRemote(ref) {
			return fmt.Errorf("%s: %q: %w", file, ref, ErrRemoteBase)
		}
		return nil
	}
	for _, f := range fileFields {
		for _, ref := range pathStrings(kz[f]) {
			if err := refuse(ref); err != nil {
				return err
			}
		}
	}
	if op, ok := kz["openapi"].(map[string]any); ok {
		for _, ref := range pathStrings(op["path"]) {
			if err := refuse(ref); err != nil {
				return err
			}
		}
	}
	for field, keys := range nestedFields {
		items, _ := kz[field].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			for _, k := range keys {
				for _, ref := range pathStrings(m[k]) {
					if _, p, ok := strings.Cut(ref, "="); ok { // files: [key=path]
						ref = p
					}
					if err := refuse(ref); err != nil {
						return err
					}
				}
			}
		}
	}
	for _, f := range dirFields {
		for _, ref := range pathStrings(kz[f]) {
			if err := refuse(ref); err != nil {
				return err
			}
			p, err := joinPath(dir, ref)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			fi, err := fs.Stat(repo, p)
			if err != nil {
				// Kustomize would try to clone what is not in the repository.
				return fmt.Errorf("%s: %s: %q %w", file, f, ref, ErrMissingBase)
			}
			if fi.IsDir() {
				if err := checkLocalBases(repo, p, seen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readKustomization returns the kustomization file of dir and its
// content ("" when dir has none).
func readKustomization(repo fs.FS, dir string) (string, map[string]any, error) {
	return readKustomizationWithin(repo, dir, nil)
}

// walkBudget bounds what one walk of a kustomization tree reads: a
// hostile repository can reuse one large blob in many directories.
type walkBudget struct{ files, bytes int64 }

const (
	maxKustomizations    = 1000     // kustomization files one walk reads
	maxKustomizationByte = 4 << 20  // bytes of one kustomization file
	maxWalkBytes         = 32 << 20 // bytes of every kustomization one walk reads
)

// readKustomizationWithin is readKustomization charging b (nil: no bound
// but the file size).
func readKustomizationWithin(repo fs.FS, dir string, b *walkBudget) (string, map[string]any, error) {
	var file string
	for _, n := range kustomizationNames {
		if isFile(repo, path.Join(dir, n)) {
			file = path.Join(dir, n)
			break
		}
	}
	if file == "" {
		return "", nil, nil
	}
	if b != nil {
		fi, err := fs.Stat(repo, file)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", file, explain(err))
		}
		b.files++
		b.bytes += fi.Size()
		switch {
		case fi.Size() > maxKustomizationByte:
			return "", nil, fmt.Errorf("%s: %w: %d bytes > %d", file, ErrLimit, fi.Size(), maxKustomizationByte)
		case b.files > maxKustomizations:
			return "", nil, fmt.Errorf("%s: %w: more than %d kustomizations", file, ErrLimit, maxKustomizations)
		case b.bytes > maxWalkBytes:
			return "", nil, fmt.Errorf("%s: %w: kustomizations of more than %d bytes in all", file, ErrLimit, maxWalkBytes)
		}
	}
	data, err := fs.ReadFile(repo, file)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", file, explain(err))
	}
	var kz map[string]any
	if err := yaml.Unmarshal(data, &kz); err != nil {
		return "", nil, fmt.Errorf("%s: %w", file, err)
	}
	return file, kz, nil
}

// walkKustomizations calls fn on the kustomization of dir and of every
// local directory it builds on (resources, bases, components...), once
// each; remote and missing references are left to checkLocalBases.
func walkKustomizations(repo fs.FS, dir string, seen map[string]bool, fn func(dir, file string, kz map[string]any) error) error {
	return walkWithin(repo, dir, seen, &walkBudget{}, fn)
}

func walkWithin(repo fs.FS, dir string, seen map[string]bool, b *walkBudget, fn func(dir, file string, kz map[string]any) error) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	file, kz, err := readKustomizationWithin(repo, dir, b)
	if err != nil || file == "" {
		return err
	}
	if err := fn(dir, file, kz); err != nil {
		return err
	}
	for _, f := range dirFields {
		for _, ref := range pathStrings(kz[f]) {
			p, err := joinPath(dir, ref)
			if err != nil || isRemote(ref) {
				continue
			}
			if fi, err := fs.Stat(repo, p); err == nil && fi.IsDir() {
				if err := walkWithin(repo, p, seen, b, fn); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// pathStrings returns the single-line strings of a string or list field
// (multi-line entries are inline YAML, not paths).
func pathStrings(v any) []string {
	var out []string
	add := func(x any) {
		if s, ok := x.(string); ok && !strings.Contains(s, "\n") {
			out = append(out, strings.TrimSpace(s))
		}
	}
	if l, ok := v.([]any); ok {
		for _, x := range l {
			add(x)
		}
	} else {
		add(v)
	}
	return out
}

// isRemote reports whether Kustomize would fetch ref over the network
// rather than read it from the repository: an http(s) URL (fetched as a
// file), or any form its Git URL parser accepts and clones
// (sigs.k8s.io/kustomize/api/internal/git.NewRepoSpecFromURL, which the
// loader tries before it looks for a local directory). After an optional
// "git::" prefix and without the "?query", that parser needs a scheme
// (ssh://, https://, http://, file://), a user@ prefix (scp-like
// "deploy@host:org/repo") or a github.com host ("github.com:org/repo");
// each is refused here, whatever follows it. The rest are belt and braces.
func isRemote(ref string) bool {
	n, _, _ := strings.Cut(ref, "?")
	n = trimPrefixFold(n, "git::")
	for _, scheme := range []string{"ssh://", "https://", "http://", "file://"} {
		if strings.HasPrefix(strings.ToLower(n), scheme) {
			return true
		}
	}
	lower := strings.ToLower(n)
	switch {
	case gitUser.MatchString(n), strings.HasPrefix(lower, "github.com/"), strings.HasPrefix(lower, "github.com:"),
		strings.Contains(ref, "://"), strings.HasPrefix(lower, "gitlab.com/"), strings.HasPrefix(lower, "bitbucket.org/"),
		strings.Contains(ref, "?ref="), strings.Contains(ref, ".git//"):
		return true
	}
	return false
}

// gitUser is Kustomize's username pattern: "deploy@" makes the rest an
// scp-like Git URL.
var gitUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}
