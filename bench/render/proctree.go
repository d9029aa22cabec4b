package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// treeCPU returns the CPU seconds of a process and its descendants: the
// hub renders in warm worker processes of its own (hub/renderpool), whose
// time /proc/PID/stat does not count until the hub has waited for them.
// Workers that exited and were waited for are in the parent's cutime and
// cstime, which are counted too.
func treeCPU(pid int) (float64, error) {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	children := map[int][]int{}
	cpu := map[int]float64{}
	for _, p := range procs {
		n, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		ppid, sec, err := statCPU(n)
		if err != nil {
			continue // exited since the listing
		}
		children[ppid] = append(children[ppid], n)
		cpu[n] = sec
	}
	if _, ok := cpu[pid]; !ok {
		return 0, fmt.Errorf("process %d: not running", pid)
	}
	total := 0.0
	for todo := []int{pid}; len(todo) > 0; {
		p := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], children[p]...)
		total += cpu[p]
	}
	return total, nil
}

// statCPU reads a process's parent and its CPU seconds, its waited-for
// children's included, from /proc/PID/stat.
func statCPU(pid int) (ppid int, sec float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	if ppid, err = strconv.Atoi(f[1]); err != nil {
		return 0, 0, err
	}
	for _, field := range f[11:15] { // utime, stime, cutime, cstime
		ticks, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return 0, 0, err
		}
		sec += ticks / 100 // USER_HZ
	}
	return ppid, sec, nil
}
