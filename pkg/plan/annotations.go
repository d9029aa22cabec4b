package plan

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// Annotations Flotilla reads, as Argo CD and Helm define them.
const (
	AnnotationHook             = "argocd.argoproj.io/hook"
	AnnotationHookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
	AnnotationSyncWave         = "argocd.argoproj.io/sync-wave"
	AnnotationSyncOptions      = "argocd.argoproj.io/sync-options"
	AnnotationHelmHook         = "helm.sh/hook"
	AnnotationHelmWeight       = "helm.sh/hook-weight"
	AnnotationHelmDeletePolicy = "helm.sh/hook-delete-policy"
)

// helmHookPhases maps Helm hook events onto phases (as Argo CD does);
// other events (test, pre-delete, rollback...) have no phase and never run.
var helmHookPhases = map[string]Phase{
	"pre-install": PreSync, "pre-upgrade": PreSync,
	"post-install": PostSync, "post-upgrade": PostSync,
}

var helmDeletePolicies = map[string]DeletePolicy{
	"before-hook-creation": BeforeHookCreation,
	"hook-succeeded":       HookSucceeded,
	"hook-failed":          HookFailed,
}

func csv(u *unstructured.Unstructured, key string) []string {
	v, ok := u.GetAnnotations()[key]
	if !ok {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// hookTypes are the object's hook types, as gitops-engine's hook.Types:
// the valid values of Argo CD's annotation (unknown ones are ignored), or,
// when there are none, the phases of Helm's annotation.
func hookTypes(u *unstructured.Unstructured) []string {
	var types []string
	for _, v := range csv(u, AnnotationHook) {
		switch v {
		case "Skip", string(PreSync), string(Sync), string(PostSync), string(SyncFail):
			types = append(types, v)
		}
	}
	if len(types) > 0 {
		return types
	}
	for _, v := range csv(u, AnnotationHelmHook) {
		if p, ok := helmHookPhases[v]; ok {
			types = append(types, string(p))
		}
	}
	return types
}

// hookInfo says whether u is a hook, whether it is skipped, and the phases
// it runs in, as gitops-engine does: Skip counts only when it is the only
// hook type (a skipped object is neither applied nor pruned); an object
// with Argo CD's annotation is a hook even if no type is valid (it then
// never runs); helm.sh/hook marks a hook unless it is "crd-install".
func hookInfo(u *unstructured.Unstructured) (isHook, skip bool, phases []Phase) {
	types := hookTypes(u)
	if len(types) == 1 && types[0] == "Skip" {
		return false, true, nil
	}
	if hasAnnotation(u, AnnotationHook) {
		isHook = true
	} else if v, ok := u.GetAnnotations()[AnnotationHelmHook]; ok && v != "crd-install" {
		isHook = true
	}
	if !isHook {
		return false, false, nil
	}
	seen := map[Phase]bool{}
	for _, t := range types {
		if p := Phase(t); t != "Skip" && !seen[p] {
			seen[p] = true
			phases = append(phases, p)
		}
	}
	return true, false, phases
}

func hasAnnotation(u *unstructured.Unstructured, key string) bool {
	_, ok := u.GetAnnotations()[key]
	return ok
}

// wave is the sync-wave annotation, else helm.sh/hook-weight, else 0. A
// value that is not an integer is passed over, as Argo CD does; the warning
// says so.
func wave(u *unstructured.Unstructured) (int, string) {
	var warn string
	for _, key := range []string{AnnotationSyncWave, AnnotationHelmWeight} {
		if v, ok := u.GetAnnotations()[key]; ok {
			w, err := strconv.Atoi(v)
			if err == nil {
				return w, warn
			}
			warn = fmt.Sprintf("%s: annotation %s: %q is not an integer; ignored", object.Describe(u), key, v)
		}
	}
	return 0, warn
}

// deletePolicies combines Argo CD's and Helm's policies (unknown values are
// ignored, as gitops-engine does); default BeforeHookCreation.
func deletePolicies(u *unstructured.Unstructured) []DeletePolicy {
	var out []DeletePolicy
	seen := map[DeletePolicy]bool{}
	add := func(p DeletePolicy) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, v := range csv(u, AnnotationHookDeletePolicy) {
		switch p := DeletePolicy(v); p {
		case HookSucceeded, HookFailed, BeforeHookCreation:
			add(p)
		}
	}
	for _, v := range csv(u, AnnotationHelmDeletePolicy) {
		if p, ok := helmDeletePolicies[v]; ok {
			add(p)
		}
	}
	if len(out) == 0 {
		out = []DeletePolicy{BeforeHookCreation}
	}
	return out
}

// syncOption reports whether the sync-options annotation holds key=value
// (case-insensitive value), e.g. Prune=false, PruneLast=true.
func syncOption(u *unstructured.Unstructured, key, value string) bool {
	if u == nil {
		return false
	}
	for _, kv := range csv(u, AnnotationSyncOptions) {
		k, v, _ := strings.Cut(kv, "=")
		if strings.TrimSpace(k) == key && strings.EqualFold(strings.TrimSpace(v), value) {
			return true
		}
	}
	return false
}
