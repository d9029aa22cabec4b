package rollout

import "sort"

// PreviousWave returns, among the siblings of an application in wave own
// (the other children of its parent, by name → wave), those of the
// nearest lower wave: the ones it waits for, as Argo CD's app of apps
// syncs a wave only once the previous one is Healthy. Sorted by name.
func PreviousWave(own int, siblings map[string]int) []string {
	prev, found := 0, false
	for _, w := range siblings {
		if w < own && (!found || w > prev) {
			prev, found = w, true
		}
	}
	if !found {
		return nil
	}
	var out []string
	for n, w := range siblings {
		if w == prev {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
