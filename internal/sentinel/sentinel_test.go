package sentinel

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"

	"entitygraph/internal/config"
)

func TestCloudConfig(t *testing.T) {
	cases := []struct {
		s         config.Sentinel
		endpoint  string
		authority string
		bad       bool
	}{
		{config.Sentinel{}, "https://api.loganalytics.io/v1", "https://login.microsoftonline.com/", false},
		{config.Sentinel{Cloud: "usgov"}, "https://api.loganalytics.us/v1", "https://login.microsoftonline.us/", false},
		{config.Sentinel{Cloud: "china"}, "https://api.loganalytics.azure.cn/v1", "https://login.chinacloudapi.cn/", false},
		{config.Sentinel{Endpoint: "https://la.example/v1/", AuthorityHost: "https://login.example"}, "https://la.example/v1", "https://login.example/", false},
		{config.Sentinel{Cloud: "mars"}, "", "", true},
	}
	for _, c := range cases {
		got, err := cloudConfig(c.s)
		if (err != nil) != c.bad {
			t.Errorf("%+v: err %v", c.s, err)
			continue
		}
		if c.bad {
			continue
		}
		if ep := got.Services[azlogs.ServiceName].Endpoint; ep != c.endpoint || got.ActiveDirectoryAuthorityHost != c.authority {
			t.Errorf("%+v: endpoint %s, authority %s", c.s, ep, got.ActiveDirectoryAuthorityHost)
		}
	}
	// Overrides do not leak into the shared public cloud configuration.
	if pub, _ := cloudConfig(config.Sentinel{}); pub.Services[azlogs.ServiceName].Endpoint != "https://api.loganalytics.io/v1" {
		t.Error("an endpoint override changed the public cloud")
	}
}

func TestCredentialModes(t *testing.T) {
	pemPath := selfSignedPEM(t)
	base := config.Sentinel{Workspaces: []config.Workspace{{Name: "soc", WorkspaceID: "11111111-1111-1111-1111-111111111111", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}}}
	auth := func(a config.Auth) config.Sentinel { s := base; s.Auth = a; return s }
	cases := []struct {
		name string
		s    config.Sentinel
		ok   bool
	}{
		{"default chain", auth(config.Auth{}), true},
		{"secret", auth(config.Auth{Mode: "secret", TenantID: "t", ClientID: "c", ClientSecret: "x"}), true},
		{"secret missing", auth(config.Auth{Mode: "secret", TenantID: "t", ClientID: "c"}), false},
		{"certificate", auth(config.Auth{Mode: "certificate", TenantID: "t", ClientID: "c", CertificatePath: pemPath}), true},
		{"certificate missing", auth(config.Auth{Mode: "certificate", TenantID: "t", ClientID: "c", CertificatePath: "/nope.pem"}), false},
		{"on-behalf-of only", auth(config.Auth{Mode: "none", TenantID: "t", ClientID: "c", ClientSecret: "x", OnBehalfOf: true}), true},
		{"on-behalf-of with a certificate", auth(config.Auth{Mode: "none", TenantID: "t", ClientID: "c", CertificatePath: pemPath, OnBehalfOf: true}), true},
		{"none without on-behalf-of", auth(config.Auth{Mode: "none"}), false},
		{"unknown mode", auth(config.Auth{Mode: "password"}), false},
	}
	for _, c := range cases {
		_, err := Source(c.s, nil)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}

// selfSignedPEM writes a certificate and its key as one PEM file.
func selfSignedPEM(t *testing.T) string {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "entitygraph-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app.pem")
	f, _ := os.Create(path)
	pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	pem.Encode(f, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	f.Close()
	return path
}
