package rollout

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/flotilla-gitops/flotilla/pkg/policy"
)

// WindowKind says whether a window lets syncs through or holds them.
type WindowKind int

// Window kinds.
const (
	Allow WindowKind = iota + 1
	Deny
)

func (k WindowKind) String() string {
	if k == Deny {
		return "deny"
	}
	return "allow"
}

// WindowSpec is a sync window as users write it (Argo CD's fields).
type WindowSpec struct {
	Kind         string // allow or deny
	Schedule     string // five-field cron expression of the window's start
	Duration     string // Go duration ("1h", "30m")
	Applications []string
	Namespaces   []string
	Clusters     []string
	ManualSync   bool
	TimeZone     string // IANA name; UTC when empty
}

// Window is a parsed sync window.
type Window struct {
	Kind         WindowKind
	Spec         WindowSpec
	duration     time.Duration
	schedule     cron.Schedule
	applications []string
	namespaces   []string
	clusters     []string
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseWindow checks a window; errors name the field.
func ParseWindow(s WindowSpec) (Window, error) {
	w := Window{Spec: s, applications: s.Applications, namespaces: s.Namespaces, clusters: s.Clusters}
	switch strings.ToLower(s.Kind) {
	case "allow":
		w.Kind = Allow
	case "deny":
		w.Kind = Deny
	default:
		return w, fmt.Errorf("kind %q: want allow or deny", s.Kind)
	}
	loc := time.UTC
	if s.TimeZone != "" {
		l, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			return w, fmt.Errorf("timeZone %q: %v", s.TimeZone, err)
		}
		loc = l
	}
	sched, err := cronParser.Parse(s.Schedule)
	if err != nil {
		return w, fmt.Errorf("schedule %q: %v", s.Schedule, err)
	}
	if sp, ok := sched.(*cron.SpecSchedule); ok {
		sp.Location = loc
	}
	w.schedule = sched
	if w.duration, err = time.ParseDuration(s.Duration); err != nil || w.duration <= 0 {
		return w, fmt.Errorf("duration %q: want a positive duration such as 1h or 30m", s.Duration)
	}
	if len(s.Applications)+len(s.Namespaces)+len(s.Clusters) == 0 {
		return w, fmt.Errorf("window %s %q applies to nothing: set applications, namespaces or clusters (\"*\" for all)", w.Kind, s.Schedule)
	}
	return w, nil
}

// ParseWindows parses every window; the error names the index.
func ParseWindows(specs []WindowSpec) ([]Window, error) {
	out := make([]Window, 0, len(specs))
	for i, s := range specs {
		w, err := ParseWindow(s)
		if err != nil {
			return nil, fmt.Errorf("syncWindows[%d]: %w", i, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// Subject is what a window is matched against: one target.
type Subject struct {
	Application string
	Namespace   string // the application's destination namespace
	Cluster     string
}

// Matches reports whether the window applies to s: any of its
// applications, namespaces or clusters globs matches (Argo CD).
func (w Window) Matches(s Subject) bool {
	return anyGlob(w.applications, s.Application) || anyGlob(w.namespaces, s.Namespace) || anyGlob(w.clusters, s.Cluster)
}

func anyGlob(patterns []string, v string) bool {
	for _, p := range patterns {
		if v != "" && policy.Glob(p, v) {
			return true
		}
	}
	return false
}

// activeSince returns the start of the occurrence the window is in at now,
// and whether it is in one.
func (w Window) activeSince(now time.Time) (time.Time, bool) {
	start := w.schedule.Next(now.Add(-w.duration))
	return start, !start.After(now)
}

// boundary is the next time the window opens or closes after now.
func (w Window) boundary(now time.Time) time.Time {
	if start, ok := w.activeSince(now); ok {
		return start.Add(w.duration)
	}
	return w.schedule.Next(now)
}

func (w Window) describe() string {
	tz := w.Spec.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return fmt.Sprintf("%s window %q for %s (%s)", w.Kind, w.Spec.Schedule, w.Spec.Duration, tz)
}
