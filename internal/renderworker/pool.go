package renderworker

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// Options configure a Pool.
type Options struct {
	Kind    string // the worker's RunIfWorker kind; default "dir"
	Workers int    // workers kept started and waiting for a job
	Limits  Limits
	// Command runs a worker; the default is this executable. The worker's
	// main must call RunIfWorker.
	Command string
}

// Pool runs renders in worker processes. It is safe for concurrent use;
// the caller bounds how many renders run at once.
type Pool struct {
	opts Options
	idle chan *proc

	mu     sync.Mutex
	closed bool
	starts sync.WaitGroup
}

// New checks the options and starts the warm workers.
func New(opts Options) (*Pool, error) {
	if err := opts.Limits.Validate(); err != nil {
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	p := &Pool{opts: opts, idle: make(chan *proc, opts.Workers)}
	for range opts.Workers {
		p.refill()
	}
	return p, nil
}

// Render runs job in a worker and returns its objects, or the render's
// error, or an error naming the limit that killed the worker.
func (p *Pool) Render(ctx context.Context, job Job) (*Result, error) {
	w, err := p.take()
	if err != nil {
		return nil, err
	}
	p.refill() // a fresh worker replaces this one, whatever happens to it
	return w.run(ctx, job, p.opts.Limits)
}

func (p *Pool) take() (*proc, error) {
	select {
	case w := <-p.idle:
		return w, nil
	default:
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return start(p.opts, p.opts.Limits) // none warm: start one now
}

// refill starts a worker in the background and keeps it if there is room.
func (p *Pool) refill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.starts.Add(1)
	go func() {
		defer p.starts.Done()
		w, err := start(p.opts, p.opts.Limits)
		if err != nil {
			return // the next Render starts one itself and reports the error
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			w.stop()
			return
		}
		select {
		case p.idle <- w:
		default:
			w.stop()
		}
	}()
}

// Close stops the waiting workers; renders under way finish.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.starts.Wait()
	for {
		select {
		case w := <-p.idle:
			w.stop()
		default:
			return nil
		}
	}
}

func (o *Options) defaults() error {
	if o.Kind == "" {
		o.Kind = "dir"
	}
	if o.Command == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("render worker: %w", err)
		}
		o.Command = exe
	}
	return nil
}

// Once renders job in a fresh worker process, without keeping one warm:
// for a command that renders once.
func Once(ctx context.Context, opts Options, job Job) (*Result, error) {
	if err := opts.Limits.Validate(); err != nil {
		return nil, err
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	w, err := start(opts, opts.Limits)
	if err != nil {
		return nil, err
	}
	return w.run(ctx, job, opts.Limits)
}
