package benchutil

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Proc is one reading of a process's /proc files.
type Proc struct {
	CPUSec     float64 // user+system since it started
	RSSMiB     float64 // resident now (VmRSS)
	PeakRSSMiB float64 // high-water mark (VmHWM), since start or ResetPeak
}

// ReadProc reads /proc/PID/stat and /proc/PID/status.
func ReadProc(pid int) (Proc, error) {
	var p Proc
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return p, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err := strconv.ParseFloat(f[11], 64)
	if err != nil {
		return p, err
	}
	st, err := strconv.ParseFloat(f[12], 64)
	if err != nil {
		return p, err
	}
	p.CPUSec = (ut + st) / 100 // USER_HZ
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(l, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.Fields(val)[0], 64)
		if err != nil {
			return p, err
		}
		if key == "VmRSS" {
			p.RSSMiB = kb / 1024
		} else {
			p.PeakRSSMiB = kb / 1024
		}
	}
	return p, nil
}

// ProcStat returns a process's CPU seconds and peak RSS (MiB), zero when
// /proc cannot be read.
func ProcStat(pid int) (cpuSec, peakRSSMiB float64) {
	p, err := ReadProc(pid)
	if err != nil {
		return 0, 0
	}
	return p.CPUSec, p.PeakRSSMiB
}

// ResetPeak resets the process's VmHWM to its current RSS (Linux
// clear_refs 5), so a later reading is the peak of what follows.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// Window is what a Sampler saw between Start and Stop.
type Window struct {
	WallSec    float64
	CPUSec     float64
	CPUPercent float64 // CPUSec / WallSec, 100 = one core
	MeanRSSMiB float64
	PeakRSSMiB float64 // max of the samples and of VmHWM (reset at start)
	Samples    int
}

// Sampler reads a process's /proc every interval until stopped.
type Sampler struct {
	pid   int
	start time.Time
	first Proc
	stop  chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	sum     float64
	peak    float64
	samples int
	err     error
}

// Sample resets the process's peak RSS and starts sampling it.
func Sample(pid int, every time.Duration) (*Sampler, error) {
	if err := ResetPeak(pid); err != nil {
		return nil, err
	}
	first, err := ReadProc(pid)
	if err != nil {
		return nil, err
	}
	s := &Sampler{pid: pid, start: time.Now(), first: first, stop: make(chan struct{}), done: make(chan struct{})}
	s.add(first)
	go s.loop(every)
	return s, nil
}

func (s *Sampler) loop(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		p, err := ReadProc(s.pid)
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return
		}
		s.add(p)
	}
}

func (s *Sampler) add(p Proc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sum += p.RSSMiB
	s.peak = max(s.peak, p.RSSMiB, p.PeakRSSMiB)
	s.samples++
}

// Stop ends sampling and returns the window, with a last reading.
func (s *Sampler) Stop() (Window, error) {
	close(s.stop)
	<-s.done
	last, err := ReadProc(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return Window{}, s.err
	}
	if err != nil {
		return Window{}, err
	}
	s.sum += last.RSSMiB
	s.peak = max(s.peak, last.RSSMiB, last.PeakRSSMiB)
	s.samples++
	w := Window{WallSec: time.Since(s.start).Seconds(), CPUSec: last.CPUSec - s.first.CPUSec, MeanRSSMiB: s.sum / float64(s.samples),
		PeakRSSMiB: s.peak, Samples: s.samples}
	if w.WallSec > 0 {
		w.CPUPercent = 100 * w.CPUSec / w.WallSec
	}
	return w, nil
}
