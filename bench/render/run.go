package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// config is what the flags set.
type config struct {
	hubBin            string
	kustomize, helm   int
	charts            int // chart applications (Helm repository)
	workers, creators int
	cpuProfile        string
	timeout           time.Duration
}

// env is what every run shares: the repository, served and checked out,
// and the Helm repository, served and unpacked.
type env struct {
	dir, checkout, repo string
	gs                  *gitserver.Server
	git                 *counted
	charts              *chartRepo
}

// Run is one run's measurements.
type Run struct {
	LibrarySeq, LibraryPar *libraryRun

	CreateSec      float64 // creating the applications (part of ColdSec)
	ColdSec        float64 // first application created to every plan at the spoke
	ColdCPUSec     float64 // the hub's with its render workers', over ColdSec
	ColdHubCPUSec  float64 // of which the hub process's
	ColdPeakRSSMiB float64 // the hub's, at the end of ColdSec
	ColdRenders    float64 // flotilla_hub_renders_total{result="ok"}
	ColdPlans      int     // plans the spoke received, resends included
	ColdDistinct   int     // distinct plans among them
	ColdGitReqs    int64   // requests to the Git server
	ColdGitSec     float64 // time the Git server spent on them
	SettleSec      float64 // ColdSec to the hub done with the spoke's reports

	UnrelatedSec      float64 // webhook to every application's status republished
	UnrelatedCPUSec   float64
	UnrelatedRenders  float64
	UnrelatedPlans    int // plans received, resends included
	UnrelatedDistinct int // new distinct plans
	UnrelatedGitReqs  int64

	Charts *chartRun // nil without chart applications
}

const rendersOK = `flotilla_hub_renders_total{result="ok"}`

// cluster is the one cluster, served by the simulated spoke.
const cluster = "c1"

// quietFor is how long the hub must send nothing to count as done.
const quietFor = 2 * time.Second

// session is one run's hub with its simulated spoke and observer.
type session struct {
	cfg config
	e   *env
	run int
	h   *benchutil.HubProc
	o   *observer
	all []app
}

// measure runs the library peers, then a fresh hub: cold render, then an
// unrelated commit.
func measure(ctx context.Context, cfg config, e *env, run int) (*Run, error) {
	r := &Run{}
	var err error
	fmt.Fprintf(os.Stderr, "run %d: library, sequential\n", run)
	if r.LibrarySeq, err = library(ctx, e.checkout, e.charts.unpacked, cfg.kustomize, cfg.helm, 0, 1); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "run %d: library, %d workers\n", run, cfg.workers)
	if r.LibraryPar, err = library(ctx, e.checkout, e.charts.unpacked, cfg.kustomize, cfg.helm, 0, cfg.workers); err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, e: e, run: run, o: newObserver(), all: apps(cfg.kustomize, cfg.helm)}
	pprofAddr, err := benchutil.FreeAddr() // pprof has a loopback listener of its own
	if err != nil {
		return nil, err
	}
	if s.h, err = benchutil.StartHub(ctx, cfg.hubBin, filepath.Join(e.dir, fmt.Sprintf("hub%d", run)), "--render-workers", fmt.Sprint(cfg.workers),
		"--pprof-listen", pprofAddr); err != nil {
		return nil, err
	}
	var profiles sync.WaitGroup
	defer func() {
		profiles.Wait()
		if err := s.h.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "hub:", err)
		}
	}()
	profile := func(phase string, seconds int) {
		if cfg.cpuProfile != "" && run == 1 {
			profiles.Go(func() {
				if err := benchutil.Profile(pprofAddr, seconds, cfg.cpuProfile+"-"+phase+".pprof"); err != nil {
					fmt.Fprintln(os.Stderr, "profile:", err)
				}
			})
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	token, err := s.h.AddCluster(ctx, cluster)
	if err != nil {
		return nil, err
	}
	go benchutil.SimSpoke(sctx, s.h.Conn, token, s.o.plan)
	stream, err := pb.NewApplicationServiceClient(s.h.Conn).WatchApplications(s.h.Auth(sctx), &pb.WatchApplicationsRequest{})
	if err != nil {
		return nil, err
	}
	go s.o.watch(stream)
	if err := s.h.WaitMetric(ctx, "flotilla_hub_connected_spokes", 1); err != nil {
		return nil, err
	}
	profile("cold", 30)
	if err := s.cold(ctx, r); err != nil {
		return nil, err
	}
	profile("unrelated", 10)
	if err := s.unrelated(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// create creates the applications, creators at a time.
func create(ctx context.Context, h *benchutil.HubProc, all []*pb.Application, creators int) error {
	cl := pb.NewApplicationServiceClient(h.Conn)
	work := make(chan *pb.Application)
	errs := make([]error, creators)
	var wg sync.WaitGroup
	for i := range creators {
		wg.Go(func() {
			for a := range work {
				if _, err := cl.CreateApplication(h.Auth(ctx), &pb.CreateApplicationRequest{Application: a}); err != nil && errs[i] == nil {
					errs[i] = fmt.Errorf("create %s: %w", a.GetName(), err)
				}
			}
		})
	}
	for _, a := range all {
		work <- a
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}
