package rollout

import "fmt"

// Dependency is what the hub knows of one application a target depends
// on (dependsOn), on the target's cluster.
type Dependency struct {
	Name    string
	Missing bool   // no such application
	Err     string // its state could not be read
	Selects bool   // it deploys to the cluster
	Target  bool   // it has a target there
	Planned bool   // a plan is assigned there
	Pending bool   // a newer plan of it waits there
	// Ready: Synced (or OutOfSync only by objects requiring pruning, which
	// its plan keeps on purpose) and Healthy at its current plan.
	Ready        bool
	Sync, Health string // as shown, for the reason
}

// DependencyHold says what a target on cluster waits for among its
// dependencies, "" when every one is ready there (or does not deploy
// there at all).
func DependencyHold(cluster string, deps []Dependency) string {
	for _, d := range deps {
		switch {
		case d.Missing:
			return fmt.Sprintf("dependency %s (no such application)", d.Name)
		case d.Err != "":
			return fmt.Sprintf("dependency %s: %s", d.Name, d.Err)
		case !d.Target && !d.Selects:
			continue // it does not deploy to this cluster
		case !d.Target || !d.Planned:
			return fmt.Sprintf("dependency %s to be deployed on %s", d.Name, cluster)
		case d.Pending:
			return fmt.Sprintf("dependency %s to sync its new revision on %s", d.Name, cluster)
		case !d.Ready:
			return fmt.Sprintf("dependency %s to be Synced and Healthy on %s (now %s, %s)", d.Name, cluster, d.Sync, d.Health)
		}
	}
	return ""
}
