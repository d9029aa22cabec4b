package declare

import (
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
)

// yamlDiff is a unified diff of two documents' YAML ("" for nil).
func yamlDiff(before, after map[string]any, name string) string {
	text := func(m map[string]any) string {
		if m == nil {
			return ""
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return err.Error()
		}
		return string(b)
	}
	d, err := diff.Unified(text(before), text(after), "live/"+name, "declared/"+name)
	if err != nil {
		return err.Error()
	}
	return d
}
