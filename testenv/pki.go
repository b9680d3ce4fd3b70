package main

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

	"k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// authority is the throwaway certificate authority of one run: it signs the API server's serving
// certificate and the client certificates of the admin and of kube-controller-manager, and the
// API server trusts it for client certificates. Nothing of it outlives the run's directory.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	dir  string
}

// pair names the PEM files of one certificate and its key.
type pair struct {
	certFile, keyFile string
	certPEM, keyPEM   []byte
}

func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func newAuthority(dir string) (*authority, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	caCert, err := cert.NewSelfSignedCACert(cert.Config{CommonName: "kube-testenv-ca"}, key)
	if err != nil {
		return nil, err
	}
	ca := &authority{cert: caCert, key: key, dir: dir}
	return ca, os.WriteFile(ca.certFile(), encodeCert(caCert.Raw), 0o600)
}

func (ca *authority) certFile() string { return filepath.Join(ca.dir, "ca.crt") }

func (ca *authority) certPEM() []byte { return encodeCert(ca.cert.Raw) }

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// issue signs a certificate for a client (user name and groups) or a server (host names and IPs).
func (ca *authority) issue(name, commonName string, groups []string, hosts []string, server bool) (pair, error) {
	key, err := newKey()
	if err != nil {
		return pair{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return pair{}, err
	}
	template := x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: groups},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		template.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		for _, host := range hosts {
			if ip := net.ParseIP(host); ip != nil {
				template.IPAddresses = append(template.IPAddresses, ip)
			} else {
				template.DNSNames = append(template.DNSNames, host)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, ca.cert, key.Public(), ca.key)
	if err != nil {
		return pair{}, fmt.Errorf("sign %s: %w", name, err)
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return pair{}, err
	}
	issued := pair{
		certFile: filepath.Join(ca.dir, name+".crt"),
		keyFile:  filepath.Join(ca.dir, name+".key"),
		certPEM:  encodeCert(der),
		keyPEM:   keyPEM,
	}
	if err := os.WriteFile(issued.certFile, issued.certPEM, 0o600); err != nil {
		return pair{}, err
	}
	return issued, os.WriteFile(issued.keyFile, issued.keyPEM, 0o600)
}

// serviceAccountKey writes the key pair the API server signs service-account tokens with (and
// the controller manager's token controller uses): private key and public key, PEM.
func serviceAccountKey(dir string) (privateFile, publicFile string, err error) {
	key, err := newKey()
	if err != nil {
		return "", "", err
	}
	privatePEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return "", "", err
	}
	publicDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return "", "", err
	}
	privateFile, publicFile = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(privateFile, privatePEM, 0o600); err != nil {
		return "", "", err
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: publicDER})
	return privateFile, publicFile, os.WriteFile(publicFile, publicPEM, 0o600)
}
