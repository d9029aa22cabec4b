package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

func write(w io.Writer, res node, findings string) {
	fmt.Fprintf(w, "# Benchmark results\n\n")
	fmt.Fprintf(w, "Machine: %s. Date: %s. `make bench` (bench/run.sh) took %s and regenerates\n", res.get("machine").str(), res.get("date").str(), res.get("duration").str())
	fmt.Fprintf(w, "`bench/results.json` and this file (`go run ./bench/report`). Every figure is\n")
	fmt.Fprintf(w, "median (min–max) over repeated runs; a ×ratio compares with the peer or the\n")
	fmt.Fprintf(w, "limit measured in the same run, run by run. Absolute times are shown, but the\n")
	fmt.Fprintf(w, "ratios are the claim: this is a 2-core machine.\n\n")
	applySection(w, res.get("apply"))
	fanoutSection(w, res.get("fanout"))
	convergeSection(w, res.get("converge"))
	renderSection(w, res.get("render"))
	footprintSection(w, res.get("footprint"))
	engineSection(w, res.get("engine"))
	if findings != "" {
		fmt.Fprintf(w, "\n%s", findings)
	}
}

func applySection(w io.Writer, a node) {
	if !a.present() {
		return
	}
	mix := a.get("Mix")
	fmt.Fprintf(w, "## 1. Apply throughput (bench/peers/apply)\n\n")
	fmt.Fprintf(w, "%.0f objects (a CRD and %.0f of its custom resources, %.0f ConfigMaps, %.0f Services,\n", a.get("Objects").num(), mix.get("CRs").num(), mix.get("ConfigMaps").num(), mix.get("Services").num())
	fmt.Fprintf(w, "%.0f Deployments) into an empty namespace, then the same set with every tenth object\n", mix.get("Deployments").num())
	fmt.Fprintf(w, "changed; %.0f runs, the order of contenders rotating. Each contender is a process of\n", a.get("Runs").num())
	fmt.Fprintf(w, "its own against the same real local cluster; the Go ones at client QPS %.0f, burst %.0f,\n", a.get("QPS").num(), a.get("Burst").num())
	fmt.Fprintf(w, "%.0f requests at once (Flotilla's spoke defaults); kubectl as it ships (one request at a\n", a.get("Concurrency").num())
	fmt.Fprintf(w, "time). *Applied*: the tool exits. *Healthy*: every Deployment rolled out and available\n")
	fmt.Fprintf(w, "(Flotilla's executor waits for that itself; for the others the harness watches).\n")
	fmt.Fprintf(w, "The limit is `%s`: one server-side apply per object and nothing else.\n\n", a.get("Limit").str())
	for _, phase := range []string{"create", "update10pct"} {
		title := map[string]string{"create": "Into an empty namespace", "update10pct": "10% changed"}[phase]
		fmt.Fprintf(w, "**%s**\n\n", title)
		t := newTable(w, "contender", "applied s", "healthy s", "healthy ÷ limit", "Flotilla ÷ this (healthy)", "CPU s", "peak RSS MiB", "API requests")
		for _, c := range a.get("Contenders").items() {
			f := a.get("Phases", phase, c.str())
			req := f.get("Requests").spread(0)
			if f.get("Requests", "Median").num() == 0 {
				req = "(not counted)"
			}
			t.row(c.str(), f.get("AppliedSec").spread(2), f.get("HealthySec").spread(2), f.get("HealthyVsLimit").ratio(),
				f.get("FlotillaHealthyVs").ratio(), f.get("CPUSec").spread(2), f.get("MaxRSSMiB").spread(0), req)
		}
		fmt.Fprintln(w)
	}
}

