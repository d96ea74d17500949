//go:build tools

// Package tools pins the code generator so `go mod tidy` keeps its
// dependencies: go run github.com/99designs/gqlgen generate --config gqlgen.yml
package tools

import _ "github.com/99designs/gqlgen"
