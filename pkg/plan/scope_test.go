package plan

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

const widget = `apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
`

const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: %s
  names: {kind: Widget, plural: widgets}
`

// The scope of a custom kind comes from the cluster (or a CRD of the
// desired state), never from a guess: with RequireScope an unknown kind
// is refused, naming the object.
func TestScopeFromTheCluster(t *testing.T) {
	served := func(namespaced bool) ScopeFunc {
		return func(gk schema.GroupKind) (bool, bool) {
			if gk == (schema.GroupKind{Group: "example.com", Kind: "Widget"}) {
				return namespaced, true
			}
			return false, false
		}
	}
	for name, tc := range map[string]struct {
		yaml    string
		scope   ScopeFunc
		wantNS  string // namespace of w1 in the plan
		wantErr string
	}{
		"cluster-scoped as the cluster serves it": {widget, served(false), "", ""},
		"namespaced as the cluster serves it":     {widget, served(true), "apps", ""},
		"cluster-scoped by the application's CRD": {widget + "---\n" + strings.ReplaceAll(widgetCRD, "%s", "Cluster"), nil, "", ""},
		"namespaced by the application's CRD":     {widget + "---\n" + strings.ReplaceAll(widgetCRD, "%s", "Namespaced"), nil, "apps", ""},
		"unknown is refused, not guessed":         {widget, nil, "", "Widget w1 (kind example.com/v1/Widget)"},
		"the cluster wins over a CRD's claim":     {widget + "---\n" + strings.ReplaceAll(widgetCRD, "%s", "Namespaced"), served(false), "", ""},
		"unknown but skipping the dry-run":        {strings.Replace(widget, "{name: w1}", "{name: w1, annotations: {argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true}}", 1), nil, "apps", ""},
	} {
		t.Run(name, func(t *testing.T) {
			objs := decode(t, tc.yaml)
			p, err := Compute(objs, nil, Options{Namespace: "apps", Scope: tc.scope, RequireScope: true})
			if tc.wantErr != "" {
				if !errors.Is(err, ErrUnknownScope) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want ErrUnknownScope naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Actions() {
				if a.Kind == "Widget" && a.Namespace != tc.wantNS {
					t.Fatalf("Widget planned in namespace %q, want %q", a.Namespace, tc.wantNS)
				}
			}
		})
	}
}