func fanoutSection(w io.Writer, f node) {
	if !f.present() {
		return
	}
	fmt.Fprintf(w, "## 2. Hub fan-out (bench/fanout)\n\n")
	fmt.Fprintf(w, "One `flotilla-hub` process; N simulated spokes speaking the real gRPC protocol over\n")
	fmt.Fprintf(w, "loopback (in the benchmark process, sharing the 2 cores); 5 applications each targeting\n")
	fmt.Fprintf(w, "every cluster. Time from the webhook of a new commit to every plan received and\n")
	fmt.Fprintf(w, "acknowledged. The limit is a bare gRPC server in the same process sending the same\n")
	fmt.Fprintf(w, "plans (messages built beforehand) down the same N streams (no Git, render, plan or store).\n")
	fmt.Fprintf(w, "Anchors, not measured here: Fleet, 2,550 bundle deployments ready in ~51 s; Argo CD,\n")
	fmt.Fprintf(w, "3 application-controller replicas for 500 clusters.\n\n")
	t := newTable(w, "spokes", "plans", "commit → all acked s", "limit s", "÷ limit", "hub CPU s", "hub peak RSS MiB")
	for _, r := range f.items() {
		t.row(fmt.Sprintf("%.0f", r.get("Spokes").num()), fmt.Sprintf("%.0f", r.get("Plans").num()), r.get("CommitToAckedSec").spread(1),
			r.get("LimitSec").spread(2), r.get("OverLimit").ratio(), r.get("HubCPUSec").spread(1), r.get("HubPeakRSSMiB").spread(0))
	}
	fmt.Fprintln(w)
}

func convergeSection(w io.Writer, c node) {
	if !c.present() {
		return
	}
	fmt.Fprintf(w, "## 3–4. Commit to converged, self-heal (bench/converge)\n\n")
	fmt.Fprintf(w, "Two real local clusters, hub and two spokes, an application of 50 ConfigMaps with\n")
	fmt.Fprintf(w, "automated sync and self-heal. Commit: the webhook of a commit changing every\n")
	fmt.Fprintf(w, "ConfigMap until both spokes report Synced and Healthy at it, over %.0f commits; its\n", c.get("Commits").num())
	fmt.Fprintf(w, "limit is the same change applied straight to one cluster with one server-side apply\n")
	fmt.Fprintf(w, "per object (client-go). Self-heal: a manual edit of one object until it is reverted,\n")
	fmt.Fprintf(w, "over %.0f edits; its limit is the edit's own watch event reaching a client. Anchor: Argo CD\n", c.get("Edits").num())
	fmt.Fprintf(w, "polls Git every 120–180 s and waits 2 s between waves.\n\n")
	t := newTable(w, "", "min ms", "p50 ms", "p99 ms", "max ms", "limit p50 ms", "p50 ÷ limit p50")
	for _, k := range []struct{ label, key string }{{"commit → both spokes Synced and Healthy", "Converge"}, {"manual edit → reverted", "SelfHeal"}} {
		p50, lim := c.get(k.key+"P50Ms").num(), c.get(k.key+"LimitP50Ms").num()
		ratio := "—"
		if lim > 0 {
			ratio = fmt.Sprintf("×%.1f", p50/lim)
		}
		t.row(k.label, fmt.Sprintf("%.1f", c.get(k.key+"MinMs").num()), fmt.Sprintf("%.1f", p50), fmt.Sprintf("%.1f", c.get(k.key+"P99Ms").num()),
			fmt.Sprintf("%.1f", c.get(k.key+"MaxMs").num()), fmt.Sprintf("%.1f", lim), ratio)
	}
	fmt.Fprintln(w)
}

