package main

import "github.com/flotilla-gitops/flotilla/bench/internal/benchutil"

// Result is min/median/max over the runs. Each hub figure has its peer:
// the library (pkg/render from disk, in its own process; "Par" with the
// hub's render parallelism) for the cold render, the cold render for the
// unrelated commit.
type Result struct {
	Kustomize, Helm, Runs, Workers int
	Objects                        int // rendered by one pass over the applications

	ColdSec               benchutil.Spread // first application created to every plan at the spoke
	CreateSec             benchutil.Spread // of which the CreateApplication calls
	LibraryParSec         benchutil.Spread
	LibrarySeqSec         benchutil.Spread
	ColdOverLibraryPar    benchutil.Spread
	ColdOverLibrarySeq    benchutil.Spread
	ColdCPUSec            benchutil.Spread // the hub's
	LibraryCPUSec         benchutil.Spread // the parallel library process's
	ColdCPUOverLibrary    benchutil.Spread
	ColdPeakRSSMiB        benchutil.Spread // the hub's VmHWM after the cold render
	LibraryPeakRSSMiB     benchutil.Spread // the parallel library process's
	ColdRSSOverLibrary    benchutil.Spread
	ColdRenders           benchutil.Spread // renders the hub ran (Apps is the floor)
	ColdPlans             benchutil.Spread // plans the spoke received, resends included
	ColdDistinctPlans     benchutil.Spread // Apps is the floor
	ColdPlansOverApps     benchutil.Spread
	ColdGitRequests       benchutil.Spread // to the Git server
	ColdGitOverOneRefresh benchutil.Spread // ColdGitRequests / UnrelatedGitRequests (one webhook, one fetch)
	ColdGitSec            benchutil.Spread // the Git server's time serving them
	ColdGitOverCold       benchutil.Spread
	SettleSec             benchutil.Spread // after ColdSec, until the hub has handled every report
	SettleOverCold        benchutil.Spread

	UnrelatedSec         benchutil.Spread // webhook to every application reconciled again
	UnrelatedOverCold    benchutil.Spread
	UnrelatedCPUSec      benchutil.Spread
	UnrelatedCPUOverCold benchutil.Spread
	UnrelatedRenders     benchutil.Spread // should be 0
	UnrelatedPlans       benchutil.Spread // should be 0 (resends included)
	UnrelatedNewPlans    benchutil.Spread // should be 0
	UnrelatedGitRequests benchutil.Spread
}

func summarise(cfg config, runs []*Run) *Result {
	s := func(f func(*Run) float64) benchutil.Spread {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return benchutil.SpreadOf(xs)
	}
	return &Result{
		Kustomize: cfg.kustomize, Helm: cfg.helm, Runs: len(runs), Workers: cfg.workers, Objects: runs[0].LibraryPar.Objects,

		ColdSec:               s(func(r *Run) float64 { return r.ColdSec }),
		CreateSec:             s(func(r *Run) float64 { return r.CreateSec }),
		LibraryParSec:         s(func(r *Run) float64 { return r.LibraryPar.Sec }),
		LibrarySeqSec:         s(func(r *Run) float64 { return r.LibrarySeq.Sec }),
		ColdOverLibraryPar:    s(func(r *Run) float64 { return benchutil.Ratio(r.ColdSec, r.LibraryPar.Sec) }),
		ColdOverLibrarySeq:    s(func(r *Run) float64 { return benchutil.Ratio(r.ColdSec, r.LibrarySeq.Sec) }),
		ColdCPUSec:            s(func(r *Run) float64 { return r.ColdCPUSec }),
		LibraryCPUSec:         s(func(r *Run) float64 { return r.LibraryPar.CPUSec }),
		ColdCPUOverLibrary:    s(func(r *Run) float64 { return benchutil.Ratio(r.ColdCPUSec, r.LibraryPar.CPUSec) }),
		ColdPeakRSSMiB:        s(func(r *Run) float64 { return r.ColdPeakRSSMiB }),
		LibraryPeakRSSMiB:     s(func(r *Run) float64 { return r.LibraryPar.PeakRSSMiB }),
		ColdRSSOverLibrary:    s(func(r *Run) float64 { return benchutil.Ratio(r.ColdPeakRSSMiB, r.LibraryPar.PeakRSSMiB) }),
		ColdRenders:           s(func(r *Run) float64 { return r.ColdRenders }),
		ColdPlans:             s(func(r *Run) float64 { return float64(r.ColdPlans) }),
		ColdDistinctPlans:     s(func(r *Run) float64 { return float64(r.ColdDistinct) }),
		ColdPlansOverApps:     s(func(r *Run) float64 { return benchutil.Ratio(float64(r.ColdPlans), float64(cfg.kustomize+cfg.helm)) }),
		ColdGitRequests:       s(func(r *Run) float64 { return float64(r.ColdGitReqs) }),
		ColdGitOverOneRefresh: s(func(r *Run) float64 { return benchutil.Ratio(float64(r.ColdGitReqs), float64(r.UnrelatedGitReqs)) }),
		ColdGitSec:            s(func(r *Run) float64 { return r.ColdGitSec }),
		ColdGitOverCold:       s(func(r *Run) float64 { return benchutil.Ratio(r.ColdGitSec, r.ColdSec) }),
		SettleSec:             s(func(r *Run) float64 { return r.SettleSec }),
		SettleOverCold:        s(func(r *Run) float64 { return benchutil.Ratio(r.SettleSec, r.ColdSec) }),

		UnrelatedSec:         s(func(r *Run) float64 { return r.UnrelatedSec }),
		UnrelatedOverCold:    s(func(r *Run) float64 { return benchutil.Ratio(r.UnrelatedSec, r.ColdSec) }),
		UnrelatedCPUSec:      s(func(r *Run) float64 { return r.UnrelatedCPUSec }),
		UnrelatedCPUOverCold: s(func(r *Run) float64 { return benchutil.Ratio(r.UnrelatedCPUSec, r.ColdCPUSec) }),
		UnrelatedRenders:     s(func(r *Run) float64 { return r.UnrelatedRenders }),
		UnrelatedPlans:       s(func(r *Run) float64 { return float64(r.UnrelatedPlans) }),
		UnrelatedNewPlans:    s(func(r *Run) float64 { return float64(r.UnrelatedDistinct) }),
		UnrelatedGitRequests: s(func(r *Run) float64 { return float64(r.UnrelatedGitReqs) }),
	}
}
