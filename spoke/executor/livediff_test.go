package executor_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A live diff names exactly what a sync of the plan would change in the
// cluster (a manual edit it would revert, a Git change, a new object, a
// prune) with the diff from the live object, and changes nothing.
func TestLiveDiff(t *testing.T) {
	c, ns, ex, cluster, st := newExecutor(t)
	cm := func(name, v, annotations string) string {
		return "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", annotations: {" + annotations + "}}\ndata: {v: '" + v + "'}\n"
	}
	opts := &pb.PlanOptions{DefaultNamespace: ns, ForceConflicts: true}
	first := cm("same", "1", "") + cm("edited", "1", "") + cm("changed", "1", "") + cm("old", "1", "") +
		cm("kept", "1", "argocd.argoproj.io/sync-options: Prune=false")
	execute(t, ex, st, first, opts, 1)

	cs := editByHand(t, c, ns, "edited", "by hand")

	// The next revision: "changed" changes, "new" appears, "old" and
	// "kept" are gone from Git (kept says Prune=false).
	desired, err := object.Decode("next.yaml", []byte(cm("same", "1", "")+cm("edited", "1", "")+cm("changed", "2", "")+cm("new", "1", "")), object.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	prev, err := object.Decode("prev.yaml", []byte(first), object.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range prev {
		u.SetNamespace(ns)
	}
	p, err := plan.Compute(desired, prev, plan.Options{Namespace: ns, Prune: true})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := wire.PlanToProto(p)
	if err != nil {
		t.Fatal(err)
	}
	msg.Application, msg.Options = "skip", opts

	applies := cluster.applies.Load()
	got, err := ex.LiveDiff(t.Context(), "skip", msg, p)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	var names []string
	for _, d := range got {
		byName[d.GetRef().GetName()] = d.GetDiff()
		names = append(names, d.GetRef().GetName())
		if d.GetRef().GetNamespace() != ns || d.GetRef().GetKind() != "ConfigMap" || d.GetRef().GetApiVersion() != "v1" {
			t.Errorf("ref %v", d.GetRef())
		}
	}
	if strings.Join(names, ",") != "old,changed,edited,new" && strings.Join(names, ",") != "changed,edited,new,old" {
		t.Errorf("changed objects %v, want changed, edited, new and old (in plan order)", names)
	}
	for name, want := range map[string][]string{
		"edited":  {"-  v: by hand", "+  v: \"1\""},
		"changed": {"-  v: \"1\"", "+  v: \"2\""},
		"new":     {"+  v: \"1\"", "+kind: ConfigMap"},
		"old":     {"-  v: \"1\"", "-kind: ConfigMap"},
	} {
		for _, w := range want {
			if !strings.Contains(byName[name], w) {
				t.Errorf("diff of %s lacks %q:\n%s", name, w, byName[name])
			}
		}
	}
	// Nothing was changed.
	if n := cluster.applies.Load() - applies; n != 0 {
		t.Errorf("a live diff applied %d objects", n)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "new", metav1.GetOptions{}); err == nil {
		t.Error("a live diff created the new object")
	}
	for name, v := range map[string]string{"edited": "by hand", "changed": "1", "old": "1"} {
		if cm, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), name, metav1.GetOptions{}); err != nil || cm.Data["v"] != v {
			t.Errorf("%s after a live diff: %v %v, want v=%s", name, cm.Data, err, v)
		}
	}

	// A namespaced object with no namespace from the plan or its options
	// cannot be compared: the error names it.
	p, err = plan.Compute(desired, nil, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err = wire.PlanToProto(p); err != nil {
		t.Fatal(err)
	}
	msg.Application = "skip"
	if _, err := ex.LiveDiff(t.Context(), "skip", msg, p); err == nil || !strings.Contains(err.Error(), "ConfigMap") || !strings.Contains(err.Error(), "namespace") {
		t.Errorf("plan without a namespace: %v", err)
	}
}
