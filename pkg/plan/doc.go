// Package plan computes what a spoke executes for one target: the desired
// objects (and the previous inventory, for pruning) turned into ordered
// steps of phase and wave, Argo CD-compatible, so existing manifests work
// unchanged. Compute is pure; a Plan is data with a stable content hash.
//
// Ordering, in one comparator (less): phase (PreSync < Sync < PostSync <
// SyncFail), then wave, then kind (Helm's install order, kindOrder), then
// name. Then a Namespace moves just before the first object in it, and a
// CRD just before the first custom resource of its group/kind, each taking
// that object's phase and wave (gitops-engine's adjustDeps). Prune waves
// are the reverse of the objects' waves; PruneLast puts them after the last
// Sync wave. Within a step, prunes come before applies, as in Argo CD.
package plan
