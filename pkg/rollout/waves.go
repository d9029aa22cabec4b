package rollout

import "sort"

// NextWave returns, among the siblings of an application in wave own,
// those of the nearest higher wave: the ones that may go on when it
// becomes ready. Sorted by name.
func NextWave(own int, siblings map[string]int) []string {
	return nearest(siblings, func(w int) bool { return w > own }, func(a, b int) bool { return a < b })
}

// PreviousWave returns, among the siblings of an application in wave own
// (the other children of its parent, by name → wave), those of the
// nearest lower wave: the ones it waits for, as Argo CD's app of apps
// syncs a wave only once the previous one is Healthy. Sorted by name.
func PreviousWave(own int, siblings map[string]int) []string {
	return nearest(siblings, func(w int) bool { return w < own }, func(a, b int) bool { return a > b })
}

// nearest returns the siblings of the wave closest to own (closer decides)
// among the waves ok accepts.
func nearest(siblings map[string]int, ok func(int) bool, closer func(a, b int) bool) []string {
	best, found := 0, false
	for _, w := range siblings {
		if ok(w) && (!found || closer(w, best)) {
			best, found = w, true
		}
	}
	if !found {
		return nil
	}
	var out []string
	for n, w := range siblings {
		if w == best {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
