package images

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"

	// modeSticky is tar's c_ISVTX: /tmp is 1777.
	modeSticky = 0o1000
)

// baseEntries is the minimal root filesystem: users, the CA bundle read from
// caBundle, /tmp. It fails naming the bundle when it is missing.
func baseEntries(caBundle string) ([]entry, error) {
	ca, err := os.ReadFile(caBundle)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("CA bundle %s is missing: install ca-certificates (Debian/Ubuntu) or pass the bundle's path: %w", caBundle, err)
	}
	if err != nil {
		return nil, fmt.Errorf("CA bundle: %w", err)
	}
	return []entry{
		{name: "/etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "/etc/group", mode: 0o644, data: []byte(group)},
		{name: CABundle, mode: 0o644, data: ca},
		{name: "/home/nonroot", mode: 0o700, dir: true, owner: NonRoot},
		{name: "/tmp", mode: 0o777 | modeSticky, dir: true},
	}, nil
}
