// Package entratest is an in-process TLS fake of Entra ID's OpenID
// metadata and signing keys (JWKS), with keys minted per test, for testing
// token validation end to end.
package entratest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audience is the audience the fake's default claims carry.
const Audience = "api://entitygraph"

// Issuer is the fake tenant.
type Issuer struct {
	Server *httptest.Server
	Tenant string

	// Metadata and JWKS count the documents served.
	Metadata, JWKS atomic.Int32

	mu        sync.Mutex
	keys      map[string]*rsa.PrivateKey
	published map[string]bool
}

// New starts a fake for tenant with one published key, "k1".
func New(t testing.TB, tenant string) *Issuer {
	t.Helper()
	i := &Issuer{Tenant: tenant, keys: map[string]*rsa.PrivateKey{}, published: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		i.Metadata.Add(1)
		base := i.Server.URL + "/" + r.PathValue("tenant")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                base + "/v2.0",
			"jwks_uri":                              i.Server.URL + "/" + r.PathValue("tenant") + "/discovery/v2.0/keys",
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
			"subject_types_supported":               []string{"pairwise"},
		})
	})
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", func(w http.ResponseWriter, _ *http.Request) {
		i.JWKS.Add(1)
		i.mu.Lock()
		defer i.mu.Unlock()
		var keys []map[string]any
		for kid, k := range i.keys {
			if !i.published[kid] {
				continue
			}
			keys = append(keys, map[string]any{
				"kty": "RSA", "use": "sig", "kid": kid, "x5t": kid,
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
			})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	i.Server = httptest.NewTLSServer(mux)
	t.Cleanup(i.Server.Close)
	i.AddKey(t, "k1", true)
	return i
}

// AuthorityHost is the fake's authority, as access.entra.authorityHost.
func (i *Issuer) AuthorityHost() string { return i.Server.URL + "/" }

// Client trusts the fake's certificate.
func (i *Issuer) Client() *http.Client { return i.Server.Client() }

// AddKey mints a signing key; published keys are in the JWKS.
func (i *Issuer) AddKey(t testing.TB, kid string, publish bool) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	i.mu.Lock()
	i.keys[kid], i.published[kid] = k, publish
	i.mu.Unlock()
}

// Publish adds a minted key to the JWKS (key rotation).
func (i *Issuer) Publish(kid string) {
	i.mu.Lock()
	i.published[kid] = true
	i.mu.Unlock()
}

// PublicKey returns a key's public half.
func (i *Issuer) PublicKey(kid string) *rsa.PublicKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	return &i.keys[kid].PublicKey
}

// Claims are valid access-token claims for an analyst of the tenant (v2
// issuer, the default audience, an hour left), with these app roles.
func (i *Issuer) Claims(oid string, now time.Time, roles ...string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": i.AuthorityHost() + i.Tenant + "/v2.0", "aud": Audience, "tid": i.Tenant, "oid": oid,
		"sub": "sub-" + oid, "preferred_username": oid + "@contoso.com", "name": "Analyst " + oid,
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"roles": roles, "ver": "2.0",
	}
}

// Sign signs claims with RS256 and the named key.
func (i *Issuer) Sign(t testing.TB, kid string, claims jwt.MapClaims) string {
	t.Helper()
	i.mu.Lock()
	k := i.keys[kid]
	i.mu.Unlock()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Token is a valid token for an analyst with these roles.
func (i *Issuer) Token(t testing.TB, oid string, roles ...string) string {
	return i.Sign(t, "k1", i.Claims(oid, time.Now(), roles...))
}
