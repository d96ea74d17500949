package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// TI configures threat-intelligence look-ups.
type TI struct {
	// External allows sending IPs to third-party providers (default true;
	// false is TLP:RED: only local feeds, Tor list and Sentinel TI).
	External    *bool                 `yaml:"external"`
	CacheMB     int                   `yaml:"cacheMB"`
	TorExitList string                `yaml:"torExitList"` // a copy of check.torproject.org/exit-addresses
	TorRefresh  bool                  `yaml:"torRefresh"`  // download the list into torExitList every 12 h (online only)
	Feeds       string                `yaml:"feeds"`       // a directory of indicator files
	Providers   map[string]TIProvider `yaml:"providers"`   // by name: VirusTotal, OTX, XForce, GreyNoise, AbuseIPDB, CrowdSec
	GeoCity     string                `yaml:"geoCity"`     // a MaxMind GeoLite2/GeoIP2 City or DB-IP/ip-location-db City mmdb
	GeoASN      string                `yaml:"geoASN"`      // a MaxMind GeoLite2 ASN mmdb, instead of the embedded one
	RDAP        bool                  `yaml:"rdap"`        // online RDAP whois (network name, abuse contacts)
}

// TIProvider is one provider's settings; zero values take the defaults of
// its free tier.
type TIProvider struct {
	Enabled   *bool         `yaml:"enabled"`
	APIKey    string        `yaml:"apiKey"`
	APIID     string        `yaml:"apiId"` // X-Force's key id
	BaseURL   string        `yaml:"baseUrl"`
	PerMinute float64       `yaml:"perMinute"`
	PerDay    int           `yaml:"perDay"`
	CacheTTL  time.Duration `yaml:"cacheTTL"`
}

// String hides the key.
func (p TIProvider) String() string {
	return fmt.Sprintf("{key:%t perMinute:%g perDay:%d}", p.APIKey != "", p.PerMinute, p.PerDay)
}

// applyTIEnv reads keys from EG_TI_<NAME>_KEY (and EG_TI_XFORCE_ID).
func applyTIEnv(t *TI, getenv func(string) string) {
	for _, name := range []string{"VirusTotal", "OTX", "XForce", "GreyNoise", "AbuseIPDB", "CrowdSec"} {
		key := getenv("EG_TI_" + strings.ToUpper(name) + "_KEY")
		id := ""
		if name == "XForce" {
			id = getenv("EG_TI_XFORCE_ID")
		}
		if key == "" && id == "" {
			continue
		}
		if t.Providers == nil {
			t.Providers = map[string]TIProvider{}
		}
		p := t.Providers[name]
		if key != "" {
			p.APIKey = key
		}
		if id != "" {
			p.APIID = id
		}
		t.Providers[name] = p
	}
}

// msticpyTI is the TIProviders section of msticpyconfig.yaml.
type msticpyTI struct {
	TIProviders map[string]struct {
		Args map[string]any `yaml:"Args"`
	} `yaml:"TIProviders"`
}

// ReadMsticpyTI reads provider keys from an msticpyconfig.yaml as it is: a
// value is a string or {EnvironmentVar: NAME}.
func ReadMsticpyTI(path string, getenv func(string) string) (map[string]TIProvider, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("msticpy config: %w", err)
	}
	var mc msticpyTI
	if err := yaml.Unmarshal(b, &mc); err != nil {
		return nil, fmt.Errorf("msticpy config %s: %w", path, err)
	}
	value := func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case map[string]any:
			if env, ok := x["EnvironmentVar"].(string); ok {
				return getenv(env)
			}
		}
		return ""
	}
	out := map[string]TIProvider{}
	for name, p := range mc.TIProviders {
		canonical := map[string]string{"virustotal": "VirusTotal", "otx": "OTX", "xforce": "XForce", "greynoise": "GreyNoise", "abuseipdb": "AbuseIPDB", "crowdsec": "CrowdSec"}[strings.ToLower(name)]
		if canonical == "" {
			continue
		}
		out[canonical] = TIProvider{APIKey: value(p.Args["AuthKey"]), APIID: value(p.Args["ApiID"])}
	}
	return out, nil
}
