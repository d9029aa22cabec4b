package declare

import (
	"fmt"

	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Unique splits objs into those declared once and a refusal for each
// document of an object declared more than once, naming every place it
// is declared: which one was meant cannot be known, so none is applied.
func Unique(objs []manifest.Object) ([]manifest.Object, []*pb.ApplyResult) {
	where := map[string][]manifest.Object{}
	for _, o := range objs {
		k := Key(o.Kind, o.Name)
		where[k] = append(where[k], o)
	}
	var ok []manifest.Object
	var refused []*pb.ApplyResult
	for _, o := range objs {
		all := where[Key(o.Kind, o.Name)]
		if len(all) == 1 {
			ok = append(ok, o)
			continue
		}
		places := ""
		for i, d := range all {
			if i > 0 {
				places += ", "
			}
			places += fmt.Sprintf("%s document %d", d.File, d.Index+1)
		}
		refused = append(refused, &pb.ApplyResult{File: o.File, Index: int32(o.Index), Kind: o.Kind, Name: o.Name, Action: Refused,
			Error: fmt.Sprintf("%s %s is declared %d times (%s): none is applied", o.Kind, o.Name, len(all), places)})
	}
	return ok, refused
}

// Key names a declared object by kind and name, Argo CD's AppProject
// being a Project.
func Key(kind, name string) string {
	if kind == "AppProject" {
		kind = "Project"
	}
	return kind + "/" + name
}
