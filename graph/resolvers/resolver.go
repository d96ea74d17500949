// Package resolvers holds the thin GraphQL resolvers: arguments in,
// per-request loaders called, models out.
package resolvers

//go:generate sh -c "cd ../.. && go run github.com/99designs/gqlgen generate --config gqlgen.yml"

// Resolver is the root resolver; it carries server-wide settings.
type Resolver struct {
	Config Config
}
