// Package rollout decides, from data and a clock given by the caller, when
// a target may take a new plan: sync windows (Argo CD's AppProject
// syncWindows) today. The hub wires the answers to its store and queue;
// nothing here waits, reads a clock or touches a store.
package rollout
