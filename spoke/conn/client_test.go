package conn_test

import (
	"context"
	"sync"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/conn"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// handler runs plans instantly and remembers what it runs; like the
// agent, it queues its full status again on every Welcome.
type handler struct {
	mu       sync.Mutex
	plans    map[string]string
	gens     map[string]uint64
	health   map[string]pb.Health
	welcomes int
	out      *conn.Outbox
}

func (h *handler) setHealth(app string, health pb.Health) {
	h.mu.Lock()
	h.health[app] = health
	h.mu.Unlock()
	h.put(app, health)
}

func (h *handler) put(app string, health pb.Health) {
	h.out.Put("health/"+app, &pb.ConnectRequest{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: app, Health: health}}})
}

func (h *handler) Hello(context.Context) (*pb.Hello, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hello := &pb.Hello{CurrentPlans: map[string]string{}, CurrentGenerations: map[string]uint64{}}
	for app, p := range h.plans {
		hello.CurrentPlans[app], hello.CurrentGenerations[app] = p, h.gens[app]
	}
	return hello, nil
}

func (h *handler) Welcome(context.Context, *pb.Welcome) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.welcomes++
	for app, health := range h.health {
		h.put(app, health)
	}
}

func (h *handler) Plan(_ context.Context, pa *pb.PlanAssignment) *pb.PlanAck {
	h.mu.Lock()
	app := pa.GetPlan().GetApplication()
	h.plans[app], h.gens[app] = pa.GetPlan().GetHash(), pa.GetGeneration()
	h.mu.Unlock()
	h.out.Put("progress/"+app, &pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{
		Application: app, PlanHash: pa.GetPlan().GetHash(),
		Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED}}}})
	return &pb.PlanAck{Seq: pa.GetSeq(), Application: app, PlanHash: pa.GetPlan().GetHash()}
}

func (h *handler) Removed(context.Context, *pb.TargetRemoved)        {}
func (h *handler) Sync(context.Context, *pb.SyncCommand)             {}
func (h *handler) Terminate(context.Context, *pb.TerminateOperation) {}
func (h *handler) LiveDiff(context.Context, *pb.LiveDiffRequest) *pb.LiveDiffResult {
	return &pb.LiveDiffResult{}
}

// The client reconnects after the hub goes away, says in Hello what it
// runs (so the hub resends nothing), and delivers what was queued while
// the hub was down.
func TestClientReconnectsAndResyncs(t *testing.T) {
	hub := fakehub.Start(t, "tok", "edge-1")
	out := conn.NewOutbox()
	h := &handler{plans: map[string]string{}, gens: map[string]uint64{}, health: map[string]pb.Health{}, out: out}
	cfg := conn.DefaultConfig()
	cfg.Addr = hub.Addr()
	cfg.Token = func() (string, error) { return "tok", nil }
	cfg.DialOptions = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	cfg.BackoffBase, cfg.BackoffMax = 50*time.Millisecond, 200*time.Millisecond
	c := conn.New(cfg, h, out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	p := &pb.Plan{Application: "web", Hash: "h1"}
	hub.Assign(p, 1)
	hub.Wait(t, "ack and progress", 10*time.Second, func(v fakehub.View) bool {
		return len(v.Acks()) == 1 && v.Finished("web", "h1") != nil
	})

	hub.Stop()
	// Reported while the hub is down: either still queued, or swallowed by
	// the dying stream and queued again by the resync after Welcome.
	h.setHealth("web", pb.Health_HEALTH_DEGRADED)
	hub.Restart()
	hub.Wait(t, "the report queued while the hub was down", 10*time.Second, func(v fakehub.View) bool {
		return v.Health("web").GetHealth() == pb.Health_HEALTH_DEGRADED
	})
	hub.Read(func(v fakehub.View) {
		hs := v.Hellos()
		if len(hs) != 2 || hs[1].GetCurrentPlans()["web"] != "h1" || hs[1].GetCurrentGenerations()["web"] != 1 {
			t.Errorf("hellos %v: want a second Hello naming plan h1 generation 1", hs)
		}
		if len(v.Acks()) != 1 {
			t.Errorf("%d acks: the plan was resent after the reconnect", len(v.Acks()))
		}
	})
	if !c.Connected() {
		t.Error("client not connected after the hub came back")
	}
}

// A wrong token is refused and retried (with backoff), never fatal.
func TestClientRetriesRefusedToken(t *testing.T) {
	hub := fakehub.Start(t, "right", "edge-1")
	out := conn.NewOutbox()
	h := &handler{plans: map[string]string{}, gens: map[string]uint64{}, health: map[string]pb.Health{}, out: out}
	var mu sync.Mutex
	tok := "wrong"
	cfg := conn.DefaultConfig()
	cfg.Addr = hub.Addr()
	cfg.Token = func() (string, error) { mu.Lock(); defer mu.Unlock(); return tok, nil }
	cfg.DialOptions = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	cfg.BackoffBase, cfg.BackoffMax = 20*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := conn.New(cfg, h, out)
	go func() {
		if err := c.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	hub.Wait(t, "refused attempts, retried", 10*time.Second, func(v fakehub.View) bool { return v.Refused() >= 3 })
	mu.Lock()
	tok = "right" // the token file was rotated: read again at the next attempt
	mu.Unlock()
	hub.Wait(t, "a Hello with the rotated token", 10*time.Second, func(v fakehub.View) bool { return len(v.Hellos()) == 1 })
}
