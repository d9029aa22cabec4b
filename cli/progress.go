package cli

import (
	"fmt"
	"io"
	"strings"
)

// progress shows sync progress per cluster: on a terminal it redraws one
// line per cluster with a bar over the plan's steps; otherwise it prints a
// plain line whenever a cluster's state changes.
type progress struct {
	w     io.Writer
	tty   bool
	last  map[string]string
	lines int
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w), last: map[string]string{}}
}

func (p *progress) line(t targetView) string {
	op, bar := "-", ""
	if t.Operation != nil {
		op = t.Operation.Phase
		if t.Operation.Steps > 0 {
			done := int(t.Operation.Step)
			if t.Operation.Phase == "Succeeded" {
				done = int(t.Operation.Steps)
			}
			n := 20 * done / int(t.Operation.Steps)
			bar = fmt.Sprintf(" [%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", 20-n), done, t.Operation.Steps)
		}
		if t.Operation.Message != "" {
			op += ": " + t.Operation.Message
		}
	}
	if t.Error != "" {
		op = "Error: " + t.Error
	}
	return fmt.Sprintf("%-16s %-9s %-11s%s %s", t.Cluster, t.Sync, t.Health, bar, op)
}

func (p *progress) show(v appView) {
	if p.tty {
		if p.lines > 0 {
			fmt.Fprintf(p.w, "\x1b[%dA", p.lines)
		}
		for _, t := range v.Targets {
			fmt.Fprintf(p.w, "\x1b[2K%s\n", p.line(t))
		}
		p.lines = len(v.Targets)
		return
	}
	for _, t := range v.Targets {
		l := p.line(t)
		if p.last[t.Cluster] != l {
			p.last[t.Cluster] = l
			fmt.Fprintln(p.w, l)
		}
	}
}

func (p *progress) summary(v appView) {
	var res int
	for _, t := range v.Targets {
		res += len(t.Resources)
	}
	fmt.Fprintf(p.w, "%s: %d cluster(s) Synced and Healthy, %d resource(s)\n", v.Name, len(v.Targets), res)
}
