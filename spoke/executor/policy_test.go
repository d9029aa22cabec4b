package executor_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/pkg/policy"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/executor"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// planFor plans y for app as a hub that knows no scopes would (unknown
// kinds taken for namespaced), carrying rules.
func planFor(t *testing.T, app, y string, opts *pb.PlanOptions, rules *pb.ProjectRules) (*plan.Plan, *pb.Plan) {
	t.Helper()
	objs, err := object.Decode("desired.yaml", []byte(y), object.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Compute(objs, nil, plan.Options{Namespace: opts.GetDefaultNamespace(), CreateNamespace: opts.GetCreateNamespace()})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := wire.PlanToProto(p)
	if err != nil {
		t.Fatal(err)
	}
	msg.Application, msg.Options, msg.Rules = app, opts, rules
	return p, msg
}

// run plans y for app as the hub does, runs it to its end and returns it.
func run(t *testing.T, ex *executor.Executor, st *store.Store, app, y string, opts *pb.PlanOptions, gen uint64) *executor.Target {
	t.Helper()
	p, msg := planFor(t, app, y, opts, nil)
	raw, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	r := store.Run{Phase: store.Running, StartedAt: time.Now().UTC()}
	if err := st.PutTarget(store.Target{App: app, PlanHash: msg.GetHash(), Generation: gen, Run: r}, raw); err != nil {
		t.Fatal(err)
	}
	tgt := executor.NewTarget(app, gen, msg, p, r)
	if err := ex.Execute(t.Context(), tgt); err != nil {
		t.Fatal(err)
	}
	return tgt
}

const clusterWidgetCRD = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.scope.example.com}
spec:
  group: scope.example.com
  scope: Cluster
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

// The spoke checks every object again against the project rules the plan
// carries, with the scope its cluster serves: a plan from a hub that got a
// scope wrong (a cluster-scoped custom kind planned as namespaced) or put
// objects outside the project is refused as a whole, naming each object.
func TestSpokeEnforcesPlanRules(t *testing.T) {
	_, ns, ex, cluster, st := newExecutor(t)
	execute(t, ex, st, clusterWidgetCRD, &pb.PlanOptions{DefaultNamespace: ns}, 1)
	y := `---
apiVersion: v1
kind: ConfigMap
metadata: {name: fine}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: x, namespace: kube-system}
---
apiVersion: scope.example.com/v1
kind: Widget
metadata: {name: w1}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: h
  namespace: kube-system
  annotations: {argocd.argoproj.io/hook: PreSync}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}}
`
	rules := &pb.ProjectRules{Project: "team", Namespaces: []string{ns}}
	p, msg := planFor(t, "team-app", y, &pb.PlanOptions{DefaultNamespace: ns}, rules)
	for _, a := range p.Actions() {
		if a.Kind == "Widget" && a.Namespace != ns {
			t.Fatalf("the test's plan should carry the wrong scope: Widget in %q", a.Namespace)
		}
	}
	applies := cluster.applies.Load()
	err := ex.Check(t.Context(), p, msg)
	if !errors.Is(err, policy.ErrDenied) {
		t.Fatalf("Check: %v, want the plan refused by the project", err)
	}
	for _, want := range []string{
		`ConfigMap kube-system/x: not permitted by the project team: namespace "kube-system"`,
		"Widget w1: not permitted by the project team: cluster-scoped kind scope.example.com/Widget is not in clusterResourceWhitelist",
		"hook Job kube-system/h: not permitted by the project team",
		"(checked by the spoke)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "ConfigMap "+ns+"/fine") {
		t.Errorf("refusal names an allowed object: %v", err)
	}
	if n := cluster.applies.Load() - applies; n != 0 {
		t.Errorf("%d objects applied while checking", n)
	}
	// The same plan with the rules widened allows it: the rules decide.
	msg.Rules = &pb.ProjectRules{Project: "team", Namespaces: []string{"*"},
		ClusterResourceWhitelist: []*pb.GroupKind{{Group: "scope.example.com", Kind: "Widget"}}}
	if err := ex.Check(t.Context(), p, msg); err != nil {
		t.Errorf("Check with wider rules: %v", err)
	}
}

// BeforeHookCreation deletes only the hook this application created: a
// same-named object someone else made is left alone, and the sync fails
// naming it.
func TestBeforeHookCreationLeavesForeignObjects(t *testing.T) {
	c, ns, ex, _, st := newExecutor(t)
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := cs.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "hook"},
		Data: map[string]string{"owner": "someone else"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hook := "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hook\n  annotations: {argocd.argoproj.io/hook: PreSync}\ndata: {owner: app}\n"
	r := run(t, ex, st, "app", hook, &pb.PlanOptions{DefaultNamespace: ns}, 1).Snapshot()
	if r.Phase != store.Failed || !strings.Contains(r.Message, "ConfigMap "+ns+"/hook: managed by another application: a hook of this name exists and was created by no application") {
		t.Fatalf("run %s: %q, want Failed naming the foreign object", r.Phase, r.Message)
	}
	live, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "hook", metav1.GetOptions{})
	if err != nil || live.UID != foreign.UID || live.Data["owner"] != "someone else" {
		t.Fatalf("the foreign object was touched: %v %v", live, err)
	}
	// Its own hook from an earlier run is replaced as usual.
	if err := cs.CoreV1().ConfigMaps(ns).Delete(t.Context(), "hook", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for gen := uint64(2); gen <= 3; gen++ {
		if r := run(t, ex, st, "app", hook, &pb.PlanOptions{DefaultNamespace: ns}, gen).Snapshot(); r.Phase != store.Succeeded {
			t.Fatalf("run %d: %s %q", gen, r.Phase, r.Message)
		}
	}
}

