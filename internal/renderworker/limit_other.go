//go:build !linux

package renderworker

import "errors"

func limitSelf(memory, cpu string) error {
	return errors.New("render workers enforce their limits on Linux only")
}
