// Package tlsfiles builds TLS configurations from PEM files, the same way
// for the hub, the spokes and the CLI: a CA bundle to verify the other
// side, a certificate and key of one's own (mTLS), and certificates read
// again when they change on disk (cert-manager rotates them in place).
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Client returns a client configuration. caFile verifies the server
// (system roots when empty); serverName overrides the name expected in
// its certificate; certFile and keyFile, both or neither, are the client
// certificate for mTLS.
func Client(caFile, serverName, certFile, keyFile string, skipVerify bool) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName, InsecureSkipVerify: skipVerify} //nolint:gosec // skipVerify only when the user asks
	if caFile != "" {
		pool, err := pool(caFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		kp, err := newKeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return kp.get() }
	}
	return c, nil
}

// Server returns a server configuration for certFile and keyFile. With
// clientCA, every client must present a certificate it signed.
func Server(certFile, keyFile, clientCA string) (*tls.Config, error) {
	kp, err := newKeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.get() }}
	if clientCA != "" {
		if c.ClientCAs, err = pool(clientCA); err != nil {
			return nil, err
		}
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}

func pool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s: no PEM certificates", file)
	}
	return p, nil
}

// keyPair is a certificate and key loaded from files, loaded again when
// either file's modification time changes; a failed reload keeps the
// last good pair.
type keyPair struct {
	cert, key string

	mu     sync.Mutex
	pair   *tls.Certificate
	stamps [2]time.Time
}

func newKeyPair(cert, key string) (*keyPair, error) {
	if cert == "" || key == "" {
		return nil, errors.New("a certificate needs both its file and its key file")
	}
	kp := &keyPair{cert: cert, key: key}
	if _, err := kp.get(); err != nil {
		return nil, err
	}
	return kp, nil
}

func (kp *keyPair) get() (*tls.Certificate, error) {
	var stamps [2]time.Time
	for i, f := range []string{kp.cert, kp.key} {
		if st, err := os.Stat(f); err == nil {
			stamps[i] = st.ModTime()
		}
	}
	kp.mu.Lock()
	defer kp.mu.Unlock()
	if kp.pair != nil && stamps == kp.stamps {
		return kp.pair, nil
	}
	pair, err := tls.LoadX509KeyPair(kp.cert, kp.key)
	if err != nil {
		if kp.pair != nil {
			return kp.pair, nil // mid-rotation: one file written, not the other yet
		}
		return nil, fmt.Errorf("certificate %s, key %s: %w", kp.cert, kp.key, err)
	}
	kp.pair, kp.stamps = &pair, stamps
	return kp.pair, nil
}
