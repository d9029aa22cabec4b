package rollout

import (
	"fmt"
	"math"
	"sort"
)

// Cluster is a target cluster as steps select it.
type Cluster struct {
	Name   string
	Labels map[string]string
}

// StepSelector is how a step picks its clusters: by labels, then at most
// Count of them or Percent of the remaining (rounded up).
type StepSelector struct {
	Name     string
	Selector map[string]string
	Count    int
	Percent  int
}

// Members splits the clusters into steps: each takes, from the clusters
// no earlier step took (sorted by name), those matching its selector, then
// at most Count of them or Percent of the remaining. A step with neither
// takes all that match; clusters left after the last step form a final
// step, "remaining".
func Members(steps []StepSelector, clusters []Cluster) []Step {
	remaining := sortedClusters(clusters)
	var out []Step
	for i, sel := range steps {
		var match, rest []Cluster
		for _, c := range remaining {
			if Matches(sel.Selector, c.Labels) {
				match = append(match, c)
			} else {
				rest = append(rest, c)
			}
		}
		n := len(match)
		if sel.Count > 0 {
			n = min(n, sel.Count)
		}
		if sel.Percent > 0 {
			n = min(n, int(math.Ceil(float64(sel.Percent)*float64(len(remaining))/100)))
		}
		name := sel.Name
		if name == "" {
			name = fmt.Sprintf("step %d", i+1)
		}
		out = append(out, newStep(name, match[:n]))
		remaining = sortedClusters(append(rest, match[n:]...))
	}
	if len(remaining) > 0 || len(out) == 0 {
		out = append(out, newStep("remaining", remaining))
	}
	return out
}

func newStep(name string, cs []Cluster) Step {
	st := Step{Name: name, Phase: StepPending}
	for _, c := range cs {
		st.Targets = append(st.Targets, Target{Cluster: c.Name, Phase: TargetPending})
	}
	return st
}

func sortedClusters(cs []Cluster) []Cluster {
	out := append([]Cluster(nil), cs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Matches reports whether labels has every key=value of sel (an empty
// selector matches everything).
func Matches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// AddTargets puts clusters that joined the application after its rollout
// began into a last step of their own ("joined"), so that they get the
// revision too; a completed rollout goes on with that step. It reports
// whether any was added (clusters already in the rollout are skipped).
func AddTargets(r *Rollout, clusters []string) bool {
	in := map[string]bool{}
	for _, s := range r.Steps {
		for _, t := range s.Targets {
			in[t.Cluster] = true
		}
	}
	var added []Cluster
	for _, c := range clusters {
		if !in[c] {
			added = append(added, Cluster{Name: c})
		}
	}
	if len(added) == 0 {
		return false
	}
	r.Steps = append(r.Steps, newStep("joined", sortedClusters(added)))
	if r.Phase == Completed {
		r.Phase, r.Step, r.Message = Progressing, len(r.Steps)-1, "clusters joined after the rollout completed"
	}
	return true
}
