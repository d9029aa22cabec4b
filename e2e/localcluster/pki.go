package localcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Client identities, one certificate each. The controller-manager and the
// scheduler use the names the default RBAC policy grants; the admin and kwok
// are in system:masters.
var identities = []struct{ file, cn, org string }{
	{"admin", "flotilla-admin", "system:masters"},
	{"kube-controller-manager", "system:kube-controller-manager", ""},
	{"kube-scheduler", "system:kube-scheduler", ""},
	{"kwok", "kwok-controller", "system:masters"},
}

// pki is the set of files the components read, under DIR/pki.
type pki struct {
	dir string
}

func (p pki) path(name string) string { return filepath.Join(p.dir, name) }

func (p pki) caCert() string        { return p.path("ca.crt") }
func (p pki) serverCert() string    { return p.path("apiserver.crt") }
func (p pki) serverKey() string     { return p.path("apiserver.key") }
func (p pki) saKey() string         { return p.path("sa.key") }
func (p pki) saPub() string         { return p.path("sa.pub") }
func (p pki) cert(id string) string { return p.path(id + ".crt") }
func (p pki) key(id string) string  { return p.path(id + ".key") }

// generatePKI writes a fresh CA, the apiserver serving certificate, one
// client certificate per identity and the service-account key pair.
// ECDSA P-256 throughout: generating it takes microseconds, not the tens of
// milliseconds of RSA.
func generatePKI(dir string) (pki, error) {
	p := pki{dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return p, fmt.Errorf("pki: %w", err)
	}
	now := time.Now().Add(-time.Hour)
	caKey, err := newKey()
	if err != nil {
		return p, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "flotilla-localcluster-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, ca, err := sign(caTmpl, caTmpl, caKey, caKey)
	if err != nil {
		return p, fmt.Errorf("pki: ca: %w", err)
	}
	if err := writeCert(p.caCert(), caDER); err != nil {
		return p, err
	}

	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:   now,
		NotAfter:    now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(serviceIP)},
	}
	if err := p.issue(serving, p.serverCert(), p.serverKey(), ca, caKey); err != nil {
		return p, err
	}
	for _, id := range identities {
		subject := pkix.Name{CommonName: id.cn}
		if id.org != "" {
			subject.Organization = []string{id.org}
		}
		client := &x509.Certificate{
			Subject:     subject,
			NotBefore:   now,
			NotAfter:    now.Add(10 * 365 * 24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if err := p.issue(client, p.cert(id.file), p.key(id.file), ca, caKey); err != nil {
			return p, err
		}
	}

	saKey, err := newKey()
	if err != nil {
		return p, err
	}
	if err := writeKey(p.saKey(), saKey); err != nil {
		return p, err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return p, fmt.Errorf("pki: sa public key: %w", err)
	}
	return p, writePEM(p.saPub(), "PUBLIC KEY", pub)
}

func (p pki) issue(tmpl *x509.Certificate, certPath, keyPath string, ca *x509.Certificate, caKey crypto.Signer) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	der, _, err := sign(tmpl, ca, key, caKey)
	if err != nil {
		return fmt.Errorf("pki: %s: %w", tmpl.Subject.CommonName, err)
	}
	if err := writeCert(certPath, der); err != nil {
		return err
	}
	return writeKey(keyPath, key)
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate key: %w", err)
	}
	return key, nil
}

func sign(tmpl, parent *x509.Certificate, key, parentKey crypto.Signer) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, fmt.Errorf("serial: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate: %w", err)
	}
	return der, cert, nil
}

func writeCert(path string, der []byte) error { return writePEM(path, "CERTIFICATE", der) }

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("pki: marshal key %s: %w", path, err)
	}
	return writePEM(path, "EC PRIVATE KEY", der)
}

func writePEM(path, typ string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}
