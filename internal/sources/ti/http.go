package ti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody caps a provider response.
const maxBody = 8 << 20

// httpError is a provider's HTTP failure.
type httpError struct {
	Status     int
	RetryAfter time.Duration
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d", e.Status) }

// ErrNotFound is a provider's "no record" answer.
var ErrNotFound = errors.New("not found")

// Get fetches a URL with the given headers. 404 is ErrNotFound; 5xx are
// retried with backoff, and a 429 whose Retry-After fits in the deadline is
// waited out once; anything else non-2xx is an httpError. The URL and
// headers (which may hold keys) never appear in errors.
func Get(ctx context.Context, client *http.Client, url string, header http.Header) ([]byte, error) {
	client = sameHostOnly(client)
	delay := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, errors.New("bad request URL")
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "entitygraph")
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("request: %w", ctx.Err())
			}
			var ue interface{ Timeout() bool }
			if errors.As(err, &ue) && ue.Timeout() {
				return nil, errors.New("request timed out")
			}
			return nil, errors.New("connection failed")
		}
		body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			return body, ErrNotFound
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			if readErr != nil {
				return nil, errors.New("response body cut short")
			}
			return body, nil
		}
		he := &httpError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		wait := time.Duration(0)
		switch {
		case resp.StatusCode == http.StatusTooManyRequests && attempt == 0 && he.RetryAfter > 0 && he.RetryAfter <= 2*time.Second:
			wait = he.RetryAfter
		case resp.StatusCode >= 500 && attempt < 2:
			wait = delay
			delay *= 2
		default:
			return nil, he
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, he
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, he
		}
	}
}

// errRedirect refuses a redirect that would carry a key to another host.
var errRedirect = errors.New("the provider redirected to another host")

// sameHostOnly is client refusing redirects to another host: net/http
// drops Authorization there, but not the custom headers providers take
// keys in (X-Apikey, Key, X-Api-Key, X-Otx-Api-Key).
func sameHostOnly(client *http.Client) *http.Client {
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
			return errRedirect
		}
		return nil
	}
	return &c
}

func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// classify turns a look-up error into a result status.
func classify(provider string, err error) Result {
	r := Result{Provider: provider, Verdict: Unknown, Status: Failed, Error: err.Error()}
	var he *httpError
	if errors.As(err, &he) {
		switch {
		case he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden:
			r.Status, r.Error = Unauthorized, "the provider refused the API key"
		case he.Status == http.StatusTooManyRequests:
			r.Status, r.RetryAfter, r.Error = RateLimited, he.RetryAfter, "the provider's quota is spent"
		}
	}
	return r
}

// GetJSON fetches a URL and decodes its JSON body into v. found is false
// for a 404 ("no record"); a body that is not the expected JSON, or lacks
// one of the required fields (dot-separated paths such as
// "data.attributes.last_analysis_stats": what a verdict is made of), is an
// error naming the provider.
func GetJSON(ctx context.Context, client *http.Client, provider, url string, header http.Header, v any, required ...string) (body []byte, found bool, err error) {
	body, err = Get(ctx, client, url, header)
	if err == ErrNotFound {
		return body, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, false, fmt.Errorf("%s answered malformed JSON", provider)
	}
	if len(required) > 0 {
		var doc any
		json.Unmarshal(body, &doc)
		for _, path := range required {
			if !hasPath(doc, path) {
				return nil, false, fmt.Errorf("%s answered without %s", provider, path)
			}
		}
	}
	return body, true, nil
}

// hasPath says whether a decoded JSON document has a non-null value at
// the dot-separated path of object keys.
func hasPath(doc any, path string) bool {
	for _, k := range strings.Split(path, ".") {
		m, ok := doc.(map[string]any)
		if !ok {
			return false
		}
		if doc, ok = m[k]; !ok || doc == nil {
			return false
		}
	}
	return true
}
