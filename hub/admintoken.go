package hub

import (
	"fmt"
	"os"
	"strings"
	"unicode"

	"github.com/flotilla-gitops/flotilla/hub/store"
)

// minAdminToken is the shortest admin token a file may hold: 128 bits of
// hex, as `openssl rand -hex 16` prints.
const minAdminToken = 32

// maxAdminTokenFile bounds what is read of the file.
const maxAdminTokenFile = 4 << 10

// setAdminToken makes the token in file the only admin token.
func setAdminToken(st *store.Store, file string) error {
	tok, err := readAdminToken(file)
	if err != nil {
		return err
	}
	return st.SetAdminToken(tok, store.Principal{Kind: "admin", Name: "admin"})
}

// readAdminToken reads and checks the admin token file.
func readAdminToken(file string) (string, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return "", fmt.Errorf("--admin-token-file: %w", err)
	}
	if fi.Size() > maxAdminTokenFile {
		return "", fmt.Errorf("--admin-token-file %s: %d bytes, more than %d", file, fi.Size(), maxAdminTokenFile)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--admin-token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minAdminToken {
		return "", fmt.Errorf("--admin-token-file %s: the token has %d characters, fewer than %d (make one with `openssl rand -hex 32`)", file, len(tok), minAdminToken)
	}
	if i := strings.IndexFunc(tok, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) || unicode.IsSpace(r) }); i >= 0 {
		return "", fmt.Errorf("--admin-token-file %s: the token holds a space or a character that is not printable ASCII at offset %d", file, i)
	}
	return tok, nil
}
