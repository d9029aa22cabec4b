package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// chartRun is one run's measurements of the chart applications, on a hub
// of their own. CPU is the hub's with its render workers'.
type chartRun struct {
	Library *libraryRun // the same renders with pkg/render, the hub's parallelism

	CreateSec     float64 // creating the applications (part of ColdSec)
	ColdSec       float64 // first application created to every plan at the spoke
	ColdCPUSec    float64
	ColdHubCPUSec float64 // of which the hub process's (the rest: its render workers)
	ColdPulls     int64   // chart archives served by the repository
	ColdIndexes   int64   // index.yaml served
	ColdPlans     int     // plans the spoke received, resends included
	ColdDistinct  int
	SettleSec     float64 // ColdSec to the hub done with the spoke's reports

	CachedSec      float64 // webhook (the repository's poll) to every application reconciled again
	CachedCPUSec   float64
	CachedPulls    int64
	CachedIndexes  int64
	CachedPlans    int // plans received, resends included
	CachedDistinct int // new distinct plans

	RestartSec      float64 // hub restarted on its data dir, then a webhook, to every application reconciled again
	RestartCPUSec   float64 // since the new hub started
	RestartPulls    int64
	RestartIndexes  int64
	RestartPlans    int
	RestartDistinct int
}

// chartSession is the chart applications' hub, its simulated spoke and
// observer.
type chartSession struct {
	cfg       config
	e         *env
	run       int
	dir       string // the hub's data
	pprofAddr string
	token     string
	h         *benchutil.HubProc
	stop      context.CancelFunc // the current hub's spoke and watch
	o         *observer
	all       []*pb.Application
}

