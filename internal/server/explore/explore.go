// Package explore serves the investigation pages (/explore/…): one HTML
// shell, the page's own script and style, and the third-party browser
// files under vendor/ (tools/explore-vendor copies them from pinned npm
// packages; vendor/LICENSES.txt). Everything is embedded: no CDN, no tile
// server; the pages read data only from /graphql.
package explore

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed index.html explore.js explore.css vendor
var files embed.FS

// policy keeps every page on this origin. Styles allow inline attributes:
// the graph library sizes its canvas with them.
const policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Handler serves /explore/static/<file> from the embedded files and every
// other /explore/ path with the page shell (the script routes by URL).
func Handler() http.Handler {
	static := http.StripPrefix("/explore/static/", http.FileServer(http.FS(files)))
	shell, _ := fs.ReadFile(files, "index.html")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/explore/static/"); ok {
			if rest == "" || strings.HasSuffix(rest, "/") || rest == "explore.go" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Cache-Control", "no-cache")
			static.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/explore" || r.URL.Path == "/explore/" {
			http.Redirect(w, r, "/explore/alerts", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(shell)
	})
}
