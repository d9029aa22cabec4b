package render

import (
	"fmt"
	"io/fs"
	"path"
	"sort"

	"sigs.k8s.io/yaml"
)

// withOverrides returns repo with the kustomization of dir rewritten by o,
// as Argo CD rewrites it with `kustomize edit` before `kustomize build`:
// the build then runs on the user's kustomization, with all the checks
// and limits of any other (nothing new is read but the patch files, from
// the repository, bounded as every file).
func withOverrides(repo fs.FS, dir string, o KustomizeOptions, lim Limits) (fs.FS, error) {
	file := kustomizationFile(repo, dir)
	if file == "" {
		return nil, fmt.Errorf("%s: path %s has no kustomization.yaml to override", kustomizeField, displayPath(dir))
	}
	data, err := readFile(repo, file, lim.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	var kz map[string]any
	if err := yaml.Unmarshal(data, &kz); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if kz == nil {
		kz = map[string]any{}
	}
	e := kustEdit{kz: kz, file: file}
	setString(kz, "namePrefix", o.NamePrefix)
	setString(kz, "nameSuffix", o.NameSuffix)
	e.setImages(o.Images)
	e.setReplicas(o.Replicas)
	e.addMeta("commonLabels", o.CommonLabels)
	e.addMeta("commonAnnotations", o.CommonAnnotations)
	setString(kz, "namespace", o.Namespace)
	e.addPatches(repo, dir, o.Patches, lim.MaxFileBytes)
	if e.err != nil {
		return nil, e.err
	}
	out, err := yaml.Marshal(kz)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return newEditedFS(repo, file, out)
}

func kustomizationFile(repo fs.FS, dir string) string {
	for _, n := range kustomizationNames {
		if isFile(repo, path.Join(dir, n)) {
			return path.Join(dir, n)
		}
	}
	return ""
}

func setString(kz map[string]any, key, v string) {
	if v != "" {
		kz[key] = v
	}
}

// kustEdit edits one kustomization; the first error sticks.
type kustEdit struct {
	kz   map[string]any
	file string
	err  error
}

// list returns the entries of a list field, each a map.
func (e *kustEdit) list(field string) []map[string]any {
	if e.err != nil || e.kz[field] == nil {
		return nil
	}
	items, ok := e.kz[field].([]any)
	if !ok {
		e.err = fmt.Errorf("%s: %s: want a list", e.file, field)
		return nil
	}
	out := make([]map[string]any, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			e.err = fmt.Errorf("%s: %s[%d]: want a mapping", e.file, field, i)
			return nil
		}
		out = append(out, m)
	}
	return out
}

// setByName writes a list keyed by name as `kustomize edit set image` and
// `set replicas` do: the kustomization's entries, each replaced by the
// override of the same name (merge may keep some of its values), sorted by
// name.
func (e *kustEdit) setByName(field string, overrides map[string]map[string]any, merge func(ov, old map[string]any)) {
	byName := map[string]map[string]any{}
	for _, m := range e.list(field) {
		n, _ := m["name"].(string)
		if ov, ok := overrides[n]; ok {
			merge(ov, m)
			continue
		}
		byName[n] = m
	}
	if e.err != nil {
		return
	}
	for n, ov := range overrides {
		byName[n] = ov
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]any, 0, len(names))
	for _, n := range names {
		out = append(out, byName[n])
	}
	e.kz[field] = out
}

func (e *kustEdit) setImages(images []string) {
	if len(images) == 0 {
		return
	}
	ovs := map[string]map[string]any{}
	for _, s := range images {
		im, _ := parseImage(s) // validated
		ovs[im.name] = map[string]any{"name": im.name, "newName": im.newName, "newTag": im.newTag, "digest": im.digest}
	}
	e.setByName("images", ovs, func(ov, old map[string]any) {
		for _, k := range []string{"newName", "newTag", "digest"} {
			if ov[k] == preserve { // "*": keep the kustomization's value
				ov[k] = old[k]
			}
		}
	})
	for _, ov := range ovs {
		for k, v := range ov {
			if v == "" || v == nil || v == preserve {
				delete(ov, k)
			}
		}
	}
}

// preserve, as a new name, tag or digest, keeps the kustomization's value.
const preserve = "*"

func (e *kustEdit) setReplicas(rs []KustomizeReplica) {
	if len(rs) == 0 {
		return
	}
	ovs := map[string]map[string]any{}
	for _, r := range rs {
		ovs[r.Name] = map[string]any{"name": r.Name, "count": r.Count}
	}
	e.setByName("replicas", ovs, func(_, _ map[string]any) {})
}

// addMeta adds labels or annotations as `kustomize edit add label`
// (without --force, as Argo CD runs it): a key the kustomization sets
// already is an error.
func (e *kustEdit) addMeta(field string, add map[string]string) {
	if e.err != nil || len(add) == 0 {
		return
	}
	m, ok := e.kz[field].(map[string]any)
	if e.kz[field] != nil && !ok {
		e.err = fmt.Errorf("%s: %s: want a mapping", e.file, field)
		return
	}
	if m == nil {
		m = map[string]any{}
	}
	for _, k := range sortedKeys(add) {
		if _, dup := m[k]; dup {
			e.err = fmt.Errorf("%s.%s[%s]: %s sets %s %s already (kustomize edit add refuses to overwrite it, as in Argo CD)",
				kustomizeField, field, k, e.file, field, k)
			return
		}
		m[k] = add[k]
	}
	e.kz[field] = m
}

// addPatches appends the patches after the kustomization's own; a patch
// file is read from the repository (relative to dir) and inlined.
func (e *kustEdit) addPatches(repo fs.FS, dir string, ps []KustomizePatch, max int64) {
	if len(ps) == 0 {
		return
	}
	list := e.list("patches")
	out := make([]any, 0, len(list)+len(ps))
	for _, m := range list {
		out = append(out, m)
	}
	for i, p := range ps {
		if e.err != nil {
			return
		}
		body := p.Patch
		if p.Path != "" {
			b, err := readPatch(repo, dir, p.Path, max)
			if err != nil {
				e.err = fmt.Errorf("%s.patches[%d].path: %w", kustomizeField, i, err)
				return
			}
			body = string(b)
		}
		entry := map[string]any{"patch": body}
		if p.Target != nil {
			entry["target"] = p.Target
		}
		out = append(out, entry)
	}
	e.kz["patches"] = out
}

func readPatch(repo fs.FS, dir, rel string, max int64) ([]byte, error) {
	if isRemote(rel) {
		return nil, fmt.Errorf("%q: %w", rel, ErrRemoteBase)
	}
	p, err := joinPath(dir, rel)
	if err != nil {
		return nil, err
	}
	return readFile(repo, p, max)
}
