package rollout

import (
	"fmt"
	"time"
)

// Verdict is whether a sync may run now and, if not, why and until when
// the answer holds.
type Verdict struct {
	Allowed bool
	Reason  string    // why not; "" when allowed
	Recheck time.Time // the next window boundary: decide again then (zero: never changes)
}

// Decide applies Argo CD's rules to the windows matching s at now: an
// active deny window holds every sync (manual ones pass only if every
// active deny window allows manualSync); otherwise an active allow window
// lets everything through; otherwise, if allow windows match s, only
// manual syncs pass, and only if one of them allows manualSync; with no
// matching window, everything passes.
func Decide(windows []Window, s Subject, manual bool, now time.Time) Verdict {
	var matching []Window
	for _, w := range windows {
		if w.Matches(s) {
			matching = append(matching, w)
		}
	}
	v := Verdict{Allowed: true, Recheck: recheck(matching, now)}
	if len(matching) == 0 {
		return v
	}
	var activeDeny, activeAllow, allows []Window
	for _, w := range matching {
		_, on := w.activeSince(now)
		switch {
		case w.Kind == Deny && on:
			activeDeny = append(activeDeny, w)
		case w.Kind == Allow && on:
			activeAllow = append(activeAllow, w)
		case w.Kind == Allow:
			allows = append(allows, w)
		}
	}
	switch {
	case len(activeDeny) > 0:
		if manual && allManual(activeDeny) {
			return v
		}
		w := activeDeny[0]
		start, _ := w.activeSince(now)
		v.Allowed, v.Reason = false, fmt.Sprintf("sync window: %s is active until %s", w.describe(), start.Add(w.duration).UTC().Format(time.RFC3339))
	case len(activeAllow) > 0:
	case len(allows) > 0:
		if manual && anyManual(allows) {
			return v
		}
		v.Allowed, v.Reason = false, fmt.Sprintf("sync window: outside every allow window; the next opens at %s", nextOpen(allows, now).UTC().Format(time.RFC3339))
	}
	return v
}

func allManual(ws []Window) bool {
	for _, w := range ws {
		if !w.Spec.ManualSync {
			return false
		}
	}
	return true
}

func anyManual(ws []Window) bool {
	for _, w := range ws {
		if w.Spec.ManualSync {
			return true
		}
	}
	return false
}

func nextOpen(allows []Window, now time.Time) time.Time {
	var t time.Time
	for _, w := range allows {
		if n := w.schedule.Next(now); t.IsZero() || n.Before(t) {
			t = n
		}
	}
	return t
}

// recheck is the earliest boundary of the windows after now.
func recheck(ws []Window, now time.Time) time.Time {
	var t time.Time
	for _, w := range ws {
		if b := w.boundary(now); !b.IsZero() && (t.IsZero() || b.Before(t)) {
			t = b
		}
	}
	return t
}
