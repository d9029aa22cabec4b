package controller

import "github.com/prometheus/client_golang/prometheus"

var (
	renderTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "flotilla_hub_renders_total", Help: "Renders run (cache misses), by result.",
	}, []string{"result"})
	renderDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "flotilla_hub_render_duration_seconds", Help: "Time to render one source.", Buckets: prometheus.DefBuckets,
	})
)

// Collectors returns the controller's metrics for registration.
func Collectors() []prometheus.Collector { return []prometheus.Collector{renderTotal, renderDuration} }
