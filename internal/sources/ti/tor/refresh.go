package tor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// ExitListURL is the Tor Project's published exit list.
const ExitListURL = "https://check.torproject.org/exit-addresses"

// Refresher keeps the local exit list current when the server is online.
type Refresher struct {
	URL    string // ExitListURL by default
	Path   string // the Provider's file
	Every  time.Duration
	Client *http.Client
	Logger *slog.Logger
}

// Refresh downloads the list once and replaces the file atomically; a
// download that does not look like an exit list is refused.
func (r *Refresher) Refresh(ctx context.Context) error {
	url := r.URL
	if url == "" {
		url = ExitListURL
	}
	client := r.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("tor exit list: download failed (offline?)")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("tor exit list: HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("tor exit list: %w", err)
	}
	if !bytes.Contains(body, []byte("ExitAddress ")) {
		return errors.New("tor exit list: the download has no ExitAddress lines")
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.Path), ".exit-addresses-*")
	if err != nil {
		return fmt.Errorf("tor exit list: %w", err)
	}
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("tor exit list: %w", err)
	}
	tmp.Close()
	if err := os.Rename(tmp.Name(), r.Path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("tor exit list: %w", err)
	}
	return nil
}

// Run refreshes now and then every Every (default 12 h) until ctx ends;
// failures are logged and the current file kept.
func (r *Refresher) Run(ctx context.Context) {
	every := r.Every
	if every <= 0 {
		every = 12 * time.Hour
	}
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	for {
		if err := r.Refresh(ctx); err != nil {
			log.Warn("Tor exit list not refreshed; keeping the local copy", "err", err)
		}
		select {
		case <-time.After(every):
		case <-ctx.Done():
			return
		}
	}
}
