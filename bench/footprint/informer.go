package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// informerFlag runs this program as the peer: a bare client-go dynamic
// informer on the application's kinds in one namespace, with the spoke's
// label selector. It prints "ready" once its client is built, starts the
// informers when a line arrives on stdin, prints "synced N" when their
// caches hold N objects, and exits at the end of stdin.
const informerFlag = "informer-mode"

var watched = []schema.GroupVersionResource{
	{Version: "v1", Resource: "configmaps"},
	{Version: "v1", Resource: "services"},
	{Version: "v1", Resource: "secrets"},
}

func runInformer(kubeconfig, namespace string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	in := bufio.NewReader(os.Stdin)
	fmt.Println("ready")
	if _, err := in.ReadString('\n'); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, namespace, func(o *metav1.ListOptions) {
		o.LabelSelector = apply.LabelManaged + "=true"
	})
	var informers []cache.SharedIndexInformer
	for _, gvr := range watched {
		informers = append(informers, f.ForResource(gvr).Informer())
	}
	f.Start(ctx.Done())
	for gvr, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("%s: cache not synced", gvr)
		}
	}
	n := 0
	for _, inf := range informers {
		n += len(inf.GetStore().ListKeys())
	}
	fmt.Println("synced", n)
	_, err = io.Copy(io.Discard, in) // until stdin closes
	return err
}

// informerProc is the peer running as a child process.
type informerProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startInformer(kubeconfig, namespace string) (*informerProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := &informerProc{cmd: exec.Command(self, "-"+informerFlag, "-kubeconfig", kubeconfig, "-namespace", namespace)}
	p.cmd.Stderr = os.Stderr
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.out = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	if _, err := p.expect("ready"); err != nil {
		return nil, errors.Join(err, p.stop())
	}
	return p, nil
}

func (p *informerProc) pid() int { return p.cmd.Process.Pid }

// sync starts the informers and waits until their caches are full; it
// returns how many objects they hold.
func (p *informerProc) sync(timeout time.Duration) (int, error) {
	if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	var line string
	var err error
	go func() { line, err = p.expect("synced"); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		return 0, fmt.Errorf("informer peer: not synced after %s", timeout)
	}
	if err != nil {
		return 0, err
	}
	var n int
	_, err = fmt.Sscanf(line, "synced %d", &n)
	return n, err
}

func (p *informerProc) expect(prefix string) (string, error) {
	line, err := p.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("informer peer: %w", err)
	}
	if !strings.HasPrefix(line, prefix) {
		return "", fmt.Errorf("informer peer: got %q, want %s", line, prefix)
	}
	return strings.TrimSpace(line), nil
}

// stop closes its stdin and waits for it to exit.
func (p *informerProc) stop() error {
	return errors.Join(p.stdin.Close(), p.cmd.Wait())
}
