// Package agent wires the spoke together: the hub connection (conn), the
// plan executor, the watcher (health, drift, self-heal) and the spoke's
// store. One runner goroutine per application executes its current plan;
// the watcher enforces the last plan that ran successfully, whether or not
// the hub is reachable; status goes to the hub through the coalescing
// outbox, which keeps it while the hub is down.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/conn"
	"github.com/flotilla-gitops/flotilla/spoke/executor"
	"github.com/flotilla-gitops/flotilla/spoke/store"
	"github.com/flotilla-gitops/flotilla/spoke/watch"
)

// Agent is a running spoke.
type Agent struct {
	cfg     Config
	log     *slog.Logger
	store   *store.Store
	cluster *apply.Manager
	exec    *executor.Executor
	watch   *watch.Watcher
	out     *conn.Outbox
	client  *conn.Client

	setCluster func(string) // adds the cluster's name to every log record

	mu          sync.Mutex
	ctx         context.Context
	clusterName string
	sentKinds   string // the served kinds the hub was told of, as a key
	runners     map[string]*runner
	wg          sync.WaitGroup
}

// New builds an agent for the cluster of kube; it opens the store.
func New(cfg Config, kube *rest.Config, log *slog.Logger) (*Agent, error) {
	st, err := store.Open(cfg.DataDir, 10*time.Second)
	if err != nil {
		return nil, err
	}
	m, err := apply.New(kube)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	cs, err := kubernetes.NewForConfig(kube)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("clientset: %w", err), st.Close())
	}
	log, setCluster := withCluster(log)
	a := &Agent{cfg: cfg, log: log, store: st, cluster: m, out: conn.NewOutbox(), runners: map[string]*runner{}, setCluster: setCluster}
	a.exec = &executor.Executor{Cluster: m, Store: st, Guard: cfg.Guard, Log: log, Options: cfg.Executor, Report: a.reportProgress}
	a.watch = watch.New(m.Dynamic(), m, &eventSink{cs: cs, log: log}, log, cfg.Watch, a.reportStatus)
	cc := conn.DefaultConfig()
	cc.Addr, cc.Token, cc.DialOptions, cc.Log = cfg.Hub, cfg.token, cfg.dialOptions, log
	a.client = conn.New(cc, a, a.out)
	return a, nil
}

// Run runs the spoke until ctx ends: it resumes saved targets (a run cut
// short resumes at its step), enforces them, and stays connected to the
// hub. The store is closed on return.
func (a *Agent) Run(ctx context.Context) error {
	defer func() {
		if err := a.store.Close(); err != nil {
			a.log.Warn("close store", "err", err)
		}
	}()
	health, err := listenHealth(a.cfg.HealthListen)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()
	var wg sync.WaitGroup
	if health != nil {
		wg.Go(func() {
			if err := serveHealth(ctx, health, a.client.Connected); err != nil {
				a.log.Error("health endpoint", "err", err)
			}
		})
	}
	wg.Go(func() { a.watch.Run(ctx) })
	<-a.watch.Ready() // SetTarget needs the watcher running
	if err := a.resume(ctx); err != nil {
		a.log.Error("resume saved targets", "err", err)
	}
	wg.Go(func() { a.watchDiscovery(ctx, discoveryInterval) })
	wg.Go(func() {
		if err := a.client.Run(ctx); err != nil {
			a.log.Error("hub connection", "err", err)
		}
	})
	<-ctx.Done()
	wg.Wait()
	a.wg.Wait()
	return nil
}

// resume loads every saved target, hands it to the watcher and restarts
// runs that did not finish.
func (a *Agent) resume(ctx context.Context) error {
	targets, err := a.store.Targets()
	if err != nil {
		return err
	}
	for _, t := range targets {
		tgt, err := a.load(t.App)
		if err != nil {
			a.log.Error("load target", "app", t.App, "err", err)
			continue
		}
		a.log.Info("resuming target", "app", t.App, "plan", short(t.PlanHash), "revision", tgt.Proto.GetRevision(),
			"phase", t.Run.Phase, "step", t.Run.Step+1)
		a.runner(ctx, t.App).assign(tgt)
	}
	return nil
}

// load decodes a saved target.
func (a *Agent) load(app string) (*executor.Target, error) {
	t, raw, err := a.store.Target(app)
	if err != nil {
		return nil, err
	}
	msg := &pb.Plan{}
	if err := proto.Unmarshal(raw, msg); err != nil {
		return nil, fmt.Errorf("target %s: plan %s: %w", app, short(t.PlanHash), err)
	}
	p, err := wire.PlanFromProto(msg)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", app, err)
	}
	return executor.NewTarget(app, t.Generation, msg, p, t.Run), nil
}

// reportProgress queues a run's progress for the hub.
func (a *Agent) reportProgress(p *pb.SyncProgress) {
	a.out.Put("progress/"+p.GetApplication(), &pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: p}})
}

// reportStatus queues an application's health and drift for the hub.
func (a *Agent) reportStatus(app string) {
	hr, dr, ok := a.watch.Reports(app)
	if !ok {
		return
	}
	a.out.Put("health/"+app, &pb.ConnectRequest{Msg: &pb.ConnectRequest_Health{Health: hr}})
	a.out.Merge("drift/"+app, func(unsent *pb.ConnectRequest) *pb.ConnectRequest {
		if unsent.GetDrift().GetSelfHealed() {
			dr.SelfHealed = true // a heal the hub has not heard of yet
		}
		return &pb.ConnectRequest{Msg: &pb.ConnectRequest_Drift{Drift: dr}}
	})
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
