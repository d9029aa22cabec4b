package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// spokeProc is a flotilla-spoke process.
type spokeProc struct {
	cmd *exec.Cmd
	log *os.File
}

// startSpoke starts the spoke binary with a fresh data dir; its log goes to
// logFile.
func startSpoke(bin, hubAddr, tokenFile, kubeconfig, dataDir, logFile string) (*spokeProc, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--hub", hubAddr, "--insecure", "--token-file", tokenFile, "--kubeconfig", kubeconfig,
		"--data-dir", dataDir, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(err, log.Close())
	}
	return &spokeProc{cmd: cmd, log: log}, nil
}

func (s *spokeProc) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM and waits for the spoke to exit.
func (s *spokeProc) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return errors.Join(err, s.log.Close())
	}
	err := s.cmd.Wait()
	if err != nil {
		err = fmt.Errorf("spoke (log %s): %w", s.log.Name(), err)
	}
	return errors.Join(err, s.log.Close())
}