// measureCharts runs the library peer on the unpacked charts, then a
// fresh hub: cold render, a refresh of the repository, a restart.
func measureCharts(ctx context.Context, cfg config, e *env, run int) (*chartRun, error) {
	r := &chartRun{}
	var err error
	fmt.Fprintf(os.Stderr, "run %d: charts, library, %d workers\n", run, cfg.workers)
	if r.Library, err = library(ctx, e.checkout, e.charts.unpacked, 0, 0, cfg.charts, cfg.workers); err != nil {
		return nil, err
	}
	s := &chartSession{cfg: cfg, e: e, run: run, dir: filepath.Join(e.dir, fmt.Sprintf("hub%d-charts", run)), o: newObserver()}
	for _, a := range chartApps(cfg.charts) {
		s.all = append(s.all, a.proto(e.charts.url, cluster))
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if err := s.halt(); err != nil {
			fmt.Fprintln(os.Stderr, "hub:", err)
		}
	}()
	if err := s.cold(ctx, r); err != nil {
		return nil, err
	}
	if err := s.cached(ctx, r); err != nil {
		return nil, err
	}
	if err := s.restart(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// start starts a hub on the session's data dir (the cluster added on the
// first start) with its simulated spoke and a watch of its applications.
func (s *chartSession) start(ctx context.Context) error {
	var err error
	if s.pprofAddr, err = benchutil.FreeAddr(); err != nil {
		return err
	}
	if s.h, err = benchutil.StartHub(ctx, s.cfg.hubBin, s.dir, "--render-workers", fmt.Sprint(s.cfg.workers), "--pprof-listen", s.pprofAddr); err != nil {
		return err
	}
	if s.token == "" {
		if s.token, err = s.h.AddCluster(ctx, cluster); err != nil { // retried until the hub serves
			return err
		}
	} else if err := s.serving(ctx); err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	s.stop = cancel
	go benchutil.SimSpoke(sctx, s.h.Conn, s.token, s.o.plan)
	stream, err := pb.NewApplicationServiceClient(s.h.Conn).WatchApplications(s.h.Auth(sctx), &pb.WatchApplicationsRequest{})
	if err != nil {
		return err
	}
	go s.o.watch(stream)
	return s.h.WaitMetric(ctx, "flotilla_hub_connected_spokes", 1)
}

// serving waits until the hub answers an admin call.
func (s *chartSession) serving(ctx context.Context) error {
	for {
		_, err := pb.NewClusterServiceClient(s.h.Conn).GetCluster(s.h.Auth(ctx), &pb.GetClusterRequest{Name: cluster})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("get cluster %s: %w", cluster, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// halt stops the current hub, its spoke and watch.
func (s *chartSession) halt() error {
	s.stop()
	return s.h.Stop()
}

// cold creates every chart application and times them to their plans at
// the spoke, then waits until the hub has handled the spoke's reports.
func (s *chartSession) cold(ctx context.Context, r *chartRun) error {
	fmt.Fprintf(os.Stderr, "run %d: hub, cold render of %d chart applications (%d chart versions)\n", s.run, len(s.all), len(chartVersions))
	pulls0, idx0 := s.e.charts.read()
	cpu0, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	own0, _ := benchutil.ProcStat(s.h.PID())
	profiled := make(chan struct{})
	if s.cfg.cpuProfile != "" && s.run == 1 {
		go func() {
			defer close(profiled)
			if err := benchutil.Profile(s.pprofAddr, 10, s.cfg.cpuProfile+"-charts-cold.pprof"); err != nil {
				fmt.Fprintln(os.Stderr, "profile:", err)
			}
		}()
	} else {
		close(profiled)
	}
	defer func() { <-profiled }()
	start := time.Now()
	if err := create(ctx, s.h, s.all, s.cfg.creators); err != nil {
		return err
	}
	r.CreateSec = time.Since(start).Seconds()
	if err := s.o.waitFor(ctx, "chart cold render", len(s.all), planned); err != nil {
		return err
	}
	r.ColdSec = time.Since(start).Seconds()
	cpu1, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	r.ColdCPUSec = cpu1 - cpu0
	own1, _ := benchutil.ProcStat(s.h.PID())
	r.ColdHubCPUSec = own1 - own0
	pulls1, idx1 := s.e.charts.read()
	r.ColdPulls, r.ColdIndexes = pulls1-pulls0, idx1-idx0
	if err := s.o.waitFor(ctx, "chart syncs reported", len(s.all), succeeded); err != nil {
		return err
	}
	if err := s.o.quiet(ctx, quietFor); err != nil {
		return err
	}
	r.SettleSec = time.Since(start).Seconds() - quietFor.Seconds() - r.ColdSec
	r.ColdPlans, r.ColdDistinct = s.o.received()
	fmt.Fprintf(os.Stderr, "run %d: charts cold %.1fs (create %.1fs), CPU %.1fs (hub process %.1fs), %d pulls, %d index fetches, %d plans (%d distinct); settled %.1fs later\n",
		s.run, r.ColdSec, r.CreateSec, r.ColdCPUSec, r.ColdHubCPUSec, r.ColdPulls, r.ColdIndexes, r.ColdPlans, r.ColdDistinct, r.SettleSec)
	return nil
}

// cached sends a webhook naming the Helm repository (what its poll does:
// the index fetched again, unchanged) and times it to every chart
// application reconciled again (its status republished).
func (s *chartSession) cached(ctx context.Context, r *chartRun) error {
	s.o.mark()
	pulls0, idx0 := s.e.charts.read()
	plans0, distinct0 := s.o.received()
	cpu0, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	start := time.Now()
	if err := benchutil.Webhook(ctx, s.h.HTTPAddr, s.e.charts.url); err != nil {
		return err
	}
	if err := s.o.waitFor(ctx, "chart repository refresh", len(s.all), updated); err != nil {
		return err
	}
	r.CachedSec = time.Since(start).Seconds()
	cpu1, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	r.CachedCPUSec = cpu1 - cpu0
	pulls1, idx1 := s.e.charts.read()
	r.CachedPulls, r.CachedIndexes = pulls1-pulls0, idx1-idx0
	plans, distinct := s.o.received()
	r.CachedPlans, r.CachedDistinct = plans-plans0, distinct-distinct0
	fmt.Fprintf(os.Stderr, "run %d: charts cached (repository refresh) %.2fs, CPU %.2fs, %d pulls, %d index fetches, %d plans (%d new)\n",
		s.run, r.CachedSec, r.CachedCPUSec, r.CachedPulls, r.CachedIndexes, r.CachedPlans, r.CachedDistinct)
	return nil
}

// restart stops the hub and starts it again on the same data dir (its
// chart cache on disk), then sends a webhook naming the repository and
// times the new process to every chart application reconciled after it.
func (s *chartSession) restart(ctx context.Context, r *chartRun) error {
	if err := s.o.quiet(ctx, quietFor); err != nil {
		return err
	}
	pulls0, idx0 := s.e.charts.read()
	plans0, distinct0 := s.o.received()
	if err := s.halt(); err != nil {
		return err
	}
	msgs0 := s.o.watched()
	start := time.Now()
	if err := s.start(ctx); err != nil {
		return err
	}
	// A watch starts with every target as stored (one per application):
	// not an update. The reconciles the start queued may publish before
	// or after mark; the webhook's refresh runs after it either way.
	if err := s.o.waitWatched(ctx, "watch after the restart", msgs0+len(s.all)); err != nil {
		return err
	}
	s.o.mark()
	if err := benchutil.Webhook(ctx, s.h.HTTPAddr, s.e.charts.url); err != nil {
		return err
	}
	if err := s.o.waitFor(ctx, "chart hub restart", len(s.all), updated); err != nil {
		return err
	}
	r.RestartSec = time.Since(start).Seconds()
	cpu, err := treeCPU(s.h.PID())
	if err != nil {
		return err
	}
	r.RestartCPUSec = cpu
	pulls1, idx1 := s.e.charts.read()
	r.RestartPulls, r.RestartIndexes = pulls1-pulls0, idx1-idx0
	plans, distinct := s.o.received()
	r.RestartPlans, r.RestartDistinct = plans-plans0, distinct-distinct0
	fmt.Fprintf(os.Stderr, "run %d: charts restart %.2fs, CPU %.2fs, %d pulls, %d index fetches, %d plans (%d new)\n",
		s.run, r.RestartSec, r.RestartCPUSec, r.RestartPulls, r.RestartIndexes, r.RestartPlans, r.RestartDistinct)
	return s.o.quiet(ctx, quietFor) // the start's own refresh may still run: not cut short by the stop
}
