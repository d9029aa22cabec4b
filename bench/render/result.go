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
	ColdCPUSec            benchutil.Spread // the hub's with its render workers' (one process per render)
	ColdHubCPUSec         benchutil.Spread // of which the hub process's
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

	Charts *ChartResult `json:",omitempty"` // without chart applications: none
}

// ChartResult is the chart applications' figures, on a hub of their own:
// its CPU is with its render workers'. The peer of the cold render is the
// library (pkg/render from the charts unpacked, the hub's parallelism);
// of the refresh and the restart, the cold render.
type ChartResult struct {
	Apps, ChartVersions int
	Objects             int // rendered by one pass over the applications

	ColdSec            benchutil.Spread // first application created to every plan at the spoke
	CreateSec          benchutil.Spread
	LibrarySec         benchutil.Spread
	ColdOverLibrary    benchutil.Spread
	ColdCPUSec         benchutil.Spread
	ColdHubCPUSec      benchutil.Spread // of which the hub process's (the rest: its render workers')
	LibraryCPUSec      benchutil.Spread
	ColdCPUOverLibrary benchutil.Spread
	ColdPulls          benchutil.Spread // chart archives served (ChartVersions is the floor)
	ColdPullsOverFloor benchutil.Spread
	ColdIndexFetches   benchutil.Spread
	ColdPlans          benchutil.Spread // resends included
	ColdDistinctPlans  benchutil.Spread // Apps is the floor
	SettleSec          benchutil.Spread

	CachedSec          benchutil.Spread // webhook for the repository to every application reconciled again
	CachedOverCold     benchutil.Spread
	CachedCPUSec       benchutil.Spread
	CachedCPUOverCold  benchutil.Spread
	CachedPulls        benchutil.Spread // should be 0
	CachedIndexFetches benchutil.Spread // should be 1
	CachedPlans        benchutil.Spread // should be 0 (resends included)
	CachedNewPlans     benchutil.Spread // should be 0

	RestartSec          benchutil.Spread // hub restarted on its data dir, then the webhook, to every application reconciled again
	RestartOverCold     benchutil.Spread
	RestartCPUSec       benchutil.Spread // the new hub's, since it started
	RestartCPUOverCold  benchutil.Spread
	RestartPulls        benchutil.Spread // the digests are on disk
	RestartIndexFetches benchutil.Spread
	RestartPlans        benchutil.Spread
	RestartNewPlans     benchutil.Spread // should be 0
}

func summarise(cfg config, runs []*Run) *Result {
	s := func(f func(*Run) float64) benchutil.Spread {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return benchutil.SpreadOf(xs)
	}
	out := &Result{
		Kustomize: cfg.kustomize, Helm: cfg.helm, Runs: len(runs), Workers: cfg.workers, Objects: runs[0].LibraryPar.Objects,

		ColdSec:               s(func(r *Run) float64 { return r.ColdSec }),
		CreateSec:             s(func(r *Run) float64 { return r.CreateSec }),
		LibraryParSec:         s(func(r *Run) float64 { return r.LibraryPar.Sec }),
		LibrarySeqSec:         s(func(r *Run) float64 { return r.LibrarySeq.Sec }),
		ColdOverLibraryPar:    s(func(r *Run) float64 { return benchutil.Ratio(r.ColdSec, r.LibraryPar.Sec) }),
		ColdOverLibrarySeq:    s(func(r *Run) float64 { return benchutil.Ratio(r.ColdSec, r.LibrarySeq.Sec) }),
		ColdCPUSec:            s(func(r *Run) float64 { return r.ColdCPUSec }),
		ColdHubCPUSec:         s(func(r *Run) float64 { return r.ColdHubCPUSec }),
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
	if runs[0].Charts != nil {
		out.Charts = summariseCharts(cfg, runs)
	}
	return out
}

func summariseCharts(cfg config, runs []*Run) *ChartResult {
	s := func(f func(*chartRun) float64) benchutil.Spread {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r.Charts)
		}
		return benchutil.SpreadOf(xs)
	}
	floor := float64(len(chartVersions))
	return &ChartResult{
		Apps: cfg.charts, ChartVersions: len(chartVersions), Objects: runs[0].Charts.Library.Objects,

		ColdSec:            s(func(r *chartRun) float64 { return r.ColdSec }),
		CreateSec:          s(func(r *chartRun) float64 { return r.CreateSec }),
		LibrarySec:         s(func(r *chartRun) float64 { return r.Library.Sec }),
		ColdOverLibrary:    s(func(r *chartRun) float64 { return benchutil.Ratio(r.ColdSec, r.Library.Sec) }),
		ColdCPUSec:         s(func(r *chartRun) float64 { return r.ColdCPUSec }),
		ColdHubCPUSec:      s(func(r *chartRun) float64 { return r.ColdHubCPUSec }),
		LibraryCPUSec:      s(func(r *chartRun) float64 { return r.Library.CPUSec }),
		ColdCPUOverLibrary: s(func(r *chartRun) float64 { return benchutil.Ratio(r.ColdCPUSec, r.Library.CPUSec) }),
		ColdPulls:          s(func(r *chartRun) float64 { return float64(r.ColdPulls) }),
		ColdPullsOverFloor: s(func(r *chartRun) float64 { return benchutil.Ratio(float64(r.ColdPulls), floor) }),
		ColdIndexFetches:   s(func(r *chartRun) float64 { return float64(r.ColdIndexes) }),
		ColdPlans:          s(func(r *chartRun) float64 { return float64(r.ColdPlans) }),
		ColdDistinctPlans:  s(func(r *chartRun) float64 { return float64(r.ColdDistinct) }),
		SettleSec:          s(func(r *chartRun) float64 { return r.SettleSec }),

		CachedSec:          s(func(r *chartRun) float64 { return r.CachedSec }),
		CachedOverCold:     s(func(r *chartRun) float64 { return benchutil.Ratio(r.CachedSec, r.ColdSec) }),
		CachedCPUSec:       s(func(r *chartRun) float64 { return r.CachedCPUSec }),
		CachedCPUOverCold:  s(func(r *chartRun) float64 { return benchutil.Ratio(r.CachedCPUSec, r.ColdCPUSec) }),
		CachedPulls:        s(func(r *chartRun) float64 { return float64(r.CachedPulls) }),
		CachedIndexFetches: s(func(r *chartRun) float64 { return float64(r.CachedIndexes) }),
		CachedPlans:        s(func(r *chartRun) float64 { return float64(r.CachedPlans) }),
		CachedNewPlans:     s(func(r *chartRun) float64 { return float64(r.CachedDistinct) }),

		RestartSec:          s(func(r *chartRun) float64 { return r.RestartSec }),
		RestartOverCold:     s(func(r *chartRun) float64 { return benchutil.Ratio(r.RestartSec, r.ColdSec) }),
		RestartCPUSec:       s(func(r *chartRun) float64 { return r.RestartCPUSec }),
		RestartCPUOverCold:  s(func(r *chartRun) float64 { return benchutil.Ratio(r.RestartCPUSec, r.ColdCPUSec) }),
		RestartPulls:        s(func(r *chartRun) float64 { return float64(r.RestartPulls) }),
		RestartIndexFetches: s(func(r *chartRun) float64 { return float64(r.RestartIndexes) }),
		RestartPlans:        s(func(r *chartRun) float64 { return float64(r.RestartPlans) }),
		RestartNewPlans:     s(func(r *chartRun) float64 { return float64(r.RestartDistinct) }),
	}
}
