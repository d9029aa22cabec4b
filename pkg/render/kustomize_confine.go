package render

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// within says whether p is root or below it.
func within(p, root string) bool {
	return root == "." || p == root || strings.HasPrefix(p, root+"/")
}

// inRemoteBase says whether dir is inside the mount of one of bases.
func inRemoteBase(dir string, bases []RemoteBase) bool {
	for _, rb := range bases {
		if within(dir, path.Clean(rb.Mount)) {
			return true
		}
	}
	return false
}

// confineRemoteBase refuses a local reference of the kustomizations of a
// remote base that leaves its clone. Mounted inside the application's
// filesystem, ../ would reach the application's repository or another
// remote base, where Kustomize confines a remote base to its own clone.
// Remote references are left to checkLocalBases, which refuses them.
func confineRemoteBase(repo fs.FS, rb RemoteBase) error {
	root := path.Clean(rb.Mount)
	return walkKustomizations(repo, path.Join(root, rb.Path), map[string]bool{}, func(d, file string, kz map[string]any) error {
		for _, r := range localRefs(kz) {
			if isRemote(r.ref) {
				continue
			}
			at := r.ref
			if r.at != "" {
				at = r.at
			}
			if p, err := joinPath(d, at); err == nil && within(p, root) {
				continue
			}
			return fmt.Errorf("remote base %q: %s: %s %q: %w (a remote base reads only its own repository)",
				rb.Ref, strings.TrimPrefix(file, root+"/"), r.field, r.ref, ErrEscape)
		}
		return nil
	})
}

// fieldRef is a path a kustomization names (ref, as written), with the
// field naming it; at is the path it reads, relative to the
// kustomization's directory ("": ref).
type fieldRef struct{ field, ref, at string }

// localRefs returns the paths of the fields of a kustomization that name
// files or directories (those checkLocalBases looks at), and the values
// files, chart directories and chartHome of its helmCharts.
func localRefs(kz map[string]any) []fieldRef {
	var out []fieldRef
	add := func(field string, v any) {
		for _, ref := range pathStrings(v) {
			out = append(out, fieldRef{field: field, ref: ref})
		}
	}
	for _, f := range append(append([]string{}, dirFields...), fileFields...) {
		add(f, kz[f])
	}
	if op, ok := kz["openapi"].(map[string]any); ok {
		add("openapi.path", op["path"])
	}
	for _, field := range slices.Sorted(maps.Keys(nestedFields)) {
		keys := nestedFields[field]
		items, _ := kz[field].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			for _, k := range keys {
				for _, ref := range pathStrings(m[k]) {
					out = append(out, fieldRef{field: field + "." + k, ref: ref})
					if _, p, ok := strings.Cut(ref, "="); ok { // files: [key=path]
						out = append(out, fieldRef{field: field + "." + k, ref: p})
					}
				}
			}
		}
	}
	home := "charts"
	if g, ok := kz["helmGlobals"].(map[string]any); ok {
		add("helmGlobals.chartHome", g["chartHome"])
		if h, ok := g["chartHome"].(string); ok && h != "" {
			home = h
		}
	}
	charts, _ := kz["helmCharts"].([]any)
	for _, it := range charts {
		m, _ := it.(map[string]any)
		add("helmCharts.valuesFile", m["valuesFile"])
		add("helmCharts.additionalValuesFiles", m["additionalValuesFiles"])
		if name, ok := m["name"].(string); ok && name != "" {
			// Where localChart looks for it: chartHome/NAME, or
			// chartHome/NAME-VERSION/NAME.
			out = append(out, fieldRef{"helmCharts.name", name, path.Join(home, name)})
			if v, ok := m["version"].(string); ok && v != "" {
				out = append(out, fieldRef{"helmCharts.version", v, path.Join(home, name+"-"+v, name)})
			}
		}
	}
	return out
}
