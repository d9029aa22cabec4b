package appset

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestGenerateErrors(t *testing.T) {
	tests := map[string]struct {
		spec string
		is   error
		want []string // substrings of the error
	}{
		"go template parse error": {
			spec: `
goTemplate: true
generators: [{list: {elements: [{a: x}]}}]
template: {metadata: {name: '{{.a}}'}, spec: {source: {path: '{{ .a '}}}`,
			is:   ErrTemplate,
			want: []string{"spec.template.spec.source.path:", `"a":"x"`},
		},
		"missingkey=error": {
			spec: `
goTemplate: true
goTemplateOptions: [missingkey=error]
generators: [{list: {elements: [{a: x}]}}]
template: {metadata: {name: '{{.a}}'}, spec: {source: {path: '{{.missing}}'}}}`,
			is:   ErrTemplate,
			want: []string{"spec.template.spec.source.path:", "missing", `(params {"a":"x"})`},
		},
		"unknown goTemplateOptions": {
			spec: `{goTemplate: true, goTemplateOptions: [bogus], generators: [], template: {}}`,
			is:   ErrInvalid,
			want: []string{"spec.goTemplateOptions[0]"},
		},
		"fasttemplate unclosed tag": {
			spec: `{generators: [{list: {elements: [{a: x}]}}], template: {metadata: {name: '{{a}}'}, spec: {path: 'x {{a'}}}`,
			is:   ErrTemplate,
			want: []string{"spec.template.spec.path:"},
		},
		"duplicate names": {
			spec: `
generators:
- list: {elements: [{a: x, b: '1'}]}
- list: {elements: [{a: z}, {a: x, b: '2'}]}
template: {metadata: {name: 'app-{{a}}'}, spec: {}}`,
			is:   ErrDuplicateName,
			want: []string{`"app-x"`, "spec.generators[0]", "spec.generators[1]"},
		},
		"invalid name": {
			spec: `{generators: [{list: {elements: [{a: 'Not_Valid'}]}}], template: {metadata: {name: '{{a}}'}}}`,
			is:   ErrInvalidName,
			want: []string{"spec.template.metadata.name", "Not_Valid"},
		},
		"missing name": {
			spec: `{generators: [{list: {elements: [{a: x}]}}], template: {metadata: {}, spec: {}}}`,
			is:   ErrInvalidName,
		},
		"unknown generator kind": {
			spec: `{generators: [{list: {elements: []}}, {bogus: {}}], template: {}}`,
			is:   ErrUnknownField,
			want: []string{"spec.generators[1]", "bogus"},
		},
		"unsupported generator kind": {
			spec: `{generators: [{matrix: {generators: [{list: {elements: [{a: x}]}}, {pullRequest: {}}]}}], template: {}}`,
			is:   ErrUnsupported,
			want: []string{"spec.generators[0].matrix.generators[1].pullRequest"},
		},
		"unknown git field": {
			spec: `{generators: [{git: {repoURL: r, directories: [{path: a}], revisoin: main}}], template: {}}`,
			is:   ErrUnknownField,
			want: []string{"spec.generators[0].git", "revisoin"},
		},
		"elementsYaml": {
			spec: `{generators: [{list: {elementsYaml: '- a: b'}}], template: {}}`,
			is:   ErrUnsupported,
			want: []string{"spec.generators[0].list.elementsYaml"},
		},
		"too deep": {
			spec: `
generators:
- matrix:
    generators:
    - list: {elements: [{a: x}]}
    - matrix:
        generators:
        - list: {elements: [{b: x}]}
        - merge:
            mergeKeys: [c]
            generators: [{list: {elements: [{c: x}]}}, {list: {elements: [{c: x}]}}]
template: {metadata: {name: x}}`,
			is:   ErrTooDeep,
			want: []string{"spec.generators[0].matrix.generators[1].matrix.generators[1].merge"},
		},
		"matrix with one generator": {
			spec: `{generators: [{matrix: {generators: [{list: {elements: [{a: x}]}}]}}], template: {}}`,
			is:   ErrInvalid,
			want: []string{"spec.generators[0].matrix.generators"},
		},
		"matrix conflicting params": {
			spec: `{generators: [{matrix: {generators: [{list: {elements: [{a: x}]}}, {list: {elements: [{a: z}]}}]}}], template: {}}`,
			is:   ErrInvalid,
			want: []string{"spec.generators[0].matrix", `"a"`},
		},
		"bad file content": {
			spec: `{generators: [{git: {repoURL: '` + repoURL + `', files: [{path: 'nothing/*'}, {path: 'clusters/*/config.yaml'}]}}], template: {}}`,
			is:   ErrInvalid,
			want: []string{"spec.generators[0].git.files[1].path: clusters/bad/config.yaml"},
		},
		"nested git error path": {
			spec: `
generators:
- list: {elements: []}
- matrix:
    generators:
    - clusters: {}
    - git: {repoURL: '` + repoURL + `', files: [{path: 'a/[b'}]}
template: {}`,
			is:   ErrInvalid,
			want: []string{"spec.generators[1].matrix.generators[1].git.files[0].path"},
		},
		"git read error": {
			spec: `{generators: [{git: {repoURL: 'https://elsewhere', directories: [{path: '*'}]}}], template: {}}`,
			want: []string{"spec.generators[0].git: https://elsewhere@HEAD", "not found"},
		},
		"merge duplicate keys": {
			spec: `{generators: [{merge: {mergeKeys: [a], generators: [{list: {elements: [{a: x}, {a: x}]}}, {list: {elements: []}}]}}], template: {}}`,
			is:   ErrInvalid,
			want: []string{"spec.generators[0].merge.generators[0]"},
		},
		"output too large": {
			spec: `{goTemplate: true, generators: [{list: {elements: [{a: x}]}}], template: {metadata: {name: '{{ repeat 2000000 "xx" }}'}}}`,
			is:   ErrTooLarge,
			want: []string{"spec.template.metadata.name"},
		},
		"printf width too large": {
			spec: `{goTemplate: true, generators: [{list: {elements: [{a: x}]}}], template: {metadata: {name: '{{ printf "%099999999d" 1 }}'}}}`,
			is:   ErrTooLarge,
		},
		"doubling in a loop": {
			spec: `{goTemplate: true, generators: [{list: {elements: [{a: x}]}}], template: {metadata: {name: '{{ $x := "ab" }}{{ range until 40 }}{{ $x = cat $x $x }}{{ end }}{{ $x }}'}}}`,
			is:   ErrTooLarge,
		},
		"env is removed": {
			spec: `{goTemplate: true, generators: [{list: {elements: [{a: x}]}}], template: {metadata: {name: '{{ env "HOME" }}'}}}`,
			is:   ErrTemplate,
			want: []string{`"env" not defined`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Generate(specOf(t, tc.spec), Inputs{Clusters: threeClusters, Git: &memGit{files: repoFiles}})
			if err == nil {
				t.Fatal("Generate succeeded, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestTooManyApps(t *testing.T) {
	list := func(key string, n int) map[string]any {
		elems := make([]any, n)
		for i := range elems {
			elems[i] = map[string]any{key: fmt.Sprint(i)}
		}
		return map[string]any{"list": map[string]any{"elements": elems}}
	}
	spec := func(a, b int) map[string]any {
		return map[string]any{
			"generators": []any{map[string]any{"matrix": map[string]any{"generators": []any{list("a", a), list("b", b)}}}},
			"template":   map[string]any{"metadata": map[string]any{"name": "app-{{a}}-{{b}}"}},
		}
	}
	res, err := Generate(spec(100, 100), Inputs{})
	if err != nil {
		t.Fatalf("10,000 apps: %v", err)
	}
	if len(res.Apps) != MaxApps {
		t.Fatalf("got %d apps, want %d", len(res.Apps), MaxApps)
	}
	if _, err := Generate(spec(101, 100), Inputs{}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("10,100 apps: got %v, want ErrTooMany", err)
	}
	if _, err := Generate(map[string]any{"generators": []any{list("a", 6000), list("b", 6000)},
		"template": map[string]any{"metadata": map[string]any{"name": "app-{{a}}{{b}}"}}}, Inputs{}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("12,000 apps from two generators: got %v, want ErrTooMany", err)
	}
}
