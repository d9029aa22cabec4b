package main

import (
	"fmt"
	"io"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
)

// Sample is one contender's measurement of one phase.
type Sample struct {
	WallSec    float64 // the tool's process, start to exit
	HealthySec float64 // until every Deployment has rolled out and is available
	CPUSec     float64 // user+system of the tool's process (and its children)
	MaxRSSMiB  float64
	Requests   int    // API requests (Go contenders; 0 for kubectl)
	Err        string `json:",omitempty"`
}

// Figures summarise one contender's phase.
type Figures struct {
	AppliedSec, HealthySec, CPUSec, MaxRSSMiB, Requests benchutil.Spread
	// Ratios of this contender's time to the limit's in the same run.
	AppliedVsLimit, HealthyVsLimit benchutil.Spread
	// Ratios of Flotilla's time to this contender's in the same run
	// (below 1: Flotilla is faster).
	FlotillaAppliedVs, FlotillaHealthyVs benchutil.Spread
}

// Result is the benchmark's output.
type Result struct {
	Machine, Date string
	Objects       int
	Mix           mix
	QPS           float64
	Burst         int
	Concurrency   int
	Runs          int
	Limit         string
	Contenders    []string
	// Phases maps phase → contender → figures.
	Phases  map[string]map[string]Figures
	samples map[string]map[string][]Sample // phase → contender → per run
}

func (r *Result) add(contender, phase string, s Sample) {
	if r.samples[phase] == nil {
		r.samples[phase] = map[string][]Sample{}
	}
	r.samples[phase][contender] = append(r.samples[phase][contender], s)
}

func (r *Result) summarise() {
	r.Contenders = contenders
	r.Phases = map[string]map[string]Figures{}
	for _, phase := range phases {
		byC := r.samples[phase]
		figs := map[string]Figures{}
		for _, c := range contenders {
			ss := byC[c]
			col := func(f func(Sample) float64) benchutil.Spread {
				var v []float64
				for _, s := range ss {
					v = append(v, f(s))
				}
				return benchutil.SpreadOf(v)
			}
			// ratio of a's to b's figure, run by run.
			ratio := func(a, b string, f func(Sample) float64) benchutil.Spread {
				var v []float64
				for i := range min(len(byC[a]), len(byC[b])) {
					if d := f(byC[b][i]); d > 0 {
						v = append(v, f(byC[a][i])/d)
					}
				}
				return benchutil.SpreadOf(v)
			}
			applied := func(s Sample) float64 { return s.WallSec }
			healthy := func(s Sample) float64 { return s.HealthySec }
			figs[c] = Figures{
				AppliedSec: col(applied), HealthySec: col(healthy),
				CPUSec:         col(func(s Sample) float64 { return s.CPUSec }),
				MaxRSSMiB:      col(func(s Sample) float64 { return s.MaxRSSMiB }),
				Requests:       col(func(s Sample) float64 { return float64(s.Requests) }),
				AppliedVsLimit: ratio(c, limit, applied), HealthyVsLimit: ratio(c, limit, healthy),
				FlotillaAppliedVs: ratio("flotilla", c, applied), FlotillaHealthyVs: ratio("flotilla", c, healthy),
			}
		}
		r.Phases[phase] = figs
	}
}

func (r *Result) print(w io.Writer) {
	fmt.Fprintf(w, "\n%d objects (%+v), QPS %.0f burst %d concurrency %d, %d runs; median [min–max]\n", r.Objects, r.Mix, r.QPS, r.Burst, r.Concurrency, r.Runs)
	for _, phase := range phases {
		fmt.Fprintf(w, "\n%s\n%-10s %-22s %-22s %-18s %-10s %-9s %s\n", phase, "contender", "applied s", "applied+healthy s", "healthy vs limit", "CPU s", "RSS MiB", "requests")
		for _, c := range r.Contenders {
			f := r.Phases[phase][c]
			fmt.Fprintf(w, "%-10s %-22s %-22s %-18s %-10.2f %-9.0f %.0f\n", c, spreadString(f.AppliedSec, 2), spreadString(f.HealthySec, 2), spreadString(f.HealthyVsLimit, 2),
				f.CPUSec.Median, f.MaxRSSMiB.Median, f.Requests.Median)
		}
	}
}

func spreadString(s benchutil.Spread, prec int) string {
	return fmt.Sprintf("%.*f [%.*f–%.*f]", prec, s.Median, prec, s.Min, prec, s.Max)
}
