package render

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// renderKustomize runs krusty on dir with Kustomize's defaults (load
// restrictions: root only; no exec or Helm plugins), as `kustomize build`.
func renderKustomize(ctx context.Context, repo fs.FS, dir string, lim Limits) ([]*unstructured.Unstructured, error) {
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
	rm, err := k.Run(kfs{repo: repo}, "/"+strings.TrimPrefix(dir, "."))
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

// checkLocalBases walks the kustomization tree and refuses remote
// resources, bases and components (Git or HTTP URLs): Kustomize would
// fetch them with git or HTTP from wherever it runs.
func checkLocalBases(repo fs.FS, dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	var file string
	for _, n := range kustomizationNames {
		if isFile(repo, path.Join(dir, n)) {
			file = path.Join(dir, n)
			break
		}
	}
	if file == "" {
		return nil // a plain resource directory; krusty reports what is wrong
	}
	data, err := fs.ReadFile(repo, file)
	if err != nil {
		return fmt.Errorf("%s: %w", file, explain(err))
	}
	var kz types.Kustomization
	if err := yaml.Unmarshal(data, &kz); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	refs := append(append(append([]string{}, kz.Resources...), kz.Bases...), kz.Components...) //nolint:staticcheck // Bases is deprecated but still honoured by krusty
	for _, r := range refs {
		if isRemote(r) {
			return fmt.Errorf("%s: %q: %w", file, r, ErrRemoteBase)
		}
		p, err := joinPath(dir, r)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if fi, err := fs.Stat(repo, p); err == nil && fi.IsDir() {
			if err := checkLocalBases(repo, p, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

func isRemote(ref string) bool {
	switch {
	case strings.Contains(ref, "://"), strings.HasPrefix(ref, "git@"),
		strings.HasPrefix(ref, "github.com/"), strings.HasPrefix(ref, "gitlab.com/"),
		strings.HasPrefix(ref, "bitbucket.org/"), strings.Contains(ref, "?ref="),
		strings.Contains(ref, ".git//"):
		return true
	}
	return false
}
