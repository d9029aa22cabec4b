package controller

import (
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// hasChart says whether one of a's sources is a chart.
func hasChart(a *pb.Application) bool {
	for _, s := range wire.Sources(a) {
		if isChart(s) {
			return true
		}
	}
	return false
}

// ChartGrace keeps a chart pulled this recently through a GC: a render
// may be reading it before any history names it.
const ChartGrace = 10 * time.Minute

// ChartGC removes the cached charts that no chart application uses now or
// in its targets' history, but for those pulled less than grace ago (and
// none until every application has been reconciled since the start); it
// returns how many it removed.
func (c *Controller) ChartGC(grace time.Duration) (int, error) {
	apps, err := c.store.ListApplications()
	if err != nil {
		return 0, err
	}
	if !c.chartDeps.isSettled(appNames(apps)) {
		return 0, nil // not every application rendered since the start: what they use is not known yet
	}
	keep := c.chartDeps.inUse()
	for _, a := range apps {
		if !hasChart(a) {
			continue
		}
		if v, err := c.resolveRevision(a, wire.TargetRevision(a)); err == nil {
			for _, g := range strings.Split(c.chartDigest(a, v), ",") {
				keep[g] = true
			}
		}
		ts, err := c.store.ListTargets(a.GetName())
		if err != nil {
			return 0, err
		}
		for _, t := range ts {
			h, err := c.store.ListHistory(a.GetName(), t.GetCluster())
			if err != nil {
				return 0, err
			}
			for _, e := range h {
				for _, g := range strings.Split(e.GetSourceDigest(), ",") {
					keep[g] = true
				}
			}
		}
	}
	return c.charts().GC(keep, grace)
}
