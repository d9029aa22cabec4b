package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/hub/server"
	"github.com/flotilla-gitops/flotilla/hub/store"
)

func TestSecurityFlagsSetTheConfig(t *testing.T) {
	cfg := hub.DefaultConfig()
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	registerSecurityFlags(fs, &cfg)
	err := fs.Parse([]string{"-pprof-listen", "127.0.0.1:6060", "-spoke-max-message", "1", "-admin-max-message", "2", "-max-send-message", "3",
		"-max-spoke-streams", "4", "-max-admin-calls", "5", "-spoke-rate", "6.5", "-spoke-burst", "7", "-spoke-max-report-items", "8",
		"-audit-max-entries", "9", "-audit-max-age", "10h", "-git-fetch-timeout", "11s"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PprofListen != "127.0.0.1:6060" {
		t.Errorf("pprof-listen: %q", cfg.PprofListen)
	}
	if want := (server.GRPCLimits{SpokeMaxMessageBytes: 1, AdminMaxMessageBytes: 2, MaxSendMessageBytes: 3, MaxSpokeStreams: 4, MaxAdminCalls: 5}); cfg.GRPCLimits != want {
		t.Errorf("gRPC limits %+v, want %+v", cfg.GRPCLimits, want)
	}
	if want := (server.SpokeLimits{MessagesPerSecond: 6.5, MessageBurst: 7, MaxReportItems: 8}); cfg.SpokeLimits != want {
		t.Errorf("spoke limits %+v, want %+v", cfg.SpokeLimits, want)
	}
	if cfg.Controller.FetchTimeout != 11*time.Second {
		t.Errorf("git-fetch-timeout: %v", cfg.Controller.FetchTimeout)
	}
	if want := (store.AuditRetention{MaxEntries: 9, MaxAge: 10 * time.Hour}); cfg.AuditRetention != want {
		t.Errorf("audit retention %+v, want %+v", cfg.AuditRetention, want)
	}
}

// A limit that would refuse everything stops the hub with the flag's name.
func TestSecurityFlagsRefuseZero(t *testing.T) {
	for _, args := range [][]string{{"-max-admin-calls", "0"}, {"-max-spoke-streams", "0"}, {"-spoke-rate", "0"}, {"-audit-max-entries", "0"}} {
		cfg := hub.DefaultConfig()
		cfg.Listen, cfg.HTTPListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
		fs := flag.NewFlagSet("hub", flag.ContinueOnError)
		registerSecurityFlags(fs, &cfg)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		h, err := hub.Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			cancel()
			if werr := h.Wait(); werr != nil {
				t.Error(werr)
			}
			t.Errorf("%v: the hub started", args)
			continue
		}
		cancel()
		name := "-" + args[0]
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%v: %v does not name %s", args, err, name)
		}
	}
}
