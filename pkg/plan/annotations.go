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

// hookInfo says whether u is a hook, whether it is skipped, and the phases
// it runs in. Argo CD's annotation wins over Helm's; helm.sh/hook:
// crd-install is not a hook.
func hookInfo(u *unstructured.Unstructured) (isHook, skip bool, phases []Phase, err error) {
	if vals := csv(u, AnnotationHook); vals != nil || hasAnnotation(u, AnnotationHook) {
		seen := map[Phase]bool{}
		for _, v := range vals {
			switch v {
			case "Skip":
				skip = true
			case string(PreSync), string(Sync), string(PostSync), string(SyncFail):
				if !seen[Phase(v)] {
					seen[Phase(v)] = true
					phases = append(phases, Phase(v))
				}
			case "PreDelete", "PostDelete":
				// application-deletion hooks: not part of a sync
			default:
				return false, false, nil, fmt.Errorf("%s: annotation %s: unknown hook %q (want PreSync, Sync, PostSync, SyncFail or Skip)", object.Describe(u), AnnotationHook, v)
			}
		}
		if skip {
			return false, true, nil, nil
		}
		return true, false, phases, nil
	}
	vals := csv(u, AnnotationHelmHook)
	if vals == nil || (len(vals) == 1 && vals[0] == "crd-install") {
		return false, false, nil, nil
	}
	seen := map[Phase]bool{}
	for _, v := range vals {
		if p, ok := helmHookPhases[v]; ok && !seen[p] {
			seen[p] = true
			phases = append(phases, p)
		}
	}
	return true, false, phases, nil
}

func hasAnnotation(u *unstructured.Unstructured, key string) bool {
	_, ok := u.GetAnnotations()[key]
	return ok
}

// wave is the sync-wave annotation, else helm.sh/hook-weight, else 0.
func wave(u *unstructured.Unstructured) (int, error) {
	for _, key := range []string{AnnotationSyncWave, AnnotationHelmWeight} {
		if v, ok := u.GetAnnotations()[key]; ok {
			w, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return 0, fmt.Errorf("%s: annotation %s: %q is not an integer", object.Describe(u), key, v)
			}
			return w, nil
		}
	}
	return 0, nil
}

// deletePolicies reads Argo CD's policy, else Helm's; default
// BeforeHookCreation.
func deletePolicies(u *unstructured.Unstructured) ([]DeletePolicy, error) {
	var out []DeletePolicy
	if vals := csv(u, AnnotationHookDeletePolicy); len(vals) > 0 {
		for _, v := range vals {
			switch DeletePolicy(v) {
			case HookSucceeded, HookFailed, BeforeHookCreation:
				out = append(out, DeletePolicy(v))
			default:
				return nil, fmt.Errorf("%s: annotation %s: unknown policy %q", object.Describe(u), AnnotationHookDeletePolicy, v)
			}
		}
		return out, nil
	}
	for _, v := range csv(u, AnnotationHelmDeletePolicy) {
		p, ok := helmDeletePolicies[v]
		if !ok {
			return nil, fmt.Errorf("%s: annotation %s: unknown policy %q", object.Describe(u), AnnotationHelmDeletePolicy, v)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []DeletePolicy{BeforeHookCreation}
	}
	return out, nil
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
