package watch

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"

	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// The glue between the plan's extraneous objects, the informers and the
// reports; the e2e suite proves it on a real cluster.

var (
	gvrCM     = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvrDeploy = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// mapOnly is a Cluster that only maps kinds: the watcher must never apply
// or read an extraneous object through it.
type mapOnly struct{ mapper meta.RESTMapper }

func (m mapOnly) Mapping(_ context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	if gvk.Version == "" {
		return m.mapper.RESTMapping(gvk.GroupKind())
	}
	return m.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
}

func (mapOnly) Apply(context.Context, *unstructured.Unstructured, apply.ApplyOptions) (*unstructured.Unstructured, error) {
	return nil, errors.New("unexpected apply")
}

func (mapOnly) Get(context.Context, apply.Ref) (*unstructured.Unstructured, error) {
	return nil, errors.New("unexpected get")
}

func configMap(app, name string, ann map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": "ns"}, "data": map[string]any{"k": "v"}}}
	u.SetAnnotations(ann)
	return apply.Track(app, u)
}

// rollingDeployment is a Deployment whose controller has not seen its
// latest generation: Progressing.
func rollingDeployment(app, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": "ns", "generation": int64(2)},
		"spec":     map[string]any{"replicas": int64(1)},
		"status":   map[string]any{"observedGeneration": int64(1)}}}
	return apply.Track(app, u)
}

type extraEnv struct {
	w       *Watcher
	dyn     *dynfake.FakeDynamicClient
	changed chan string
}

func startExtraEnv(t *testing.T, objs ...runtime.Object) *extraEnv {
	t.Helper()
	// Preferred versions, as discovery has them: for a kind asked for
	// without a version.
	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{{Version: "v1"}, {Group: "apps", Version: "v1"}})
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{gvrCM: "ConfigMapList", gvrDeploy: "DeploymentList"}, objs...)
	e := &extraEnv{dyn: dyn, changed: make(chan string, 100)}
	opts := DefaultOptions()
	opts.ReportInterval = 10 * time.Millisecond
	e.w = New(dyn, mapOnly{mapper}, nil, slog.New(slog.NewTextHandler(t.Output(), nil)), opts, func(app string) { e.changed <- app })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-e.w.Ready()
	return e
}

// waitReports waits for a report of app that satisfies ok, and returns it.
func (e *extraEnv) waitReports(t *testing.T, what, app string, ok func(*pb.HealthReport, *pb.DriftReport) bool) (*pb.HealthReport, *pb.DriftReport) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	var hr *pb.HealthReport
	var dr *pb.DriftReport
	for {
		select {
		case <-e.changed:
			hr, dr, _ = e.w.Reports(app)
			if ok(hr, dr) {
				return hr, dr
			}
		case <-deadline:
			t.Fatalf("%s: no such report within 10s; last: %v / %v", what, hr, dr)
		}
	}
}

func resourceNamed(hr *pb.HealthReport, name string) *pb.ResourceStatus {
	for _, rs := range hr.GetResources() {
		if rs.GetRef().GetName() == name {
			return rs
		}
	}
	return nil
}

