package appset

import (
	"encoding/json"
	"testing"
)

// FuzzGenerate feeds arbitrary spec JSON to Generate: it must return, with
// apps or an error, and never panic.
func FuzzGenerate(f *testing.F) {
	seeds := []string{
		`{"generators":[{"list":{"elements":[{"a":"x"}]}}],"template":{"metadata":{"name":"{{a}}"}}}`,
		`{"goTemplate":true,"goTemplateOptions":["missingkey=error"],"generators":[{"clusters":{"selector":{"matchLabels":{"env":"prod"}},"values":{"v":"{{.name}}"}}}],"template":{"metadata":{"name":"{{.nameNormalized}}"}}}`,
		`{"generators":[{"git":{"repoURL":"` + repoURL + `","directories":[{"path":"apps/*"},{"path":"apps/legacy","exclude":true}]}}],"template":{"metadata":{"name":"{{path.basename}}"}}}`,
		`{"generators":[{"git":{"repoURL":"` + repoURL + `","files":[{"path":"clusters/**"}]}}],"template":{"metadata":{"name":"{{cluster.name}}"}}}`,
		`{"generators":[{"matrix":{"generators":[{"list":{"elements":[{"r":"` + repoURL + `"}]}},{"git":{"repoURL":"{{r}}","directories":[{"path":"*"}]}}]}}],"template":{"metadata":{"name":"{{path}}"}}}`,
		`{"generators":[{"merge":{"mergeKeys":["server"],"generators":[{"clusters":{}},{"list":{"elements":[{"server":"https://staging","x":"y"}]}}]}}],"template":{"metadata":{"name":"{{name}}{{x}}"}}}`,
		`{"goTemplate":true,"generators":[{"list":{"elements":[{"a":"x"}]},"selector":{"matchExpressions":[{"key":"a","operator":"Exists"}]}}],"template":{"metadata":{"name":"{{ .a | upper | lower }}"}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	in := Inputs{Clusters: threeClusters, Git: &memGit{files: repoFiles}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var spec map[string]any
		if err := json.Unmarshal(data, &spec); err != nil {
			return
		}
		res, err := Generate(spec, in)
		if err != nil {
			return
		}
		if len(res.Apps) > MaxApps {
			t.Fatalf("%d apps", len(res.Apps))
		}
		for i := 1; i < len(res.Apps); i++ {
			if res.Apps[i-1].Name >= res.Apps[i].Name {
				t.Fatalf("apps not sorted or duplicated: %q, %q", res.Apps[i-1].Name, res.Apps[i].Name)
			}
		}
	})
}
