package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// The spoke's own guardrails refuse a plan that reaches outside them,
// whatever the hub sends: the ack names every refused object and nothing
// of the plan is applied.
func TestGuardrailsRefusePlan(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM)
	e.startSpoke("-allow-cluster-scoped=false", "-denied-kinds", "Secret")
	role := "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: takeover}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n"
	secret := "---\napiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {k: v}\n"
	elsewhere := "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\ndata: {k: v}\n"
	p := e.plan("greedy", cm("fine", "0")+role+secret+elsewhere, nil, "")
	e.hub.Assign(p, 1)
	var msg string
	e.hub.Wait(t, "a refusal", 30*time.Second, func(v fakehub.View) bool {
		for _, a := range v.Acks() {
			if a.GetApplication() == "greedy" && a.GetError() != "" {
				msg = a.GetError()
				return true
			}
		}
		return false
	})
	for _, want := range []string{
		"ClusterRole.rbac.authorization.k8s.io takeover: refused by the spoke's guardrails: cluster-scoped kinds are not allowed",
		"Secret " + e.ns + "/creds: refused by the spoke's guardrails: kind Secret is denied",
		`ConfigMap kube-system/x: refused by the spoke's guardrails: namespace "kube-system" is not allowed`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not say %q", msg, want)
		}
	}
	e.hub.Read(func(v fakehub.View) {
		if v.Progress("greedy") != nil {
			t.Error("a refused plan was run")
		}
	})
	if _, ok := rec.first(added("ConfigMap", "fine")); ok || e.exists(gvrCM, "fine") {
		t.Error("an object of the refused plan was applied")
	}
}
