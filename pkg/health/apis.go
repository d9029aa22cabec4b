package health

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// apiServiceHealth (apiregistration.k8s.io v1 and v1beta1): the Available
// condition decides; until it is reported the APIService is Progressing.
func apiServiceHealth(obj *unstructured.Unstructured) (Result, error) {
	if v := obj.GroupVersionKind().Version; v != "v1" && v != "v1beta1" {
		return Result{}, objectError(obj, fmt.Errorf("unsupported apiVersion %q for APIService", obj.GetAPIVersion()))
	}
	conds, err := readConditions(obj)
	if err != nil {
		return Result{}, err
	}
	c := findCondition(conds, "Available")
	if c == nil {
		return Result{Status: Progressing, Message: "Waiting to be processed"}, nil
	}
	msg := fmt.Sprintf("%s: %s", c.Reason, c.Message)
	if c.Status == "True" {
		return Result{Status: Healthy, Message: msg}, nil
	}
	return Result{Status: Progressing, Message: msg}, nil
}

// crdHealth follows Argo CD's Lua check for CustomResourceDefinition.
func crdHealth(obj *unstructured.Unstructured) (Result, error) {
	// Compute already answers "Pending deletion" for objects being deleted,
	// as Argo CD does before running the Lua; this is only reached for one
	// holding Argo CD's hook finalizer.
	if obj.GetDeletionTimestamp() != nil {
		return Result{Status: Progressing, Message: "CRD is terminating"}, nil
	}
	conds, err := readConditions(obj)
	if err != nil {
		return Result{}, err
	}
	if len(conds) == 0 {
		return Result{Status: Progressing, Message: "Status conditions not found"}, nil
	}
	established := false
	for _, c := range conds {
		switch {
		case c.Type == "Terminating" && c.Status == "True":
			return Result{Status: Progressing, Message: "CRD is terminating: " + c.Message}, nil
		case c.Type == "NamesAccepted" && c.Status == "False":
			return Result{Status: Degraded, Message: "CRD names have not been accepted: " + c.Message}, nil
		case c.Type == "NonStructuralSchema" && c.Status == "True":
			return Result{Status: Degraded, Message: "Schema violations found: " + c.Message}, nil
		case c.Type == "Established" && c.Status == "True":
			established = true
		case c.Type == "Established" && c.Reason == "Installing":
			return Result{Status: Progressing, Message: "CRD is being installed"}, nil
		}
	}
	if !established {
		return Result{Status: Degraded, Message: "CRD is not established"}, nil
	}
	return Result{Status: Healthy, Message: "CRD is healthy"}, nil
}
