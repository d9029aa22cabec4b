package hub

import (
	"github.com/flotilla-gitops/flotilla/hub/renderpool"
	"github.com/flotilla-gitops/flotilla/internal/renderworker"
)

// startRenderPool starts Controller.RenderWorkers warm render workers with
// cfg's limits (the defaults when zero); the render timeout is their wall
// clock. A limit that cannot work is refused, naming its flag.
func startRenderPool(cfg Config) (*renderworker.Pool, error) {
	lim := cfg.RenderLimits
	if lim == (renderworker.Limits{}) {
		lim = renderworker.DefaultLimits()
	}
	lim.Wall = cfg.Controller.RenderTimeout
	return renderpool.Start(cfg.Controller.RenderWorkers, lim)
}
