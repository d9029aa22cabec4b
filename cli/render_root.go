package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// defaultRoot is the root nothing a render of abs may escape, when --root
// is not given: the Git work tree holding abs; else the current directory
// when abs is inside it (so an overlay's ../base next to it is readable);
// else abs itself.
func defaultRoot(abs string) string {
	if root, ok := gitRoot(abs); ok {
		return root
	}
	if wd, err := os.Getwd(); err == nil {
		if _, err := inside(wd, abs); err == nil {
			return wd
		}
	}
	return abs
}

// rootHint adds to an escape error which root was used and how to widen
// it, when the user did not choose it.
func rootHint(err error, root string, given bool) error {
	if given || !errors.Is(err, render.ErrEscape) {
		return err
	}
	return fmt.Errorf("%w (the root is %s; pass --root DIR to let the render read inside DIR)", err, root)
}