func renderSection(w io.Writer, r node) {
	if !r.present() {
		return
	}
	fmt.Fprintf(w, "## 5. Render (bench/render)\n\n")
	fmt.Fprintf(w, "%.0f Kustomize applications (overlays of one base) and %.0f Helm applications (one chart,\n", r.get("Kustomize").num(), r.get("Helm").num())
	fmt.Fprintf(w, "a values file each) created on a fresh `flotilla-hub` for one simulated spoke, until\n")
	fmt.Fprintf(w, "every plan has reached it (cold); then a commit that touches no application's files.\n")
	fmt.Fprintf(w, "The peer is the same renders straight through pkg/render from a checkout on disk, in a\n")
	fmt.Fprintf(w, "process of its own, with the hub's %.0f render workers. %.0f runs.\n", r.get("Workers").num(), r.get("Runs").num())
	if r.get("ColdHubCPUSec").present() { // results since the hub renders in worker processes
		fmt.Fprintf(w, "The hub's CPU is with its render workers' (a process per render), its peak RSS the\n")
		fmt.Fprintf(w, "hub process's.\n")
	}
	fmt.Fprintln(w)
	t := newTable(w, "", "hub", "library peer", "hub ÷ peer")
	t.row("cold: time s", r.get("ColdSec").spread(1), r.get("LibraryParSec").spread(1), r.get("ColdOverLibraryPar").ratio())
	t.row("cold: CPU s", r.get("ColdCPUSec").spread(1), r.get("LibraryCPUSec").spread(1), r.get("ColdCPUOverLibrary").ratio())
	if r.get("ColdHubCPUSec").present() {
		t.row("cold: of which the hub process", r.get("ColdHubCPUSec").spread(1), "", "")
	}
	t.row("cold: peak RSS MiB", r.get("ColdPeakRSSMiB").spread(0), r.get("LibraryPeakRSSMiB").spread(0), r.get("ColdRSSOverLibrary").ratio())
	t.row("cold: renders / plans", r.get("ColdRenders").spread(0)+" / "+r.get("ColdDistinctPlans").spread(0), "", "")
	fmt.Fprintln(w)
	t = newTable(w, "unrelated commit", "hub", "÷ cold")
	t.row("time s", r.get("UnrelatedSec").spread(2), r.get("UnrelatedOverCold").ratio())
	t.row("CPU s", r.get("UnrelatedCPUSec").spread(2), r.get("UnrelatedCPUOverCold").ratio())
	t.row("renders", r.get("UnrelatedRenders").spread(0), "")
	t.row("plans sent", r.get("UnrelatedPlans").spread(0), "")
	fmt.Fprintln(w)
	chartSection(w, r.get("Charts"))
}

