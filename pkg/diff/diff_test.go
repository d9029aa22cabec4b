package diff

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestCompareAll pairs desired.yaml + the desired Deployment with
// cluster.yaml + the live Deployment (replicas changed).
func TestCompareAll(t *testing.T) {
	desired := append(load(t, "desired.yaml"), loadOne(t, "deployment-desired.yaml"))
	live := append(load(t, "cluster.yaml"), loadOne(t, "deployment-live.yaml"))
	set(t, live[2], int64(5), "spec", "replicas")

	got, err := CompareAll(context.Background(), desired, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id, apiVersion string
		status         Status
		missing, extra bool
		diffMentions   string
	}
	want := []row{
		{id: "ConfigMap/shop/settings", apiVersion: "v1", status: Synced},
		{id: "Secret/shop/token", apiVersion: "v1", status: OutOfSync, missing: true, diffMentions: "+data:\n+  token: ++++++++\n"},
		{id: "Service/shop/legacy", apiVersion: "v1", status: OutOfSync, extra: true, diffMentions: "-  clusterIP: 10.96.12.7"},
		{id: "apps/Deployment/shop/web", apiVersion: "apps/v1", status: OutOfSync, diffMentions: "-  replicas: 5\n+  replicas: 3\n"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.ID.String() != w.id || g.APIVersion != w.apiVersion || g.Status != w.status || g.Missing != w.missing || g.Extra != w.extra {
			t.Errorf("result %d = {%s %s %s missing=%v extra=%v}, want %+v", i, g.ID, g.APIVersion, g.Status, g.Missing, g.Extra, w)
		}
		if w.status == Synced && g.Diff != "" {
			t.Errorf("%s: Synced with diff:\n%s", w.id, g.Diff)
		}
		if !strings.Contains(g.Diff, w.diffMentions) {
			t.Errorf("%s: diff lacks %q:\n%s", w.id, w.diffMentions, g.Diff)
		}
	}

	if strings.Contains(got[1].Diff, "s3cr3t") || strings.Contains(got[1].Diff, "czNjcjN0") {
		t.Errorf("the Secret's value shows in its diff:\n%s", got[1].Diff)
	}

	// Rules are applied per object: ignoring replicas on Deployments syncs web.
	got, err = CompareAll(context.Background(), desired, live, Options{Ignore: []IgnoreRule{{Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got[3].Status != Synced || got[1].Status != OutOfSync {
		t.Errorf("with rule: web %s, token %s", got[3].Status, got[1].Status)
	}
}

func TestCompareAllErrors(t *testing.T) {
	cm := func() *unstructured.Unstructured { return load(t, "desired.yaml")[0] }
	tests := map[string]struct {
		desired, live []*unstructured.Unstructured
		rules         []IgnoreRule
		wantErr       error
		wantMsg       string
	}{
		"duplicate desired": {desired: []*unstructured.Unstructured{cm(), cm()}, wantErr: ErrDuplicate, wantMsg: "desired ConfigMap/shop/settings"},
		"duplicate live":    {live: []*unstructured.Unstructured{cm(), cm()}, wantErr: ErrDuplicate, wantMsg: "live ConfigMap/shop/settings"},
		"nil entry":         {desired: []*unstructured.Unstructured{nil}, wantErr: ErrNoObject, wantMsg: "desired object 0"},
		"invalid rule":      {rules: []IgnoreRule{{JQPathExpressions: []string{"]["}}}, wantErr: ErrInvalidRule, wantMsg: `"]["`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := CompareAll(context.Background(), tc.desired, tc.live, Options{Ignore: tc.rules})
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %v, want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
	if res, err := CompareAll(context.Background(), nil, nil, Options{}); err != nil || len(res) != 0 {
		t.Errorf("CompareAll(context.Background(), nil, nil) = %v, %v", res, err)
	}
	if _, err := Compare(context.Background(), nil, nil, Options{}); !errors.Is(err, ErrNoObject) {
		t.Errorf("Compare(context.Background(), nil, nil): %v", err)
	}
}

func TestNormalize(t *testing.T) {
	live := loadOne(t, "deployment-live.yaml")
	set(t, live, map[string]any{}, "metadata", "labels")
	set(t, live, int64(30), "metadata", "deletionGracePeriodSeconds")
	set(t, live, "2026-01-13T00:00:00Z", "metadata", "deletionTimestamp")
	set(t, live, "/apis/apps/v1/x", "metadata", "selfLink")
	before := live.DeepCopy()

	got := Normalize(live)
	unchanged(t, "input", before, live)
	md := got.Object["metadata"].(map[string]any)
	for _, f := range append([]string{"labels"}, serverMetadata...) {
		if _, ok := md[f]; ok {
			t.Errorf("metadata.%s kept", f)
		}
	}
	if _, ok := got.Object["status"]; ok {
		t.Error("status kept")
	}
	ann := md["annotations"].(map[string]any)
	if _, ok := ann[LastAppliedAnnotation]; ok || len(ann) != 2 {
		t.Errorf("annotations %v", ann)
	}
	if md["name"] != "web" || got.Object["spec"] == nil {
		t.Error("object fields lost")
	}

	// Annotations emptied by dropping last-applied go too.
	only := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{
		"annotations": map[string]any{LastAppliedAnnotation: "{}"}, "labels": nil,
	}}}
	if md := Normalize(only).Object["metadata"].(map[string]any); len(md) != 0 {
		t.Errorf("metadata %v, want empty", md)
	}
	if Normalize(nil) != nil {
		t.Error("Normalize(nil) is not nil")
	}
}

func TestColorize(t *testing.T) {
	in := "--- live/x\n+++ desired/x\n@@ -1,3 +1,3 @@\n a: 1\n-b: 2\n+b: 3\n--- live/y\n+++ desired/y\n@@ -1 +1 @@\n--c\n+-c\n"
	want := "\x1b[1m--- live/x\x1b[0m\n\x1b[1m+++ desired/x\x1b[0m\n\x1b[36m@@ -1,3 +1,3 @@\x1b[0m\n a: 1\n" +
		"\x1b[31m-b: 2\x1b[0m\n\x1b[32m+b: 3\x1b[0m\n" +
		"\x1b[1m--- live/y\x1b[0m\n\x1b[1m+++ desired/y\x1b[0m\n\x1b[36m@@ -1 +1 @@\x1b[0m\n" +
		"\x1b[31m--c\x1b[0m\n\x1b[32m+-c\x1b[0m\n"
	if got := Colorize(in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if Colorize("") != "" {
		t.Error("Colorize(\"\") not empty")
	}
	if got := Colorize("-x"); got != "\x1b[31m-x\x1b[0m" {
		t.Errorf("no trailing newline: %q", got)
	}
}
