package cli

import (
	"fmt"
	"io"
	"strings"
)

// conditionsText joins an application's conditions into one reason.
func conditionsText(cs []conditionView) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		where := ""
		if c.Cluster != "" {
			where = " on " + c.Cluster
		}
		parts = append(parts, fmt.Sprintf("%s%s: %s", c.Type, where, c.Message))
	}
	return strings.Join(parts, "; ")
}

// printConditions writes the conditions section of `app get`.
func printConditions(w io.Writer, cs []conditionView, wide bool) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintln(w, "Conditions:")
	for _, c := range cs {
		where := ""
		if c.Cluster != "" {
			where = " (" + c.Cluster + ")"
		}
		fmt.Fprintf(w, "  %s%s: %s\n", c.Type, where, truncate(c.Message, wide))
	}
	fmt.Fprintln(w)
}

// waitingRows lists the targets whose newest plan waits, and why.
func waitingRows(v appView, wide bool) [][]string {
	rows := [][]string{{"CLUSTER", "WAITING FOR", "PLAN"}}
	for _, t := range v.Targets {
		if t.Waiting != "" {
			rows = append(rows, []string{t.Cluster, truncate(t.Waiting, wide), shortRev(t.PendingPlan)})
		}
	}
	return rows
}
