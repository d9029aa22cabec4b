package guard

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestCheck(t *testing.T) {
	cm := schema.GroupKind{Kind: "ConfigMap"}
	role := schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}
	ns := schema.GroupKind{Kind: "Namespace"}
	secret := schema.GroupKind{Kind: "Secret"}
	restricted := Rules{AllowedNamespaces: []string{"team-*", "web"}, DeniedKinds: []schema.GroupKind{secret, {Group: "*", Kind: "Role"}}}
	tests := map[string]struct {
		rules   Rules
		obj     Object
		refused string // substring of the error; "" = allowed
	}{
		"default allows everything": {DefaultRules(), obj(role, "", "admin", false), ""},
		"allowed namespace glob":    {restricted, obj(cm, "team-a", "x", true), ""},
		"other namespace":           {restricted, obj(cm, "kube-system", "x", true), `ConfigMap kube-system/x: refused by the spoke's guardrails: namespace "kube-system" is not allowed`},
		"cluster-scoped off":        {restricted, obj(role, "", "admin", false), "ClusterRole.rbac.authorization.k8s.io admin: refused by the spoke's guardrails: cluster-scoped kinds are not allowed"},
		"allowed namespace object":  {restricted, obj(ns, "", "team-b", false), ""},
		"other namespace object":    {restricted, obj(ns, "", "kube-system", false), `namespace "kube-system" is not allowed`},
		"denied kind":               {restricted, obj(secret, "web", "token", true), "kind Secret is denied"},
		"denied kind any group":     {restricted, obj(schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}, "web", "r", true), "kind Role.* is denied"},
		"denied core kind only":     {restricted, obj(schema.GroupKind{Group: "example.com", Kind: "Secret"}, "web", "s", true), ""},
		"namespace object, no list": {Rules{}, obj(ns, "", "x", false), "cluster-scoped kinds are not allowed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.rules.Check(tc.obj)
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != "" && (err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.refused)):
				t.Fatalf("error %v, want ErrRefused containing %q", err, tc.refused)
			}
		})
	}
}

func TestParse(t *testing.T) {
	kinds, err := ParseKinds(" Secret, ClusterRoleBinding.rbac.authorization.k8s.io,,")
	if err != nil || len(kinds) != 2 || kinds[1] != (schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}) {
		t.Fatalf("kinds %v, %v", kinds, err)
	}
	if _, err := ParseKinds(".apps"); err == nil {
		t.Fatal("kind without a name accepted")
	}
	if _, err := ParseNamespaces("team-[a"); err == nil {
		t.Fatal("bad glob accepted")
	}
}

func obj(gk schema.GroupKind, ns, name string, namespaced bool) Object {
	return Object{GroupKind: gk, Namespace: ns, Name: name, Namespaced: namespaced}
}