// An object another application tracks is not taken over: the sync fails
// before anything is applied, naming the object and its application,
// unless the plan asks for it (FailOnSharedResource=false).
func TestSharedResourceRefused(t *testing.T) {
	c, ns, ex, _, st := newExecutor(t)
	cm := "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {v: '%s'}\n"
	if r := run(t, ex, st, "one", strings.Replace(cm, "%s", "1", 1), &pb.PlanOptions{DefaultNamespace: ns}, 1).Snapshot(); r.Phase != store.Succeeded {
		t.Fatalf("one: %s %q", r.Phase, r.Message)
	}
	r := run(t, ex, st, "two", strings.Replace(cm, "%s", "2", 1)+"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: own}\n", &pb.PlanOptions{DefaultNamespace: ns}, 1).Snapshot()
	if r.Phase != store.Failed || !strings.Contains(r.Message, `ConfigMap `+ns+`/shared: managed by another application "one"`) || !strings.Contains(r.Message, "nothing applied") {
		t.Fatalf("two: %s %q, want Failed naming the shared object and its application", r.Phase, r.Message)
	}
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	live, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "shared", metav1.GetOptions{})
	if err != nil || live.Data["v"] != "1" || !strings.HasPrefix(live.Annotations[apply.AnnotationTracking], "one:") {
		t.Fatalf("shared after the refused sync: %v %v, want one's", live, err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "own", metav1.GetOptions{}); err == nil {
		t.Error("the refused sync applied another object of its plan")
	}
	r = run(t, ex, st, "two", strings.Replace(cm, "%s", "2", 1), &pb.PlanOptions{DefaultNamespace: ns, TakeOverSharedResources: true}, 2).Snapshot()
	if r.Phase != store.Succeeded {
		t.Fatalf("two with FailOnSharedResource=false: %s %q", r.Phase, r.Message)
	}
	live, err = cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "shared", metav1.GetOptions{})
	if err != nil || live.Data["v"] != "2" || !strings.HasPrefix(live.Annotations[apply.AnnotationTracking], "two:") {
		t.Fatalf("shared after the take-over: %v %v, want two's", live, err)
	}
}

// Replace=true replaces the whole object (kubectl replace: a field another
// manager added is gone, where an apply would keep it); with Force=true it
// is deleted and created again, so a change to an immutable field (a Job's
// template) goes through where an apply fails.
func TestReplaceAndForce(t *testing.T) {
	c, ns, ex, _, st := newExecutor(t)
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	replaced := "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: r\n  annotations: {argocd.argoproj.io/sync-options: Replace=true}\ndata: {v: '1'}\n"
	if r := run(t, ex, st, "rep", replaced, &pb.PlanOptions{DefaultNamespace: ns}, 1).Snapshot(); r.Phase != store.Succeeded {
		t.Fatalf("first sync: %s %q", r.Phase, r.Message)
	}
	editByHand(t, c, ns, "r", "1") // same value, but now also owned by kubectl-edit
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "r", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["extra"] = "by hand"
	if _, err := cs.CoreV1().ConfigMaps(ns).Update(t.Context(), cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, ex, st, "rep", strings.Replace(replaced, "v: '1'", "v: '2'", 1), &pb.PlanOptions{DefaultNamespace: ns}, 2).Snapshot(); r.Phase != store.Succeeded {
		t.Fatalf("replace: %s %q", r.Phase, r.Message)
	}
	cm, err = cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "r", metav1.GetOptions{})
	if err != nil || cm.Data["v"] != "2" || cm.Data["extra"] != "" {
		t.Fatalf("after the replace: %v %v, want v=2 and no extra key", cm.Data, err)
	}

	// Into a namespace the plan creates, the dry-run passes it over as it
	// does applied objects.
	if r := run(t, ex, st, "rep-new", replaced, &pb.PlanOptions{DefaultNamespace: ns + "-r", CreateNamespace: true}, 1).Snapshot(); r.Phase != store.Succeeded {
		t.Fatalf("replace into a new namespace: %s %q", r.Phase, r.Message)
	}

	job := func(image string) string {
		return "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations: {argocd.argoproj.io/sync-options: 'Replace=true,Force=true'}\n" +
			"spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: " + image + "}]\n"
	}
	if r := run(t, ex, st, "job", job("example.invalid/a:1"), &pb.PlanOptions{DefaultNamespace: ns}, 1).Snapshot(); r.Phase != store.Succeeded {
		t.Fatalf("job: %s %q", r.Phase, r.Message)
	}
	first, err := cs.BatchV1().Jobs(ns).Get(t.Context(), "j", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, ex, st, "job", job("example.invalid/a:2"), &pb.PlanOptions{DefaultNamespace: ns}, 2).Snapshot(); r.Phase != store.Succeeded {
		t.Fatalf("job with a new template: %s %q", r.Phase, r.Message)
	}
	second, err := cs.BatchV1().Jobs(ns).Get(t.Context(), "j", metav1.GetOptions{})
	if err != nil || second.UID == first.UID || second.Spec.Template.Spec.Containers[0].Image != "example.invalid/a:2" {
		t.Fatalf("job after Force: uid %v (was %v), %v, want a new Job with the new image", second.UID, first.UID, err)
	}
}
