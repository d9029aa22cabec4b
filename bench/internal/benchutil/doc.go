// Package benchutil holds what the benchmark programs under bench/ share: a
// simulated spoke speaking the real protocol, the admin token and webhook
// of a hub, /proc sampling of a process's CPU and memory, and min/median/
// max summaries of repeated runs.
package benchutil
