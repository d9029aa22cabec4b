package cli

import "crypto/tls"

// insecureTLS skips certificate verification (--insecure-skip-verify).
func insecureTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicitly requested by the user
}
