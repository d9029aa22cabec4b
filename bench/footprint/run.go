package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// sampleEvery is how often /proc is read.
const sampleEvery = 200 * time.Millisecond

// env is what the runs share: one cluster, the Git server, a hub process
// with the cluster registered.
type env struct {
	dir, spokeBin, kubeconfig string
	kube                      kubernetes.Interface
	gs                        *gitserver.Server
	repo, head                string
	rev                       int // of the objects that change
	h                         *benchutil.HubProc
	apps                      pb.ApplicationServiceClient
	admin                     context.Context
	tokenFile                 string
}

// Run is one run's measurements: a fresh spoke process, namespace and
// application.
type Run struct {
	BaselineRSSMiB         float64 // the spoke connected, managing nothing
	Rest                   benchutil.Window
	InformerBaselineRSSMiB float64 // the peer before its informers start
	InformerRest           benchutil.Window
	InformerObjects        int
	FirstSync, Change      syncStats
}

// syncStats is a sync measured from outside: the spoke's /proc and the API
// requests made for the application's kinds, by verb and in all.
type syncStats struct {
	benchutil.Window
	Requests map[string]float64
	Total    float64
}

func measure(ctx context.Context, e *env, objects int, idle time.Duration, run int) (r *Run, err error) {
	r = &Run{}
	ns, app := fmt.Sprintf("fp-%d", run), fmt.Sprintf("fp%d", run)
	sp, err := startSpoke(e.spokeBin, e.h.GRPCAddr, e.tokenFile, e.kubeconfig, filepath.Join(e.dir, fmt.Sprintf("spoke%d", run)),
		filepath.Join(e.dir, fmt.Sprintf("spoke%d.log", run)))
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, cleanup(e, sp, app, ns)) }()
	if err := connected(ctx, e, 1); err != nil {
		return nil, err
	}
	if r.BaselineRSSMiB, err = meanRSS(ctx, sp.pid(), 3*time.Second); err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "run %d: first sync of %d objects\n", run, objects)
	if r.FirstSync, err = measureSync(ctx, e, sp, func() error {
		_, err := e.apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: app,
			Source: &pb.ApplicationSource{RepoUrl: e.repo, Path: "app"}, Destination: &pb.Destination{Clusters: []string{"c1"}, Namespace: ns},
			SyncPolicy: &pb.SyncPolicy{Automated: true, SelfHeal: true, Options: map[string]string{"CreateNamespace": "true"}}}})
		if err != nil {
			return err
		}
		return converged(ctx, e, app, e.head)
	}); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "run %d: synced in %.1fs, %.1f CPU s, peak %.0f MiB, API requests %v; at rest for %s, with the informer peer\n",
		run, r.FirstSync.WallSec, r.FirstSync.CPUSec, r.FirstSync.PeakRSSMiB, r.FirstSync.Requests, idle)

	if err := rest(ctx, e, r, sp, ns, idle); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "run %d: rest %.0f MiB (%.2f%% CPU), informer %.0f MiB (%d objects); a sync changing 10%%\n",
		run, r.Rest.MeanRSSMiB, r.Rest.CPUPercent, r.InformerRest.MeanRSSMiB, r.InformerObjects)

	e.rev++
	if e.head, err = e.gs.Commit("apps", "main", fmt.Sprintf("change %d", e.rev), manifests(objects, e.rev)); err != nil {
		return nil, err
	}
	if r.Change, err = measureSync(ctx, e, sp, func() error {
		if err := benchutil.Webhook(ctx, e.h.HTTPAddr, e.repo); err != nil {
			return err
		}
		return converged(ctx, e, app, e.head)
	}); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "run %d: changed in %.1fs, %.1f CPU s, peak %.0f MiB, API requests %v\n",
		run, r.Change.WallSec, r.Change.CPUSec, r.Change.PeakRSSMiB, r.Change.Requests)
	return r, nil
}

