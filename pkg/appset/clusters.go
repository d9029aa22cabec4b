package appset

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/labels"
)

// clusters is the cluster generator: one param set per registered cluster
// whose labels match selector, in name order.
func (c *genCtx) clusters(path string, body map[string]any) ([]map[string]any, error) {
	if _, ok := body["flatList"]; ok {
		return nil, fmt.Errorf("%s.flatList: %w", path, ErrUnsupported)
	}
	if err := checkKeys(path, body, "selector", "values", "template"); err != nil {
		return nil, err
	}
	sel := labels.Everything()
	if raw, ok := body["selector"]; ok && raw != nil {
		var err error
		if sel, err = labelSelector(path+".selector", raw); err != nil {
			return nil, err
		}
	}
	cl := append([]Cluster(nil), c.in.Clusters...)
	sort.SliceStable(cl, func(i, j int) bool { return cl[i].Name < cl[j].Name })
	var sets []map[string]any
	for _, k := range cl {
		if !sel.Matches(labels.Set(k.Labels)) {
			continue
		}
		p := clusterParams(k, c.r.goTemplate)
		if err := c.addValues(path+".values", body["values"], p); err != nil {
			return nil, err
		}
		sets = append(sets, p)
	}
	return sets, nil
}

// clusterParams are Argo CD's cluster params: name, nameNormalized, server,
// metadata.labels.<k>, metadata.annotations.<k> (nested for goTemplate).
func clusterParams(k Cluster, goTemplate bool) map[string]any {
	p := map[string]any{"name": k.Name, "nameNormalized": sanitizeName(k.Name), "server": k.Server}
	if goTemplate {
		p["metadata"] = map[string]any{"labels": stringMap(k.Labels), "annotations": stringMap(k.Annotations)}
		return p
	}
	for key, v := range k.Labels {
		p["metadata.labels."+key] = v
	}
	for key, v := range k.Annotations {
		p["metadata.annotations."+key] = v
	}
	return p
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
