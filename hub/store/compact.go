package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// CompactStats say whether Open compacted the file and its size before and
// after (bytes; Before also when it did not).
type CompactStats struct {
	Compacted     bool
	Before, After int64
	Free          int64 // bytes free in the file before: free pages and the unused tail
}

// compactMinBytes is the smallest file worth compacting.
var compactMinBytes int64 = 1 << 20

// compactTxMaxBytes bounds one transaction of the copy (bbolt.Compact).
const compactTxMaxBytes = 64 << 20

// compactIfSparse rewrites the bbolt file at path when more than half of
// it is free (pages freed by deletions; bbolt never shrinks a file): it
// copies the live data into path.compact, then renames it over path. A
// crash before the rename leaves the original, and the next start removes
// the partial copy.
func compactIfSparse(path string) (CompactStats, error) {
	tmp := path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return CompactStats{}, err
	}
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return CompactStats{}, nil
	}
	if err != nil {
		return CompactStats{}, err
	}
	cs := CompactStats{Before: fi.Size(), After: fi.Size()}
	src, err := bolt.Open(path, 0o600, boltOptions())
	if err != nil {
		return cs, err
	}
	if cs.Free, err = freeBytes(src, fi.Size()); err != nil || cs.Before < compactMinBytes || 2*cs.Free <= cs.Before {
		return cs, errors.Join(err, src.Close())
	}
	if err := copyCompact(src, tmp); err != nil {
		return cs, errors.Join(err, src.Close(), os.Remove(tmp))
	}
	if err := src.Close(); err != nil {
		return cs, errors.Join(err, os.Remove(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return cs, errors.Join(err, os.Remove(tmp))
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return cs, err
	}
	if fi, err = os.Stat(path); err != nil {
		return cs, err
	}
	cs.Compacted, cs.After = true, fi.Size()
	return cs, nil
}

// freeBytes is how much of a file of size bytes db does not use: its free
// and pending pages and the tail past its last page.
func freeBytes(db *bolt.DB, size int64) (int64, error) {
	var used int64
	if err := db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
		return 0, err
	}
	st := db.Stats()
	return int64(st.FreePageN+st.PendingPageN)*int64(db.Info().PageSize) + max(size-used, 0), nil
}

// copyCompact copies src's live data into a new bbolt file at path.
func copyCompact(src *bolt.DB, path string) error {
	dst, err := bolt.Open(path, 0o600, boltOptions())
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, src, compactTxMaxBytes); err != nil {
		return errors.Join(fmt.Errorf("copy: %w", err), dst.Close())
	}
	if err := dst.Sync(); err != nil {
		return errors.Join(err, dst.Close())
	}
	return dst.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
