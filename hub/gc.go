package hub

import (
	"context"
	"log/slog"
	"time"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/hub/store"
)

// DefaultGCInterval is how often the hub collects the store's garbage.
const DefaultGCInterval = 10 * time.Minute

// collectGarbage runs the store's GC every interval and after an
// application, cluster or target was deleted, until ctx ends; an interval
// of 0 disables it.
func collectGarbage(ctx context.Context, st *store.Store, ctrl *controller.Controller, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-st.Freed():
		}
		gcOnce(st, ctrl, log)
	}
}

// gcOnce collects once and logs what it freed.
func gcOnce(st *store.Store, ctrl *controller.Controller, log *slog.Logger) {
	keys, err := ctrl.RenderKeys()
	if err != nil {
		log.Warn("store gc: renders kept", "err", err)
		keys = nil // nil keeps every render
	}
	start := time.Now()
	s, err := st.GC(store.GCOptions{RenderKeys: keys})
	if err != nil {
		log.Error("store gc", "err", err)
		return
	}
	lvl := slog.LevelDebug
	if s.PlansFreed+s.RendersFreed+s.Orphans > 0 {
		lvl = slog.LevelInfo
	}
	log.Log(context.Background(), lvl, "store gc", "plansFreed", s.PlansFreed, "plansKept", s.Plans, "rendersFreed", s.RendersFreed,
		"rendersKept", s.Renders, "orphansFreed", s.Orphans, "bytesFreed", s.BytesFreed, "took", time.Since(start).Round(time.Millisecond))
	now := time.Now()
	if n, err := st.DeleteTokens(func(p store.Principal) bool { return !p.Expires.IsZero() && !now.Before(p.Expires) }); err != nil {
		log.Warn("expired tokens gc", "err", err)
	} else if n > 0 {
		log.Info("expired tokens gc", "tokensFreed", n)
	}
	if n, err := ctrl.ChartGC(controller.ChartGrace); err != nil {
		log.Warn("chart cache gc", "err", err)
	} else if n > 0 {
		log.Info("chart cache gc", "chartsFreed", n)
	}
}
