package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// newRunDir creates this test process's directory under
// $TMPDIR/flotilla-localcluster, with an owner file naming the process.
func newRunDir() (string, error) {
	base := filepath.Join(os.TempDir(), testBase)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("run dir: %w", err)
	}
	pkg := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	dir, err := os.MkdirTemp(base, pkg+"-")
	if err != nil {
		return "", fmt.Errorf("run dir: %w", err)
	}
	self := pidRecord{PID: os.Getpid()}
	if st, err := procStart(self.PID); err == nil {
		self.Start = st
	}
	if err := writePidFile(filepath.Join(dir, ownerFile), self); err != nil {
		return "", fmt.Errorf("run dir: %w", err)
	}
	return dir, nil
}

// sweepOrphans stops the processes of runs under base whose owner died
// (a crash, a timeout panic, a SIGKILL) and removes their data, keeping
// logs for keepLogsFor.
func sweepOrphans(ctx context.Context, base string) error {
	entries, err := os.ReadDir(base)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sweep %s: %w", base, err)
	}
	var errs []error
	for _, e := range entries {
		run := filepath.Join(base, e.Name())
		if !e.IsDir() {
			continue
		}
		owner, err := readPidFile(filepath.Join(run, ownerFile))
		if err == nil && owner.alive() {
			continue // a test process running now, maybe another package
		}
		if err := sweepRun(ctx, run); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sweepRun stops the clusters of a dead run and deletes all but their logs;
// once the logs are older than keepLogsFor, it deletes the run.
func sweepRun(ctx context.Context, run string) error {
	if err := StopFleet(ctx, run, KeepLogs); err != nil {
		return err
	}
	info, err := os.Stat(run)
	if err != nil {
		return fmt.Errorf("sweep %s: %w", run, err)
	}
	if time.Since(newestModTime(run, info.ModTime())) > keepLogsFor {
		if err := os.RemoveAll(run); err != nil {
			return fmt.Errorf("sweep %s: %w", run, err)
		}
	}
	return nil
}

func newestModTime(dir string, newest time.Time) time.Time {
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil //nolint:nilerr // best effort: an unreadable entry is not newer
		}
		if info, ierr := d.Info(); ierr == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
		return nil
	})
	if err != nil {
		return newest
	}
	return newest
}
