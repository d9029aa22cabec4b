package health

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// serviceHealth: a LoadBalancer Service is Progressing until the cloud
// provider reports an ingress point; every other Service is Healthy.
func serviceHealth(obj *unstructured.Unstructured) (Result, error) {
	var svc corev1.Service
	if err := toTyped(obj, &svc, "v1"); err != nil {
		return Result{}, err
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && len(svc.Status.LoadBalancer.Ingress) == 0 {
		return Result{Status: Progressing, Message: "waiting for the load balancer's address"}, nil
	}
	return Result{Status: Healthy}, nil
}

// ingressHealth (networking.k8s.io and extensions, any version): Healthy
// once status.loadBalancer.ingress lists an address, else Progressing.
func ingressHealth(obj *unstructured.Unstructured) (Result, error) {
	ingresses, _, _ := unstructured.NestedSlice(obj.Object, "status", "loadBalancer", "ingress")
	if len(ingresses) > 0 {
		return Result{Status: Healthy}, nil
	}
	return Result{Status: Progressing, Message: "waiting for an ingress controller to publish an address"}, nil
}