func TestExtraneousObjectsRequirePruning(t *testing.T) {
	desired := configMap("shop", "wanted", nil)
	e := startExtraEnv(t, desired.DeepCopy(),
		configMap("shop", "kept", map[string]string{plan.AnnotationSyncOptions: "Prune=false"}),
		configMap("shop", "ignored", map[string]string{AnnotationCompareOptions: "IgnoreExtraneous"}),
		configMap("other-app", "taken", nil), // another application took it over
		rollingDeployment("shop", "old-web"))
	ref := func(apiVersion, kind, name, reason string) plan.Ref {
		return plan.Ref{APIVersion: apiVersion, Kind: kind, Namespace: "ns", Name: name, Reason: reason}
	}
	spec := Spec{Objects: []*unstructured.Unstructured{desired}, Enforce: true, SelfHeal: true, Extraneous: []plan.Ref{
		ref("v1", "ConfigMap", "kept", "Prune=false"),
		ref("v1", "ConfigMap", "gone", "pruning disabled"), // deleted by hand: not reported
		ref("v1", "ConfigMap", "ignored", "pruning disabled"),
		ref("v1", "ConfigMap", "taken", "pruning disabled"),
		ref("apps/v1beta1", "Deployment", "old-web", "Prune=confirm: needs confirmation"), // a version no longer served
		ref("example.com/v1", "Widget", "w", "pruning disabled"),                          // a kind no longer served
	}}
	if err := e.w.SetTarget(context.Background(), "shop", spec); err != nil {
		t.Fatal(err)
	}
	hr, dr := e.waitReports(t, "extraneous objects reported", "shop", func(hr *pb.HealthReport, _ *pb.DriftReport) bool {
		return len(hr.GetResources()) == 4
	})
	if rs := resourceNamed(hr, "wanted"); rs.GetSync() != pb.SyncStatus_SYNC_STATUS_SYNCED || rs.GetRequiresPruning() {
		t.Errorf("the desired object: %v", rs)
	}
	want := map[string]struct {
		health pb.Health
		msg    string
	}{
		"kept":    {pb.Health_HEALTH_HEALTHY, "requires pruning (Prune=false)"},
		"ignored": {pb.Health_HEALTH_HEALTHY, "requires pruning (pruning disabled); ignored for the application's sync status (IgnoreExtraneous)"},
		"old-web": {pb.Health_HEALTH_PROGRESSING, "requires pruning (Prune=confirm: needs confirmation): "},
	}
	for name, w := range want {
		rs := resourceNamed(hr, name)
		if !rs.GetRequiresPruning() || rs.GetSync() != pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC || rs.GetHealth() != w.health ||
			!strings.HasPrefix(rs.GetMessage(), w.msg) {
			t.Errorf("%s: %v; want requires pruning, OutOfSync, %v, message %q…", name, rs, w.health, w.msg)
		}
	}
	if rs := resourceNamed(hr, "old-web"); rs.GetRef().GetApiVersion() != "apps/v1beta1" {
		t.Errorf("old-web is reported as %q: want the plan's reference", rs.GetRef().GetApiVersion())
	}
	// Argo CD counts the health of resources requiring pruning.
	if hr.GetHealth() != pb.Health_HEALTH_PROGRESSING {
		t.Errorf("application health %v: want Progressing (old-web)", hr.GetHealth())
	}
	var drifted []string
	for _, r := range dr.GetResources() {
		drifted = append(drifted, r.GetRef().GetName())
	}
	if dr.GetSync() != pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC || strings.Join(drifted, ",") != "kept,ignored,old-web" {
		t.Errorf("drift: %v %v; want OutOfSync, listing every object requiring pruning", dr.GetSync(), drifted)
	}

	// Deleted by hand, they no longer count: only the ignored one is left.
	ctx := context.Background()
	for gvr, name := range map[schema.GroupVersionResource]string{gvrCM: "kept", gvrDeploy: "old-web"} {
		if err := e.dyn.Resource(gvr).Namespace("ns").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	hr, dr = e.waitReports(t, "the application Synced once they are gone", "shop", func(_ *pb.HealthReport, dr *pb.DriftReport) bool {
		return dr.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED
	})
	if len(hr.GetResources()) != 2 || !resourceNamed(hr, "ignored").GetRequiresPruning() || hr.GetHealth() != pb.Health_HEALTH_HEALTHY {
		t.Errorf("after the deletions: %v", hr)
	}
	// Still listed, so that the hub shows it OutOfSync; it alone does not
	// make the application OutOfSync.
	if len(dr.GetResources()) != 1 || dr.GetResources()[0].GetRef().GetName() != "ignored" {
		t.Errorf("drift after the deletions: %v", dr)
	}
}

// An extraneous object is watched only: nothing is queued to heal it, and
// dropping the target stops its informer.
func TestExtraneousNeverHealed(t *testing.T) {
	e := startExtraEnv(t, configMap("shop", "kept", nil))
	spec := Spec{Enforce: true, SelfHeal: true,
		Extraneous: []plan.Ref{{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "kept", Reason: "Prune=false"}}}
	if err := e.w.SetTarget(context.Background(), "shop", spec); err != nil {
		t.Fatal(err)
	}
	e.waitReports(t, "kept reported", "shop", func(hr *pb.HealthReport, _ *pb.DriftReport) bool {
		return len(hr.GetResources()) == 1
	})
	e.w.mu.Lock()
	queued, owners := e.w.queue.Len(), len(e.w.owners)
	e.w.mu.Unlock()
	if queued != 0 || owners != 0 {
		t.Errorf("%d heals queued, %d desired objects: want none", queued, owners)
	}
	e.w.RemoveTarget("shop")
	e.w.mu.Lock()
	defer e.w.mu.Unlock()
	if len(e.w.informers) != 0 || len(e.w.keepers) != 0 {
		t.Errorf("after RemoveTarget: %d informers, %d kept objects", len(e.w.informers), len(e.w.keepers))
	}
}
