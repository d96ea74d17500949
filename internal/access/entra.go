package access

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultAuthorityHost is Entra ID's public-cloud authority.
const DefaultAuthorityHost = "https://login.microsoftonline.com/"

// clockSkew is how far exp and nbf may be off.
const clockSkew = 2 * time.Minute

// keysRefreshInterval bounds JWKS downloads caused by unknown key ids, so
// tokens with made-up kids cannot make the server hammer Entra.
const keysRefreshInterval = time.Minute

// EntraVerifier validates Entra ID access tokens: RS256 signatures against
// the tenant's published keys (found through its OpenID metadata, cached,
// refreshed when a token names an unknown key), the issuer of the tenant
// (v2 and v1 forms), the audience, and the validity window.
type EntraVerifier struct {
	tenant    string
	audiences []string
	issuers   []string
	metadata  string // OpenID metadata URL
	client    *http.Client
	now       func() time.Time

	mu       sync.Mutex
	keys     map[string]*rsa.PublicKey
	jwksURI  string
	fetched  time.Time // last JWKS download attempt
	fetchErr error
}

// NewEntraVerifier builds a verifier for the configured tenant. client nil:
// http.DefaultClient; now nil: time.Now.
func NewEntraVerifier(e Entra, client *http.Client, now func() time.Time) (*EntraVerifier, error) {
	if e.TenantID == "" {
		return nil, errors.New("access.entra.tenantId is required")
	}
	if e.Audience == "" && e.ClientID == "" {
		return nil, errors.New("access.entra needs an audience or a clientId")
	}
	host := e.AuthorityHost
	if host == "" {
		host = DefaultAuthorityHost
	}
	host = strings.TrimRight(host, "/") + "/"
	if client == nil {
		client = http.DefaultClient
	}
	if now == nil {
		now = time.Now
	}
	v := &EntraVerifier{
		tenant:   e.TenantID,
		metadata: host + e.TenantID + "/v2.0/.well-known/openid-configuration",
		issuers:  []string{host + e.TenantID + "/v2.0", "https://sts.windows.net/" + e.TenantID + "/"},
		client:   client,
		now:      now,
		keys:     map[string]*rsa.PublicKey{},
	}
	for _, a := range []string{e.Audience, e.ClientID} {
		if a != "" {
			v.audiences = append(v.audiences, a)
		}
	}
	return v, nil
}

// tokenClaims are the claims entitygraph reads from an Entra token.
type tokenClaims struct {
	jwt.RegisteredClaims
	TenantID          string   `json:"tid"`
	ObjectID          string   `json:"oid"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	UPN               string   `json:"upn"`
	AppID             string   `json:"appid"`
	AzP               string   `json:"azp"`
	Roles             []string `json:"roles"`
	Groups            []string `json:"groups"`
}

// Verify validates a bearer token and returns its principal (workspaces
// not yet granted).
func (v *EntraVerifier) Verify(ctx context.Context, token string) (*Principal, error) {
	var claims tokenClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(v.now),
		jwt.WithExpirationRequired(),
		jwt.WithAudience(v.audiences...),
	)
	_, err := parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("the token names no signing key")
		}
		return v.key(ctx, kid)
	})
	if err != nil {
		return nil, fmt.Errorf("invalid token: %w", err)
	}
	if !v.validIssuer(claims.Issuer) {
		return nil, fmt.Errorf("invalid token: issuer %q is not tenant %s", claims.Issuer, v.tenant)
	}
	if !strings.EqualFold(claims.TenantID, v.tenant) || claims.ObjectID == "" {
		return nil, errors.New("invalid token: tid/oid missing or of another tenant")
	}
	name := first(claims.PreferredUsername, claims.UPN, claims.Name, claims.AppID, claims.AzP, claims.ObjectID)
	return &Principal{
		Kind: KindEntra, ID: "entra:" + strings.ToLower(claims.TenantID) + "/" + strings.ToLower(claims.ObjectID), Name: name,
		TenantID: strings.ToLower(claims.TenantID), ObjectID: strings.ToLower(claims.ObjectID),
		Roles: claims.Roles, Groups: claims.Groups, token: token,
	}, nil
}

func (v *EntraVerifier) validIssuer(iss string) bool {
	for _, want := range v.issuers {
		if iss == want {
			return true
		}
	}
	return false
}

// key returns the public key with this id, downloading the key set when
// the id is unknown (rotation), at most once per keysRefreshInterval.
func (v *EntraVerifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if !v.fetched.IsZero() && v.now().Sub(v.fetched) < keysRefreshInterval {
		if v.fetchErr != nil {
			return nil, fmt.Errorf("signing keys unavailable: %w", v.fetchErr)
		}
		return nil, fmt.Errorf("unknown signing key %q", kid)
	}
	v.fetched = v.now()
	keys, err := v.download(ctx)
	v.fetchErr = err
	if err != nil {
		return nil, fmt.Errorf("signing keys unavailable: %w", err)
	}
	v.keys = keys
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown signing key %q", kid)
}

// download reads the OpenID metadata (once) and the key set.
func (v *EntraVerifier) download(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if v.jwksURI == "" {
		var meta struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := getJSON(ctx, v.client, v.metadata, &meta); err != nil {
			return nil, fmt.Errorf("openid metadata: %w", err)
		}
		if meta.JWKSURI == "" {
			return nil, errors.New("openid metadata has no jwks_uri")
		}
		if meta.Issuer != "" && !strings.Contains(meta.Issuer, "{tenantid}") && !v.validIssuer(meta.Issuer) {
			v.issuers = append(v.issuers, meta.Issuer)
		}
		v.jwksURI = meta.JWKSURI
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Use string `json:"use"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := getJSON(ctx, v.client, v.jwksURI, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || k.Kid == "" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		exp := int(new(big.Int).SetBytes(e).Int64())
		if exp < 3 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks has no RSA signing key")
	}
	return keys, nil
}

func getJSON(ctx context.Context, client *http.Client, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(into)
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
