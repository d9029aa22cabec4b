package health

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// condition is the part of a status condition the checks read; every
// Kubernetes condition type has these fields.
type condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// readConditions returns status.conditions of obj, with an error naming obj
// when they are not a list of conditions.
func readConditions(obj *unstructured.Unstructured) ([]condition, error) {
	var v struct {
		Status struct {
			Conditions []condition `json:"conditions"`
		} `json:"status"`
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &v); err != nil {
		return nil, objectError(obj, fmt.Errorf("reading status.conditions: %w", err))
	}
	return v.Status.Conditions, nil
}

// looseConditions returns the well-formed entries of status.conditions,
// skipping anything else: for kinds whose schema is not known.
func looseConditions(obj *unstructured.Unstructured) []condition {
	list, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	out := make([]condition, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		c := condition{}
		c.Type, _ = m["type"].(string)
		c.Status, _ = m["status"].(string)
		c.Reason, _ = m["reason"].(string)
		c.Message, _ = m["message"].(string)
		if c.Type != "" {
			out = append(out, c)
		}
	}
	return out
}

// findCondition returns the first condition of type t, or nil.
func findCondition(conds []condition, t string) *condition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}
