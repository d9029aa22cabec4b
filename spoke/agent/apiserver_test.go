package agent_test

import (
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// proxy forwards TCP to the API server; down() cuts it off (listener and
// open connections), up() serves the same address again.
type proxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	l     net.Listener
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	p.serve(l)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(l net.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) up() {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(l)
}

// With its API server gone, the spoke keeps running: a sync fails with a
// message naming the object and the unreachable server, nothing already
// applied is lost, and once the server is back the next sync applies.
func TestAPIServerDown(t *testing.T) {
	e := setup(t)
	kc, err := clientcmd.LoadFromFile(e.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var target string
	for _, c := range kc.Clusters {
		target = strings.TrimPrefix(c.Server, "https://")
	}
	px := newProxy(t, target)
	for _, c := range kc.Clusters {
		c.Server = "https://" + px.addr
	}
	e.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, e.kubeconfig); err != nil {
		t.Fatal(err)
	}
	e.startSpoke()
	first := e.plan("web", cm("kept", "0", "v1"), &pb.PlanOptions{SelfHeal: true}, "")
	e.hub.Assign(first, 1)
	e.succeeded("web", first, time.Minute)

	px.down()
	second := e.plan("web", cm("kept", "0", "v1")+cm("added", "0"), &pb.PlanOptions{SelfHeal: true}, "")
	e.hub.Assign(second, 1)
	op := e.finished("web", second, 2*time.Minute).GetOperation()
	if op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED || !strings.Contains(op.GetMessage(), px.addr) ||
		!strings.Contains(op.GetMessage(), "ConfigMap") || !strings.Contains(op.GetMessage(), "connection refused") {
		t.Errorf("sync with the API server down: %v %q, want Failed naming the object, the server and the refusal", op.GetPhase(), op.GetMessage())
	}
	t.Logf("with the API server down: %s", op.GetMessage())
	// The object applied before is still there (seen without the proxy).
	if got := e.get(gvrCM, "kept"); got == nil || got.Object["data"].(map[string]any)["v"] != "v1" {
		t.Errorf("kept after the failed sync: %v", got)
	}

	px.up()
	e.hub.Assign(second, 2)
	e.hub.Wait(t, "the sync after the API server came back", 2*time.Minute, func(v fakehub.View) bool {
		for _, pr := range v.ProgressHistory("web") {
			if pr.GetPlanHash() == second.GetHash() && pr.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED {
				return true
			}
		}
		return false
	})
	if !e.exists(gvrCM, "added") {
		t.Error("added missing after the API server came back")
	}
}
