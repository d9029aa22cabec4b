package server

import "github.com/prometheus/client_golang/prometheus"

var (
	connectedSpokes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "flotilla_hub_connected_spokes", Help: "Spokes connected now."})
	plansSent       = prometheus.NewCounter(prometheus.CounterOpts{Name: "flotilla_hub_plans_sent_total", Help: "Plan assignments sent to spokes."})
	syncResults     = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flotilla_hub_sync_results_total", Help: "Finished syncs reported by spokes, by result."}, []string{"result"})
	webhooks        = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "flotilla_hub_webhooks_total", Help: "Webhook deliveries, by result."}, []string{"result"})
)

// Collectors returns the server's metrics for registration.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{connectedSpokes, plansSent, syncResults, webhooks, reportsRefused, panics, auditDropped}
}

var reportsRefused = prometheus.NewCounter(prometheus.CounterOpts{Name: "flotilla_hub_spoke_reports_refused_total", Help: "Spoke messages refused: a target not assigned to the cluster, or too many resources."})

var panics = prometheus.NewCounter(prometheus.CounterOpts{Name: "flotilla_hub_grpc_panics_total", Help: "gRPC handler panics recovered (answered Internal)."})

var auditDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "flotilla_hub_audit_unauthenticated_dropped_total", Help: "Unauthenticated admin calls logged but not stored in the audit log (beyond its rate)."})
