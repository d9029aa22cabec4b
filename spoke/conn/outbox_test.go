package conn

import (
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func health(app string, h pb.Health) *pb.ConnectRequest {
	return &pb.ConnectRequest{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: app, Health: h}}}
}

func TestOutboxCoalesces(t *testing.T) {
	o := NewOutbox()
	// A flapping object: 1,000 reports of one key leave one message.
	for i := range 1000 {
		o.Put("health/web", health("web", pb.Health(1+i%2)))
	}
	o.Put("health/api", health("api", pb.Health_HEALTH_DEGRADED))
	o.Put("ack/web", &pb.ConnectRequest{Msg: &pb.ConnectRequest_Ack{Ack: &pb.PlanAck{Seq: 7}}})
	if o.Len() != 3 {
		t.Fatalf("%d queued, want 3", o.Len())
	}
	o.Drop("ack/")
	// A newer message of a key goes after everything queued before it.
	o.Put("health/web", health("web", pb.Health_HEALTH_PROGRESSING))
	es := o.take()
	if len(es) != 2 || es[0].key != "health/api" || es[1].key != "health/web" ||
		es[1].msg.GetHealth().GetHealth() != pb.Health_HEALTH_PROGRESSING {
		t.Fatalf("took %v: want api, then the latest web report (queued last)", es)
	}
	// A send failed after the first message: the rest goes back in front,
	// unless a newer message of its key was queued meanwhile.
	o.Put("health/api", health("api", pb.Health_HEALTH_HEALTHY))
	o.Put("drift/web", &pb.ConnectRequest{Msg: &pb.ConnectRequest_Drift{Drift: &pb.DriftReport{Application: "web"}}})
	o.putBack(es)
	es = o.take()
	if len(es) != 3 || es[0].key != "health/web" || es[1].key != "health/api" || es[2].key != "drift/web" ||
		es[1].msg.GetHealth().GetHealth() != pb.Health_HEALTH_HEALTHY {
		t.Fatalf("after putBack: %v", es)
	}
	// Merge folds what the replaced message said into the new one.
	drift := func(healed bool) *pb.ConnectRequest {
		return &pb.ConnectRequest{Msg: &pb.ConnectRequest_Drift{Drift: &pb.DriftReport{Application: "web", SelfHealed: healed}}}
	}
	o.Put("drift/web", drift(true))
	o.Merge("drift/web", func(old *pb.ConnectRequest) *pb.ConnectRequest {
		m := drift(false)
		m.GetDrift().SelfHealed = old.GetDrift().GetSelfHealed()
		return m
	})
	if es := o.take(); len(es) != 1 || !es[0].msg.GetDrift().GetSelfHealed() {
		t.Fatalf("merge lost the self-heal: %v", es)
	}
	// Remove takes exact keys: web's reports go, web-api's stay.
	o.Put("health/web", health("web", pb.Health_HEALTH_HEALTHY))
	o.Put("health/web-api", health("web-api", pb.Health_HEALTH_HEALTHY))
	o.Remove("health/web", "drift/web")
	if es := o.take(); len(es) != 1 || es[0].key != "health/web-api" {
		t.Fatalf("after Remove(health/web): %v", es)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for i, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		if d := b.Next(); d < want/2 || d > want {
			t.Fatalf("attempt %d: %s, want in [%s, %s]", i, d, want/2, want)
		}
	}
	b.Reset()
	if d := b.Next(); d > 100*time.Millisecond {
		t.Fatalf("after reset: %s", d)
	}
}
