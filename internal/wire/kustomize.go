package wire

import (
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// KustomizeFromPB converts an application's Kustomize overrides to the
// renderer's, with ex applied to every string value (the hub expands
// cluster references there); label and annotation keys are kept as they
// are. A nil ex keeps the values.
func KustomizeFromPB(k *pb.KustomizeSource, ex func(string) string) render.KustomizeOptions {
	if ex == nil {
		ex = func(s string) string { return s }
	}
	o := render.KustomizeOptions{NamePrefix: ex(k.GetNamePrefix()), NameSuffix: ex(k.GetNameSuffix()), Namespace: ex(k.GetNamespace()),
		CommonLabels: expandValues(k.GetCommonLabels(), ex), CommonAnnotations: expandValues(k.GetCommonAnnotations(), ex),
		EnableHelm: k.GetEnableHelm()}
	for _, im := range k.GetImages() {
		o.Images = append(o.Images, ex(im))
	}
	for _, r := range k.GetReplicas() {
		o.Replicas = append(o.Replicas, render.KustomizeReplica{Name: ex(r.GetName()), Count: int64(r.GetCount())})
	}
	for _, p := range k.GetPatches() {
		rp := render.KustomizePatch{Patch: ex(p.GetPatch()), Path: ex(p.GetPath())}
		if t := p.GetTarget(); t != nil {
			rp.Target = &render.KustomizeSelector{Group: ex(t.GetGroup()), Version: ex(t.GetVersion()), Kind: ex(t.GetKind()),
				Name: ex(t.GetName()), Namespace: ex(t.GetNamespace()), LabelSelector: ex(t.GetLabelSelector()),
				AnnotationSelector: ex(t.GetAnnotationSelector())}
		}
		o.Patches = append(o.Patches, rp)
	}
	return o
}

func expandValues(m map[string]string, ex func(string) string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = ex(v)
	}
	return out
}
