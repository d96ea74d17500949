package server

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
)

// GraphiQL 4.1.2 and React 18.2.0 UMD builds, served from the binary (see
// assets/README.md for their source and licences): no CDN is contacted.
//
//go:embed assets
var assets embed.FS

func assetHandler() http.Handler {
	sub, _ := fs.Sub(assets, "assets")
	fsrv := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(w, r)
	})
}

var page = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>entitygraph</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="/assets/graphiql.min.css">
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>
</head>
<body>
<div id="graphiql">Loading…</div>
<script src="/assets/react.production.min.js"></script>
<script src="/assets/react-dom.production.min.js"></script>
<script src="/assets/graphiql.min.js"></script>
<script>
const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
const root = ReactDOM.createRoot(document.getElementById('graphiql'));
root.render(React.createElement(GraphiQL, {
  fetcher,
  defaultQuery: {{.}},
  defaultEditorToolsVisibility: true,
}, React.createElement(GraphiQL.Logo, null, 'entitygraph')));
</script>
</body>
</html>
`))

// favicon is entitygraph's icon: three linked nodes.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<path d="M8 24 16 8 24 24Z" fill="none" stroke="#1f6feb" stroke-width="2"/>` +
	`<circle cx="16" cy="8" r="4" fill="#e5534b"/><circle cx="8" cy="24" r="4" fill="#1f6feb"/><circle cx="24" cy="24" r="4" fill="#1f6feb"/></svg>`

func faviconHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write([]byte(favicon))
}

func graphiqlHandler(example string) http.HandlerFunc {
	q, _ := json.Marshal(example)
	js := template.JS(q)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, js)
	}
}
