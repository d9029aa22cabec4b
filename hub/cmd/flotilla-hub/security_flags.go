package main

import (
	"flag"

	"github.com/flotilla-gitops/flotilla/hub"
)

// registerSecurityFlags adds the flags of the hub's exposure and limits:
// pprof's own listener, per-service gRPC limits, spoke report limits and
// the audit log's retention.
func registerSecurityFlags(fs *flag.FlagSet, cfg *hub.Config) {
	fs.StringVar(&cfg.PprofListen, "pprof-listen", "", "serve /debug/pprof on this loopback address (e.g. 127.0.0.1:6060); off when empty, refused on any other address")
	g := &cfg.GRPCLimits
	fs.IntVar(&g.SpokeMaxMessageBytes, "spoke-max-message", g.SpokeMaxMessageBytes, "largest message (bytes) a spoke may send")
	fs.IntVar(&g.AdminMaxMessageBytes, "admin-max-message", g.AdminMaxMessageBytes, "largest admin API request (bytes)")
	fs.IntVar(&g.MaxSendMessageBytes, "max-send-message", g.MaxSendMessageBytes, "largest message (bytes) the hub sends")
	fs.IntVar(&g.MaxSpokeStreams, "max-spoke-streams", g.MaxSpokeStreams, "spoke streams served at once; more are refused (ResourceExhausted)")
	fs.IntVar(&g.MaxAdminCalls, "max-admin-calls", g.MaxAdminCalls, "admin API calls and streams in flight at once; more are refused (ResourceExhausted)")
	sl := &cfg.SpokeLimits
	fs.Float64Var(&sl.MessagesPerSecond, "spoke-rate", sl.MessagesPerSecond, "messages per second the hub reads from one spoke (beyond the burst)")
	fs.IntVar(&sl.MessageBurst, "spoke-burst", sl.MessageBurst, "messages the hub reads from one spoke at once before --spoke-rate applies")
	fs.IntVar(&sl.MaxReportItems, "spoke-max-report-items", sl.MaxReportItems, "resources one spoke report (and a target's status) may list")
	fs.DurationVar(&cfg.Controller.FetchTimeout, "git-fetch-timeout", cfg.Controller.FetchTimeout, "time limit of one Git fetch (0: 2m); a hung Git server stalls only its own repository")
	fs.IntVar(&cfg.AuditRetention.MaxEntries, "audit-max-entries", cfg.AuditRetention.MaxEntries, "audit log entries kept (the oldest go first)")
	fs.DurationVar(&cfg.AuditRetention.MaxAge, "audit-max-age", cfg.AuditRetention.MaxAge, "audit log entries older than this are dropped")
}
