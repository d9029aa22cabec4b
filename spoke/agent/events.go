package agent

import (
	"context"
	"log/slog"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
)

// eventSink records self-heals as Kubernetes Events on the healed object,
// so `kubectl describe` shows who changed it and that it was reverted.
type eventSink struct {
	cs  kubernetes.Interface
	log *slog.Logger
}

func (s *eventSink) SelfHealed(ctx context.Context, obj *unstructured.Unstructured, message string) {
	ns := obj.GetNamespace()
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	now := metav1.NewTime(time.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: strings.ToLower(obj.GetName()) + ".", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(),
			Name: obj.GetName(), UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion()},
		Reason: "SelfHealed", Message: message, Type: corev1.EventTypeNormal,
		Source:         corev1.EventSource{Component: "flotilla-spoke"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: "flotilla.dev/spoke", ReportingInstance: "flotilla-spoke",
	}
	if _, err := s.cs.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		s.log.Warn("record event", "object", obj.GetKind()+" "+ns+"/"+obj.GetName(), "err", err)
	}
}