// measureSync samples the spoke while start starts a sync and waits for
// it to converge.
func measureSync(ctx context.Context, e *env, sp *spokeProc, start func() error) (syncStats, error) {
	req0, err := requests(ctx, e.kube)
	if err != nil {
		return syncStats{}, err
	}
	s, err := benchutil.Sample(sp.pid(), sampleEvery)
	if err != nil {
		return syncStats{}, err
	}
	if err := start(); err != nil {
		return syncStats{}, err
	}
	w, err := s.Stop()
	if err != nil {
		return syncStats{}, err
	}
	req1, err := requests(ctx, e.kube)
	if err != nil {
		return syncStats{}, err
	}
	out := syncStats{Window: w}
	out.Requests, out.Total = since(req0, req1)
	return out, nil
}

// rest starts the informer peer, then samples it and the spoke, both idle.
func rest(ctx context.Context, e *env, r *Run, sp *spokeProc, ns string, idle time.Duration) (err error) {
	inf, err := startInformer(e.kubeconfig, ns)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, inf.stop()) }()
	if r.InformerBaselineRSSMiB, err = meanRSS(ctx, inf.pid(), 2*time.Second); err != nil {
		return err
	}
	if r.InformerObjects, err = inf.sync(2 * time.Minute); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil { // let the list's garbage go
		return err
	}
	ss, err := benchutil.Sample(sp.pid(), sampleEvery)
	if err != nil {
		return err
	}
	is, err := benchutil.Sample(inf.pid(), sampleEvery)
	if err != nil {
		return err
	}
	if err := sleep(ctx, idle); err != nil {
		return err
	}
	if r.Rest, err = ss.Stop(); err != nil {
		return err
	}
	r.InformerRest, err = is.Stop()
	return err
}

// cleanup stops the spoke, forgets the application (its objects stay) and
// deletes the namespace, waiting until it is gone: the next run's spoke
// and peer must not see this run's objects.
func cleanup(e *env, sp *spokeProc, app, ns string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := errors.Join(sp.stop(), connected(ctx, e, 0))
	if _, derr := e.apps.DeleteApplication(e.admin, &pb.DeleteApplicationRequest{Name: app}); derr != nil {
		err = errors.Join(err, derr)
	}
	if derr := e.kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); derr != nil && !apierrors.IsNotFound(derr) {
		return errors.Join(err, derr)
	}
	return errors.Join(err, poll(ctx, "namespace "+ns+" deleted", func() bool {
		_, gerr := e.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return apierrors.IsNotFound(gerr)
	}))
}

// connected waits until n spokes are connected to the hub.
func connected(ctx context.Context, e *env, n float64) error {
	return poll(ctx, fmt.Sprintf("%v spokes connected", n), func() bool {
		v, err := e.h.Metric(ctx, "flotilla_hub_connected_spokes")
		return err == nil && v == n
	})
}

// converged waits until the application's one target runs revision with
// the operation Succeeded, Synced and Healthy.
func converged(ctx context.Context, e *env, app, revision string) error {
	return poll(ctx, app+" at "+revision, func() bool {
		r, err := e.apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: app})
		if err != nil || len(r.GetTargets()) != 1 {
			return false
		}
		t := r.GetTargets()[0]
		op := t.GetOperation()
		return op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED && op.GetRevision() == revision &&
			t.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED && t.GetHealth() == pb.Health_HEALTH_HEALTHY
	})
}

// meanRSS samples a process for d and returns its mean RSS.
func meanRSS(ctx context.Context, pid int, d time.Duration) (float64, error) {
	s, err := benchutil.Sample(pid, sampleEvery)
	if err != nil {
		return 0, err
	}
	if err := sleep(ctx, d); err != nil {
		return 0, err
	}
	w, err := s.Stop()
	return w.MeanRSSMiB, err
}

func poll(ctx context.Context, what string, done func() bool) error {
	for !done() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