// chartSection is the render benchmark's chart applications, when it ran
// them.
func chartSection(w io.Writer, c node) {
	if !c.present() {
		return
	}
	fmt.Fprintf(w, "Charts of a Helm repository (index.yaml and archives served over HTTP by the benchmark):\n")
	fmt.Fprintf(w, "%.0f applications of %.0f chart versions (Deployment, Service, ConfigMap, ServiceAccount,\n", c.get("Apps").num(), c.get("ChartVersions").num())
	fmt.Fprintf(w, "optional Ingress, HPA and PodDisruptionBudget), inline values of their own, created on a\n")
	fmt.Fprintf(w, "fresh hub of their own (CPU: the hub's with its render workers'). The peer is the same\n")
	fmt.Fprintf(w, "renders through pkg/render from the charts unpacked on disk, with the hub's parallelism.\n\n")
	t := newTable(w, "charts, cold", "hub", "library peer", "hub ÷ peer")
	t.row("time s", c.get("ColdSec").spread(1), c.get("LibrarySec").spread(2), c.get("ColdOverLibrary").ratio())
	t.row("CPU s", c.get("ColdCPUSec").spread(1), c.get("LibraryCPUSec").spread(2), c.get("ColdCPUOverLibrary").ratio())
	t.row("of which the hub process", c.get("ColdHubCPUSec").spread(1), "", "")
	t.row("chart pulls (floor: one per version)", c.get("ColdPulls").spread(0), c.get("ChartVersions").spread(0), c.get("ColdPullsOverFloor").ratio())
	t.row("index fetches / plans", c.get("ColdIndexFetches").spread(0)+" / "+c.get("ColdDistinctPlans").spread(0), "", "")
	fmt.Fprintln(w)
	t = newTable(w, "charts, cached", "repository refresh", "÷ cold", "hub restart", "÷ cold")
	t.row("time s", c.get("CachedSec").spread(2), c.get("CachedOverCold").ratio(), c.get("RestartSec").spread(2), c.get("RestartOverCold").ratio())
	t.row("CPU s", c.get("CachedCPUSec").spread(2), c.get("CachedCPUOverCold").ratio(), c.get("RestartCPUSec").spread(2), c.get("RestartCPUOverCold").ratio())
	t.row("chart pulls", c.get("CachedPulls").spread(0), "", c.get("RestartPulls").spread(0), "")
	t.row("index fetches", c.get("CachedIndexFetches").spread(0), "", c.get("RestartIndexFetches").spread(0), "")
	t.row("plans sent / new", c.get("CachedPlans").spread(0)+" / "+c.get("CachedNewPlans").spread(0), "", c.get("RestartPlans").spread(0)+" / "+c.get("RestartNewPlans").spread(0), "")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Repository refresh: a webhook naming the Helm repository, as its poll does (index.yaml\n")
	fmt.Fprintf(w, "fetched again, unchanged). Hub restart: the hub stopped and started on the same data dir\n")
	fmt.Fprintf(w, "(its chart cache on disk), then the same webhook; timed from the new process's start.\n\n")
}

func footprintSection(w io.Writer, f node) {
	if !f.present() {
		return
	}
	fmt.Fprintf(w, "## 6. Spoke footprint (bench/footprint)\n\n")
	fmt.Fprintf(w, "The real `flotilla-spoke` process managing one application of %.0f objects on a real\n", f.get("Objects").num())
	fmt.Fprintf(w, "local cluster (self-heal on, so it watches them all). Its peer at rest is a bare\n")
	fmt.Fprintf(w, "client-go dynamic informer process caching the same objects; the floor of a sync is\n")
	fmt.Fprintf(w, "one request per object at the spoke's client QPS (%.0f). At rest: mean over %.0f s idle.\n", f.get("KubeQPS").num(), f.get("IdleSec").num())
	fmt.Fprintf(w, "%.0f runs, each with a fresh spoke, namespace and application.\n\n", f.get("Runs").num())
	t := newTable(w, "", "spoke", "peer / floor", "spoke ÷ peer")
	t.row("first sync: created → Synced and Healthy, s", f.get("FirstSyncSec").spread(1), fmt.Sprintf("%.1f (objects ÷ QPS)", f.get("QPSFloorSec").num()), f.get("FirstSyncOverQPSFloor").ratio())
	t.row("first sync: API requests per object", f.get("FirstSyncReqPerObject").spread(2), "1", "")
	t.row("first sync: CPU s / peak RSS MiB", f.get("FirstSyncCPUSec").spread(1)+" / "+f.get("FirstSyncPeakRSSMiB").spread(0), "", "")
	t.row("at rest: RSS MiB", f.get("RestRSSMiB").spread(0), f.get("InformerRSSMiB").spread(0), f.get("RestOverInformer").ratio())
	t.row("at rest: bytes per object (above the empty process)", f.get("BytesPerObject").spread(0), f.get("InformerBytesPerObject").spread(0), f.get("BytesOverInformer").ratio())
	t.row("at rest: CPU % of a core", f.get("RestCPUPercent").spread(2), f.get("InformerCPUPercent").spread(2), "")
	t.row("10% changed: webhook → Synced and Healthy, s", f.get("ChangeSec").spread(1), "", f.get("ChangeOverFirstSync").ratio()+" of the first sync")
	t.row("10% changed: API requests per changed object", f.get("ChangeReqPerChanged").spread(2), "1", "")
	t.row("10% changed: CPU s / peak RSS MiB", f.get("ChangeCPUSec").spread(1)+" / "+f.get("ChangePeakRSSMiB").spread(0), "", "")
	fmt.Fprintln(w)
}

func engineSection(w io.Writer, e node) {
	if !e.present() {
		return
	}
	fmt.Fprintf(w, "## Engine (go test -bench ./pkg/plan ./pkg/render, -count 3)\n\n")
	byName := map[string][][3]float64{}
	var names []string
	for _, b := range e.items() {
		n := b.get("name").str()
		if _, ok := byName[n]; !ok {
			names = append(names, n)
		}
		byName[n] = append(byName[n], [3]float64{b.get("ns_per_op").num(), b.get("bytes_per_op").num(), b.get("allocs_per_op").num()})
	}
	t := newTable(w, "benchmark", "ms/op median (min–max)", "MiB/op", "allocs/op")
	for _, n := range names {
		var ms []float64
		for _, r := range byName[n] {
			ms = append(ms, r[0]/1e6)
		}
		slices.Sort(ms)
		last := byName[n][len(byName[n])-1]
		t.row(strings.TrimPrefix(n, "Benchmark"), fmt.Sprintf("%.2f (%.2f–%.2f)", ms[len(ms)/2], ms[0], ms[len(ms)-1]),
			fmt.Sprintf("%.1f", last[1]/1048576), fmt.Sprintf("%.0f", last[2]))
	}
	fmt.Fprintln(w)
}
