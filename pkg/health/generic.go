package health

import (
	"encoding/json"
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// genericHealth assesses kinds Argo CD has no check for, kstatus-style:
//
//   - status.observedGeneration behind metadata.generation: Progressing;
//   - Reconciling=True: Progressing; Stalled=True: Degraded;
//   - Ready, or when absent Available: True is Healthy, False Degraded,
//     anything else Progressing;
//   - otherwise (no status, no such conditions): Healthy.
//
// Their schemas are unknown, so malformed fields are ignored, never errors.
func genericHealth(obj *unstructured.Unstructured) (Result, error) {
	gen, hasGen := number(obj.Object, "metadata", "generation")
	observed, hasObserved := number(obj.Object, "status", "observedGeneration")
	if hasGen && hasObserved && observed < gen {
		return Result{Status: Progressing, Message: fmt.Sprintf("%s generation is %d, but latest observed generation is %d", obj.GetKind(), gen, observed)}, nil
	}

	conds := looseConditions(obj)
	for _, c := range conds {
		if c.Status != "True" {
			continue
		}
		switch c.Type {
		case "Reconciling":
			return Result{Status: Progressing, Message: conditionText(c)}, nil
		case "Stalled":
			return Result{Status: Degraded, Message: conditionText(c)}, nil
		}
	}

	c := findCondition(conds, "Ready")
	if c == nil {
		c = findCondition(conds, "Available")
	}
	if c == nil {
		return Result{Status: Healthy}, nil
	}
	switch c.Status {
	case "True":
		return Result{Status: Healthy, Message: c.Message}, nil
	case "False":
		return Result{Status: Degraded, Message: conditionText(*c)}, nil
	}
	return Result{Status: Progressing, Message: conditionText(*c)}, nil
}

// conditionText is the message of c, or its reason when it has none.
func conditionText(c condition) string {
	if c.Message != "" {
		return c.Message
	}
	return c.Reason
}

// number reads an integer field whatever numeric type the decoder produced
// (int64 from the API machinery, float64 from encoding/json).
func number(obj map[string]any, path ...string) (int64, bool) {
	v, found, err := unstructured.NestedFieldNoCopy(obj, path...)
	if !found || err != nil {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) {
			return int64(n), true
		}
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
	}
	return 0, false
}

// workflowHealth is Argo CD's built-in check for Argo Workflows.
func workflowHealth(obj *unstructured.Unstructured) (Result, error) {
	phase, _, _ := unstructured.NestedString(obj.Object, "status", "phase")
	message, _, _ := unstructured.NestedString(obj.Object, "status", "message")
	switch phase {
	case "", "Pending", "Running":
		return Result{Status: Progressing, Message: message}, nil
	case "Succeeded":
		return Result{Status: Healthy, Message: message}, nil
	case "Failed", "Error":
		return Result{Status: Degraded, Message: message}, nil
	}
	return Result{Status: Unknown, Message: message}, nil
}
