package executor

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

func obj(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestHookStatus(t *testing.T) {
	tests := map[string]struct {
		yaml    string
		done    bool
		failure string // substring of the error; "" = none
	}{
		"job running":   {"apiVersion: batch/v1\nkind: Job\nstatus: {active: 1}", false, ""},
		"job complete":  {"apiVersion: batch/v1\nkind: Job\nstatus: {conditions: [{type: SuccessCriteriaMet, status: 'True'}, {type: Complete, status: 'True'}]}", true, ""},
		"job failed":    {"apiVersion: batch/v1\nkind: Job\nstatus: {conditions: [{type: Failed, status: 'True', reason: BackoffLimitExceeded, message: too many}]}", false, "BackoffLimitExceeded: too many"},
		"pod pending":   {"apiVersion: v1\nkind: Pod\nspec: {restartPolicy: Never}\nstatus: {phase: Pending}", false, ""},
		"pod succeeded": {"apiVersion: v1\nkind: Pod\nspec: {restartPolicy: Never}\nstatus: {phase: Succeeded}", true, ""},
		"pod failed":    {"apiVersion: v1\nkind: Pod\nspec: {restartPolicy: Never}\nstatus: {phase: Failed, message: OOMKilled}", false, "OOMKilled"},
		"configmap":     {"apiVersion: v1\nkind: ConfigMap\ndata: {a: b}", true, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			done, _, err := hookStatus(obj(t, tc.yaml))
			if done != tc.done || (err == nil) != (tc.failure == "") || (err != nil && !strings.Contains(err.Error(), tc.failure)) {
				t.Fatalf("done %v, err %v; want done %v, failure %q", done, err, tc.done, tc.failure)
			}
		})
	}
}

func TestNextStep(t *testing.T) {
	p := &plan.Plan{Steps: []plan.Step{{Phase: plan.PreSync}, {Phase: plan.Sync}, {Phase: plan.SyncFail}, {Phase: plan.PostSync}, {Phase: plan.SyncFail}}}
	for _, tc := range []struct {
		from     int
		syncFail bool
		want     int
	}{{0, false, 0}, {2, false, 3}, {4, false, -1}, {0, true, 2}, {3, true, 4}, {5, true, -1}} {
		if got := nextStep(p, tc.from, tc.syncFail); got != tc.want {
			t.Errorf("nextStep(from %d, syncFail %v) = %d, want %d", tc.from, tc.syncFail, got, tc.want)
		}
	}
}

func TestJoinErrors(t *testing.T) {
	if joinErrors([]error{nil, nil}) != nil {
		t.Fatal("no errors joined into one")
	}
	one := errors.New("one")
	if joinErrors([]error{nil, one}) != one {
		t.Fatal("a single error is not returned as is")
	}
	var errs []error
	for _, s := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		errs = append(errs, errors.New(s))
	}
	errs = append(errs, ErrDegraded)
	err := joinErrors(errs)
	if err.Error() != "a; b; c; d; e; and 3 more" || !errors.Is(err, ErrDegraded) {
		t.Fatalf("joined %q (Is ErrDegraded %v)", err, errors.Is(err, ErrDegraded))
	}
}

func TestHasSyncOption(t *testing.T) {
	u := obj(t, "metadata: {annotations: {argocd.argoproj.io/sync-options: 'PruneLast=true, Prune=False'}}")
	if !apply.HasSyncOption(u, "Prune", "false") || apply.HasSyncOption(u, "Prune", "confirm") || !apply.HasSyncOption(u, "PruneLast", "true") {
		t.Fatal("sync options misread")
	}
}

// An object asking for client-side apply is refused before anything is
// applied, naming it; ServerSideApply=true is what the spoke does anyway.
func TestRefuseClientSideApply(t *testing.T) {
	ok := obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: ok, annotations: {argocd.argoproj.io/sync-options: ServerSideApply=true}}}")
	csa := obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: csa, namespace: ns, annotations: {argocd.argoproj.io/sync-options: 'Replace=false,ServerSideApply=false'}}}")
	if err := refuseOptions([]plan.Action{{Object: ok}}); err != nil {
		t.Errorf("ServerSideApply=true refused: %v", err)
	}
	err := refuseOptions([]plan.Action{{Object: ok}, {Object: csa}})
	if !errors.Is(err, ErrClientSideApply) || !strings.Contains(err.Error(), "ConfigMap ns/csa") || strings.Contains(err.Error(), "/ok") {
		t.Errorf("err = %v, want ErrClientSideApply naming ConfigMap ns/csa only", err)
	}
}
