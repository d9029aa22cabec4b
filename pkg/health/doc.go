// Package health computes the health of a live Kubernetes object.
//
// The answers follow Argo CD: the built-in checks of gitops-engine
// (pkg/health) and the Lua checks Argo CD ships for Kubernetes kinds
// (resource_customizations for batch/CronJob, policy/PodDisruptionBudget and
// apiextensions.k8s.io/CustomResourceDefinition). Statuses and, for the
// built-in kinds, messages are the ones Argo CD reports.
//
// Kinds Argo CD has no check for get a kstatus-style assessment instead of
// Argo CD's "no health": an unobserved generation is Progressing, the
// Reconciling and Stalled conditions are honoured, then the Ready (or else
// Available) condition decides, and an object with none of these is Healthy.
//
// Compute is a pure function of the object: it reads no cluster state and
// keeps no state between calls.
package health
