package main

import (
	"io"
	"time"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	"github.com/flotilla-gitops/flotilla/spoke/agent"
)

// Result is min/median/max over the runs. The spoke's memory is compared
// with the informer peer's (a bare dynamic informer on the same objects),
// its first sync with the floor its own API rate limit sets (objects /
// --kube-qps), the 10% sync with the first sync.
type Result struct {
	Objects, Runs int
	IdleSec       float64
	KubeQPS       float64 // the spoke's default --kube-qps

	FirstSyncSec          benchutil.Spread // application created to Synced and Healthy
	QPSFloorSec           float64          // Objects / KubeQPS: one request per object
	FirstSyncOverQPSFloor benchutil.Spread
	FirstSyncRequests     benchutil.Spread // API requests for the application's kinds
	FirstSyncReqPerObject benchutil.Spread // 1 is the floor (one apply each)
	FirstSyncOverReqFloor benchutil.Spread // FirstSyncSec / (FirstSyncRequests / KubeQPS)
	FirstSyncCPUSec       benchutil.Spread
	FirstSyncPeakRSSMiB   benchutil.Spread
	FirstSyncPeakOverRest benchutil.Spread

	BaselineRSSMiB         benchutil.Spread // the spoke, connected, managing nothing
	RestRSSMiB             benchutil.Spread // mean over the idle window
	InformerBaselineRSSMiB benchutil.Spread
	InformerRSSMiB         benchutil.Spread // the peer, over the same window
	RestOverInformer       benchutil.Spread
	BytesPerObject         benchutil.Spread // (RestRSS - BaselineRSS) / Objects
	InformerBytesPerObject benchutil.Spread
	BytesOverInformer      benchutil.Spread
	RestCPUPercent         benchutil.Spread // 100 = one core
	InformerCPUPercent     benchutil.Spread
	InformerObjects        benchutil.Spread // what the peer's caches held

	ChangeSec           benchutil.Spread // webhook to Synced and Healthy at the new commit
	ChangeOverFirstSync benchutil.Spread
	ChangeRequests      benchutil.Spread
	ChangeReqPerChanged benchutil.Spread // per changed object: 1 is the floor
	ChangeCPUSec        benchutil.Spread
	ChangeCPUOverFirst  benchutil.Spread
	ChangePeakRSSMiB    benchutil.Spread
	ChangePeakOverRest  benchutil.Spread
}

func summarise(objects int, idle time.Duration, runs []*Run) (*Result, error) {
	cfg, err := agent.ParseFlags([]string{"--token-file", "unused"}, io.Discard)
	if err != nil {
		return nil, err
	}
	s := func(f func(*Run) float64) benchutil.Spread {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return benchutil.SpreadOf(xs)
	}
	perObject := func(restMiB, baseMiB float64) float64 { return (restMiB - baseMiB) * (1 << 20) / float64(objects) }
	floor := float64(objects) / cfg.KubeQPS
	return &Result{
		Objects: objects, Runs: len(runs), IdleSec: idle.Seconds(), KubeQPS: cfg.KubeQPS,

		FirstSyncSec:          s(func(r *Run) float64 { return r.FirstSync.WallSec }),
		QPSFloorSec:           floor,
		FirstSyncOverQPSFloor: s(func(r *Run) float64 { return benchutil.Ratio(r.FirstSync.WallSec, floor) }),
		FirstSyncRequests:     s(func(r *Run) float64 { return r.FirstSync.Total }),
		FirstSyncReqPerObject: s(func(r *Run) float64 { return r.FirstSync.Total / float64(objects) }),
		FirstSyncOverReqFloor: s(func(r *Run) float64 { return benchutil.Ratio(r.FirstSync.WallSec, r.FirstSync.Total/cfg.KubeQPS) }),
		FirstSyncCPUSec:       s(func(r *Run) float64 { return r.FirstSync.CPUSec }),
		FirstSyncPeakRSSMiB:   s(func(r *Run) float64 { return r.FirstSync.PeakRSSMiB }),
		FirstSyncPeakOverRest: s(func(r *Run) float64 { return benchutil.Ratio(r.FirstSync.PeakRSSMiB, r.Rest.MeanRSSMiB) }),

		BaselineRSSMiB:         s(func(r *Run) float64 { return r.BaselineRSSMiB }),
		RestRSSMiB:             s(func(r *Run) float64 { return r.Rest.MeanRSSMiB }),
		InformerBaselineRSSMiB: s(func(r *Run) float64 { return r.InformerBaselineRSSMiB }),
		InformerRSSMiB:         s(func(r *Run) float64 { return r.InformerRest.MeanRSSMiB }),
		RestOverInformer:       s(func(r *Run) float64 { return benchutil.Ratio(r.Rest.MeanRSSMiB, r.InformerRest.MeanRSSMiB) }),
		BytesPerObject:         s(func(r *Run) float64 { return perObject(r.Rest.MeanRSSMiB, r.BaselineRSSMiB) }),
		InformerBytesPerObject: s(func(r *Run) float64 { return perObject(r.InformerRest.MeanRSSMiB, r.InformerBaselineRSSMiB) }),
		BytesOverInformer: s(func(r *Run) float64 {
			return benchutil.Ratio(perObject(r.Rest.MeanRSSMiB, r.BaselineRSSMiB), perObject(r.InformerRest.MeanRSSMiB, r.InformerBaselineRSSMiB))
		}),
		RestCPUPercent:     s(func(r *Run) float64 { return r.Rest.CPUPercent }),
		InformerCPUPercent: s(func(r *Run) float64 { return r.InformerRest.CPUPercent }),
		InformerObjects:    s(func(r *Run) float64 { return float64(r.InformerObjects) }),

		ChangeSec:           s(func(r *Run) float64 { return r.Change.WallSec }),
		ChangeOverFirstSync: s(func(r *Run) float64 { return benchutil.Ratio(r.Change.WallSec, r.FirstSync.WallSec) }),
		ChangeRequests:      s(func(r *Run) float64 { return r.Change.Total }),
		ChangeReqPerChanged: s(func(r *Run) float64 { return r.Change.Total / float64(changedCount(objects)) }),
		ChangeCPUSec:        s(func(r *Run) float64 { return r.Change.CPUSec }),
		ChangeCPUOverFirst:  s(func(r *Run) float64 { return benchutil.Ratio(r.Change.CPUSec, r.FirstSync.CPUSec) }),
		ChangePeakRSSMiB:    s(func(r *Run) float64 { return r.Change.PeakRSSMiB }),
		ChangePeakOverRest:  s(func(r *Run) float64 { return benchutil.Ratio(r.Change.PeakRSSMiB, r.Rest.MeanRSSMiB) }),
	}, nil
}
