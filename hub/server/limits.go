package server

import (
	"fmt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// SpokeLimits bound what one spoke may send, so that a flooding or
// hostile spoke is slowed down instead of served at others' expense.
type SpokeLimits struct {
	// MessagesPerSecond and MessageBurst rate-limit one stream's messages;
	// beyond them the hub stops reading (gRPC flow control pushes back).
	MessagesPerSecond float64
	MessageBurst      int
	// MaxReportItems bounds the resources of one report and of a target's
	// stored status.
	MaxReportItems int
}

// DefaultSpokeLimits allows bursts of a large resync and a steady rate
// far above what a healthy spoke sends.
func DefaultSpokeLimits() SpokeLimits {
	return SpokeLimits{MessagesPerSecond: 200, MessageBurst: 2000, MaxReportItems: 10000}
}

// Validate refuses limits that would stop every spoke, naming the flag.
func (l SpokeLimits) Validate() error {
	switch {
	case l.MessagesPerSecond <= 0:
		return fmt.Errorf("--spoke-rate %v: want more than 0", l.MessagesPerSecond)
	case l.MessageBurst < 1:
		return fmt.Errorf("--spoke-burst %d: want at least 1", l.MessageBurst)
	case l.MaxReportItems < 1:
		return fmt.Errorf("--spoke-max-report-items %d: want at least 1", l.MaxReportItems)
	}
	return nil
}

// reportTarget names the application a report is about and how many
// resources it lists; ok is false for messages that are not reports.
func reportTarget(m *pb.ConnectRequest) (app string, items int, ok bool) {
	switch r := m.GetMsg().(type) {
	case *pb.ConnectRequest_Ack:
		return r.Ack.GetApplication(), 0, true
	case *pb.ConnectRequest_Progress:
		return r.Progress.GetApplication(), len(r.Progress.GetResults()), true
	case *pb.ConnectRequest_Health:
		return r.Health.GetApplication(), len(r.Health.GetResources()), true
	case *pb.ConnectRequest_Drift:
		return r.Drift.GetApplication(), len(r.Drift.GetResources()), true
	case *pb.ConnectRequest_LiveDiff:
		return "", len(r.LiveDiff.GetResources()), false
	}
	return "", 0, false
}

// admit refuses a report about a target the hub did not assign to this
// cluster, and any message listing more resources than the limit.
func (c *conn) admit(m *pb.ConnectRequest) error {
	app, items, report := reportTarget(m)
	if items > c.maxItems {
		return fmt.Errorf("cluster %s: %T for application %q lists %d resources, more than the limit of %d", c.cluster, m.GetMsg(), app, items, c.maxItems)
	}
	if !report {
		return nil
	}
	assigned, err := c.store.Assigned(app, c.cluster)
	switch {
	case err != nil:
		return fmt.Errorf("cluster %s: application %q: %w", c.cluster, app, err)
	case !assigned:
		return fmt.Errorf("cluster %s: report for application %q, which the hub did not assign to it", c.cluster, app)
	}
	return nil
}
