package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// cold creates every application and times them to their plans at the
// spoke, then waits until the hub has handled the spoke's reports.
func (s *session) cold(ctx context.Context, r *Run) error {
	fmt.Fprintf(os.Stderr, "run %d: hub, cold render of %d applications\n", s.run, len(s.all))
	protos := make([]*pb.Application, len(s.all))
	for i, a := range s.all {
		protos[i] = a.proto(s.e.repo, cluster)
	}
	git0, gitSec0 := s.e.git.read()
	cpu0, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	own0, _ := benchutil.ProcStat(s.h.PID())
	start := time.Now()
	if err := create(ctx, s.h, protos, s.cfg.creators); err != nil {
		return err
	}
	r.CreateSec = time.Since(start).Seconds()
	if err := s.o.waitFor(ctx, "cold render", len(s.all), planned); err != nil {
		return err
	}
	r.ColdSec = time.Since(start).Seconds()
	cpu1, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	own1, rss := benchutil.ProcStat(s.h.PID())
	r.ColdCPUSec, r.ColdHubCPUSec, r.ColdPeakRSSMiB = cpu1-cpu0, own1-own0, rss
	git1, gitSec1 := s.e.git.read()
	r.ColdGitReqs, r.ColdGitSec = git1-git0, gitSec1-gitSec0
	if err := s.o.waitFor(ctx, "syncs reported", len(s.all), succeeded); err != nil {
		return err
	}
	if err := s.o.quiet(ctx, quietFor); err != nil {
		return err
	}
	r.SettleSec = time.Since(start).Seconds() - quietFor.Seconds() - r.ColdSec
	if r.ColdRenders, err = s.h.Metric(ctx, rendersOK); err != nil {
		return err
	}
	r.ColdPlans, r.ColdDistinct = s.o.received()
	fmt.Fprintf(os.Stderr, "run %d: cold %.1fs (create %.1fs), CPU %.1fs (hub process %.1fs), %.0f renders, %d plans (%d distinct), %d Git requests (%.1fs); settled %.1fs later\n",
		s.run, r.ColdSec, r.CreateSec, r.ColdCPUSec, r.ColdHubCPUSec, r.ColdRenders, r.ColdPlans, r.ColdDistinct, r.ColdGitReqs, r.ColdGitSec, r.SettleSec)
	return nil
}

// unrelated commits a README change, sends the webhook and times it to
// every application reconciled again (its status republished).
func (s *session) unrelated(ctx context.Context, r *Run) error {
	readme := map[string]string{"README.md": fmt.Sprintf("# render benchmark\n\nrun %d\n", s.run)}
	if _, err := s.e.gs.Commit("apps", "main", fmt.Sprintf("docs, run %d", s.run), readme); err != nil {
		return err
	}
	s.o.mark()
	git0, _ := s.e.git.read()
	cpu0, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	start := time.Now()
	if err := benchutil.Webhook(ctx, s.h.HTTPAddr, s.e.repo); err != nil {
		return err
	}
	if err := s.o.waitFor(ctx, "unrelated commit", len(s.all), updated); err != nil {
		return err
	}
	r.UnrelatedSec = time.Since(start).Seconds()
	cpu1, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	r.UnrelatedCPUSec = cpu1 - cpu0
	git1, _ := s.e.git.read()
	r.UnrelatedGitReqs = git1 - git0
	renders, err := s.h.Metric(ctx, rendersOK)
	if err != nil {
		return err
	}
	r.UnrelatedRenders = renders - r.ColdRenders
	plans, distinct := s.o.received()
	r.UnrelatedPlans, r.UnrelatedDistinct = plans-r.ColdPlans, distinct-r.ColdDistinct
	fmt.Fprintf(os.Stderr, "run %d: unrelated commit %.2fs, %.0f renders, %d plans (%d new), %d Git requests\n",
		s.run, r.UnrelatedSec, r.UnrelatedRenders, r.UnrelatedPlans, r.UnrelatedDistinct, r.UnrelatedGitReqs)
	return nil
}
