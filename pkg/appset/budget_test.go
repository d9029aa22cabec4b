package appset

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// goSpec is a goTemplate set of one application from params whose
// spec.source.path is path.
func goSpec(params, path string) string {
	return fmt.Sprintf(`{goTemplate: true, generators: [{list: {elements: [%s]}}], template: {metadata: {name: app}, spec: {source: {path: '%s'}}}}`, params, path)
}

// generateWithin runs Generate and fails the test if it has not returned
// within d.
func generateWithin(t *testing.T, d time.Duration, spec map[string]any) (Result, error) {
	t.Helper()
	type result struct {
		res Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Generate(spec, Inputs{})
		done <- result{res, err}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.res, r.err
	case <-timer.C:
		t.Fatalf("Generate has not returned after %v", d)
		return Result{}, nil
	}
}

// elements is n list elements {a: a0}, {a: a1}...
func elements(n int) string {
	l := make([]string, n)
	for i := range l {
		l[i] = fmt.Sprintf("{a: a%d}", i)
	}
	return strings.Join(l, ", ")
}

func TestTemplateBudget(t *testing.T) {
	tests := map[string]struct {
		spec string
		is   error
		want []string // substrings of the error
	}{
		"nested ranges": {
			spec: goSpec(`{a: x}`, `{{ range until 10000 }}{{ range until 10000 }}{{ end }}{{ end }}`),
			is:   ErrBudget,
			want: []string{"spec.template.spec.source.path:", fmt.Sprint(MaxTemplateWork)},
		},
		"range over a huge integer": {
			spec: goSpec(`{a: x}`, `{{ range (mul 100000 100000) }}{{ end }}`),
			is:   ErrBudget,
		},
		"range over an integer literal": {
			spec: goSpec(`{a: x}`, `{{ range $i := 99999999999 }}{{ end }}`),
			is:   ErrBudget,
		},
		"range in an if branch": {
			spec: goSpec(`{a: x}`, `{{ if .a }}{{ range 2000000 }}{{ end }}{{ end }}`),
			is:   ErrBudget,
		},
		"range in an else branch": {
			spec: goSpec(`{a: x}`, `{{ if not .a }}{{ else if true }}{{ range 2000000 }}{{ end }}{{ end }}`),
			is:   ErrBudget,
		},
		"range in a with": {
			spec: goSpec(`{a: x}`, `{{ with .a }}{{ range 2000000 }}{{ end }}{{ else }}{{ end }}`),
			is:   ErrBudget,
		},
		"range in a range's else": {
			spec: goSpec(`{a: x}`, `{{ range .missing }}{{ else }}{{ range 2000000 }}{{ end }}{{ end }}`),
			is:   ErrBudget,
		},
		"a wide body": {
			spec: goSpec(`{a: x}`, `{{ range 100000 }}`+strings.Repeat(`{{ if 0 }}{{ end }}`, 20)+`{{ end }}`),
			is:   ErrBudget,
		},
		"big arguments in a loop": {
			spec: goSpec(`{a: x}`, `{{ $s := repeat 1000000 "a" }}{{ range 2000 }}{{ $h := sha256sum $s }}{{ end }}`),
			is:   ErrBudget,
			want: []string{"sha256sum"},
		},
		"a deep shared value": {
			spec: goSpec(`{a: x}`, `{{ $x := list (repeat 100000 "a") }}{{ range 40 }}{{ $x = list $x $x }}{{ end }}{{ toJson $x }}`),
			is:   ErrBudget,
		},
		"shared by the applications of a set": {
			spec: `{goTemplate: true, generators: [{list: {elements: [` + elements(100) + `]}}],
template: {metadata: {name: '{{ .a }}'}, spec: {source: {path: '{{ range 20000 }}{{ end }}'}}}}`,
			is: ErrBudget,
		},
		"shared by generators and the template": {
			spec: `{goTemplate: true, generators: [{matrix: {generators: [{list: {elements: [{a: x}]}},
{list: {elements: [{b: '{{ range 600000 }}{{ end }}'}]}}]}}],
template: {metadata: {name: '{{ .a }}{{ range 600000 }}{{ end }}'}, spec: {}}}`,
			is: ErrBudget,
		},
		"define and template": {
			spec: goSpec(`{a: x}`, `{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}`),
			is:   ErrTemplate,
			want: []string{"spec.template.spec.source.path:", "define, template and block are not allowed"},
		},
		"define alone": {
			spec: goSpec(`{a: x}`, `x{{ define "d" }}{{ end }}`),
			is:   ErrTemplate,
			want: []string{"not allowed"},
		},
		"define of the template itself": {
			spec: goSpec(`{a: x}`, `{{ define "" }}x{{ end }}`),
			is:   ErrTemplate,
			want: []string{"not allowed"},
		},
		"template": {
			spec: goSpec(`{a: x}`, `{{ if .a }}{{ template "x" }}{{ end }}`),
			is:   ErrTemplate,
			want: []string{"not allowed"},
		},
		"block": {
			spec: goSpec(`{a: x}`, `{{ block "b" . }}{{ .a }}{{ end }}`),
			is:   ErrTemplate,
			want: []string{"not allowed"},
		},
		"replace that would blow up": {
			spec: goSpec(`{a: x}`, `{{ $s := repeat 100000 "a" }}{{ replace "a" $s $s }}`),
			is:   ErrTooLarge,
			want: []string{"replace"},
		},
		"regexReplaceAll that would blow up": {
			spec: goSpec(`{a: x}`, `{{ $s := repeat 100000 "a" }}{{ regexReplaceAll "a" $s (repeat 1000 "$0") }}`),
			is:   ErrTooLarge,
		},
		"regexReplaceAllLiteral that would blow up": {
			spec: goSpec(`{a: x}`, `{{ $s := repeat 100000 "a" }}{{ regexReplaceAllLiteral "" $s $s }}`),
			is:   ErrTooLarge,
		},
		"join that would blow up": {
			spec: goSpec(`{a: x}`, `{{ join (repeat 100000 "a") (until 100000) }}`),
			is:   ErrTooLarge,
		},
		"wrapWith that would blow up": {
			spec: goSpec(`{a: x}`, `{{ $s := repeat 100000 "a " }}{{ wrapWith 1 (repeat 1000 "-") $s }}`),
			is:   ErrTooLarge,
		},
		"until is still capped": {
			spec: goSpec(`{a: x}`, `{{ until 200000 }}`),
			is:   ErrTooLarge,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := generateWithin(t, 5*time.Second, specOf(t, tc.spec))
			if err == nil {
				t.Fatal("Generate succeeded, want an error")
			}
			if !errors.Is(err, tc.is) {
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

func TestTemplateBudgetAllows(t *testing.T) {
	tests := map[string]struct {
		spec, want string
	}{
		"range over a list": {
			spec: goSpec(`{a: x, l: [p, q]}`, `{{ range $i, $e := .l }}{{ $i }}{{ $e }}{{ end }}`),
			want: "0p1q",
		},
		"range over a map": {
			spec: goSpec(`{a: x, m: {k: v, j: w}}`, `{{ range $k, $v := .m }}{{ $k }}={{ $v }},{{ end }}`),
			want: "j=w,k=v,",
		},
		"range over an integer": {
			spec: goSpec(`{a: x}`, `{{ range 3 }}{{ . }}{{ end }}`),
			want: "012",
		},
		"range else": {
			spec: goSpec(`{a: x}`, `{{ range .missing }}x{{ else }}none{{ end }}`),
			want: "none",
		},
		"break and continue": {
			spec: goSpec(`{a: x}`, `{{ range $i := until 10 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}{{ end }}`),
			want: "02",
		},
		"if and with": {
			spec: goSpec(`{a: x}`, `{{ if .a }}{{ with .a }}{{ . | upper }}{{ end }}{{ else }}no{{ end }}`),
			want: "X",
		},
		"nested ranges within the budget": {
			spec: goSpec(`{a: x}`, `{{ range until 300 }}{{ range until 300 }}{{ end }}{{ end }}done`),
			want: "done",
		},
		"a pipeline ranged over": {
			spec: goSpec(`{a: x}`, `{{ range $p := splitList "," "a,b" | sortAlpha }}{{ $p }}{{ end }}`),
			want: "ab",
		},
		"many applications within the budget": {
			spec: `{goTemplate: true, generators: [{list: {elements: [` + elements(40) + `]}}],
template: {metadata: {name: '{{ .a }}'}, spec: {source: {path: '{{ range 20000 }}{{ end }}done'}}}}`,
			want: "done",
		},
		"replacements": {
			spec: goSpec(`{a: x}`, `{{ replace "-" "_" "a-b-c" }} {{ regexReplaceAll "(b+)" "abbc" "<${1}>" }} {{ regexReplaceAllLiteral "b" "abc" "$1" }} {{ join "," (list "p" 1) }} {{ wrapWith 3 "|" "abc def" }}`),
			want: "a_b_c a<bb>c a$1c p,1 abc|def",
		},
		"comments": {
			spec: goSpec(`{a: x}`, `{{/* a comment */}}{{ .a }}`),
			want: "x",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := generateWithin(t, 5*time.Second, specOf(t, tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			if got := field(res.Apps[0].Doc, "spec.source.path"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
