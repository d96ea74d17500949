package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// version is the module version and the commit the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "entitygraph (unknown build)"
	}
	out := "entitygraph " + info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			out += " commit " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				out += " (modified)"
			}
		}
	}
	return out + " " + info.GoVersion
}

// healthcheck asks a running server's /readyz (for container health
// checks): exit status 0 when ready, 1 otherwise.
func healthcheck(args []string, getenv func(string) string, out io.Writer) int {
	fs := flag.NewFlagSet("gql healthcheck", flag.ContinueOnError)
	fs.SetOutput(out)
	listen := fs.String("listen", "", "the server's listen address (env EG_LISTEN; default 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	addr := first(*listen, getenv("EG_LISTEN"), "127.0.0.1:8080")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintln(out, "healthcheck:", err)
		return 1
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // a wildcard listen address is reached on loopback
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/readyz")
	if err != nil {
		fmt.Fprintln(out, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	fmt.Fprintf(out, "%d %s", resp.StatusCode, body)
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// logFormat is the log format the arguments or environment ask for, read
// before the configuration so that its own errors are logged that way.
func logFormat(args []string, getenv func(string) string) string {
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "--log-format=") || strings.HasPrefix(a, "-log-format="):
			return a[strings.Index(a, "=")+1:]
		case (a == "--log-format" || a == "-log-format") && i+1 < len(args):
			return args[i+1]
		}
	}
	return getenv("EG_LOG_FORMAT")
}
