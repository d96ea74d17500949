// Package sentinel builds the Log Analytics source (Microsoft Sentinel)
// from the configuration: cloud, credential, workspaces, on-behalf-of.
package sentinel

import (
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"

	"entitygraph/internal/config"
	"entitygraph/internal/sources/loganalytics"
)

// cloudConfig resolves the named cloud and any endpoint or authority
// override.
func cloudConfig(s config.Sentinel) (cloud.Configuration, error) {
	var base cloud.Configuration
	switch strings.ToLower(s.Cloud) {
	case "", "public", "azurepublic":
		base = cloud.AzurePublic
	case "usgov", "government", "azuregovernment":
		base = cloud.AzureGovernment
	case "china", "azurechina":
		base = cloud.AzureChina
	default:
		return cloud.Configuration{}, fmt.Errorf("sentinel.cloud %q: use public, usgov or china", s.Cloud)
	}
	c := cloud.Configuration{ActiveDirectoryAuthorityHost: base.ActiveDirectoryAuthorityHost, Services: map[cloud.ServiceName]cloud.ServiceConfiguration{}}
	for k, v := range base.Services {
		c.Services[k] = v
	}
	if s.Endpoint != "" {
		svc := c.Services[azlogs.ServiceName]
		svc.Endpoint = strings.TrimRight(s.Endpoint, "/")
		c.Services[azlogs.ServiceName] = svc
	}
	if s.AuthorityHost != "" {
		c.ActiveDirectoryAuthorityHost = strings.TrimRight(s.AuthorityHost, "/") + "/"
	}
	return c, nil
}

// credential builds the service identity the configuration names.
func credential(s config.Sentinel, c cloud.Configuration) (azcore.TokenCredential, error) {
	a := s.Auth
	opts := azcore.ClientOptions{Cloud: c}
	noDiscovery := s.AuthorityHost != ""
	switch strings.ToLower(a.Mode) {
	case "", "default":
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts, TenantID: a.TenantID, DisableInstanceDiscovery: noDiscovery})
	case "secret":
		if a.ClientSecret == "" {
			return nil, fmt.Errorf("sentinel.auth.mode secret: set EG_CLIENT_SECRET (or auth.clientSecret)")
		}
		return azidentity.NewClientSecretCredential(a.TenantID, a.ClientID, a.ClientSecret, &azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
	case "certificate":
		certs, key, err := readCertificate(a)
		if err != nil {
			return nil, err
		}
		return azidentity.NewClientCertificateCredential(a.TenantID, a.ClientID, certs, key, &azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
	case "none":
		if !a.OnBehalfOf {
			return nil, fmt.Errorf("sentinel.auth.mode none needs onBehalfOf")
		}
		return nil, nil
	}
	return nil, fmt.Errorf("sentinel.auth.mode %q: use default, secret, certificate or none", a.Mode)
}

func readCertificate(a config.Auth) ([]*x509.Certificate, any, error) {
	data, err := os.ReadFile(a.CertificatePath)
	if err != nil {
		return nil, nil, fmt.Errorf("sentinel.auth.certificatePath: %w", err)
	}
	var pw []byte
	if a.CertificatePassword != "" {
		pw = []byte(a.CertificatePassword)
	}
	certs, key, err := azidentity.ParseCertificates(data, pw)
	if err != nil {
		return nil, nil, fmt.Errorf("sentinel.auth.certificatePath: %w", err)
	}
	return certs, key, nil
}

// Source builds the Log Analytics source from the configuration; shared,
// when not nil, counts each identity's limits for every replica.
func Source(s config.Sentinel, shared loganalytics.SharedLimits) (*loganalytics.Source, error) {
	c, err := cloudConfig(s)
	if err != nil {
		return nil, err
	}
	cred, err := credential(s, c)
	if err != nil {
		return nil, err
	}
	opts := loganalytics.Options{
		Default: s.Default, Cloud: c, Credential: cred,
		MaxConcurrent: s.MaxConcurrent, RateLimit: s.RateLimit, RateWindow: s.RateWindow,
		ServerWait: s.ServerWait, TablesTTL: s.TablesTTL,
		IdentityName: identityName(s),
	}
	if shared != nil {
		opts.Shared = shared
	}
	for _, w := range s.Workspaces {
		opts.Workspaces = append(opts.Workspaces, loganalytics.Workspace{Name: w.Name, ID: w.WorkspaceID, TenantID: w.TenantID})
	}
	if s.Auth.OnBehalfOf {
		tenant := s.Auth.TenantID
		if tenant == "" && len(s.Workspaces) > 0 {
			tenant = s.Workspaces[0].TenantID
		}
		obo := &loganalytics.OBO{TenantID: tenant, ClientID: s.Auth.ClientID, ClientSecret: s.Auth.ClientSecret, DisableInstanceDiscovery: s.AuthorityHost != ""}
		if obo.ClientSecret == "" {
			if obo.Certs, obo.Key, err = readCertificate(s.Auth); err != nil {
				return nil, fmt.Errorf("on-behalf-of needs the app's secret or certificate: %w", err)
			}
		}
		opts.OBO = obo
	}
	return loganalytics.New(opts)
}

// identityName names the service identity the same way on every replica
// sharing its limits: the app (tenant/client id) when configured, else the
// first workspace's tenant (the default credential chain's identity).
func identityName(s config.Sentinel) string {
	tenant := s.Auth.TenantID
	if tenant == "" && len(s.Workspaces) > 0 {
		tenant = s.Workspaces[0].TenantID
	}
	if s.Auth.ClientID != "" {
		return strings.ToLower(tenant + "/" + s.Auth.ClientID)
	}
	return strings.ToLower(tenant + "/" + s.Auth.Mode)
}
