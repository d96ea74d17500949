package resolvers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
	"entitygraph/internal/errcode"
	"entitygraph/internal/facets"
	"entitygraph/internal/identity"
	"entitygraph/internal/loaders"
)

// resolution is who an account is: the key its facets are queried with (an
// aliased key holding every identifier of the person, or the name as
// given), the person, or the people a bare name could be.
type resolution struct {
	key        string
	person     *identity.Person
	candidates []identity.Person // more than one: the name is ambiguous
}

// linkIDs are the columns of each link facet that hold identifiers.
var linkIDs = map[*facets.Facet][]string{
	facets.AccountLinksSignins:   {"UPN", "ObjectId"},
	facets.AccountLinksWindows:   {"DomainUser", "SID"},
	facets.AccountLinksDirectory: {"UPN", "ObjectId", "SID", "DomainUser"},
}

// links reads what the link facets say of names, all at once (batched
// with every other account of the level). A missing table or a failing
// source only leaves its links out: the account's own facets report it.
func links(ctx context.Context, span model.Span, names []string) []identity.Link {
	type job struct {
		f    *facets.Facet
		name string
	}
	var jobs []job
	for _, f := range facets.AccountLinks {
		for _, n := range names {
			jobs = append(jobs, job{f, n})
		}
	}
	var mu sync.Mutex
	var out []identity.Link
	loaders.Each(ctx, len(jobs), func(i int) error {
		rows, err := load(ctx, jobs[i].f, span, jobs[i].name)
		if err != nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rows {
			l := identity.Link{Source: jobs[i].f.Table}
			for _, col := range linkIDs[jobs[i].f] {
				l.IDs = append(l.IDs, decode.StrOr(r, col, ""))
			}
			out = append(out, l)
		}
		return nil
	})
	return out
}

// resolveAccount finds the person an account names. A strong identifier
// (UPN, DOMAIN\user, SID, object id) names at most one person; the bare
// user name is one of the person's identifiers only when no one else
// holds it. Every form of one person resolves to the same key.
func resolveAccount(ctx context.Context, a *model.Account) resolution {
	l, err := loaders.For(ctx)
	if err != nil {
		return resolveAccountOnce(ctx, a)
	}
	return l.Memo(resolutionKey(a), func() any { return resolveAccountOnce(ctx, a) }).(resolution)
}

// resolutionKey names an account's resolution in the request's memo.
func resolutionKey(a *model.Account) string {
	return "account|" + a.Name + "|" + a.Span.Start.String() + "|" + a.Span.End.String()
}

// rememberResolution records that another name of the person resolves the
// same way (a related account renamed to its best name).
func rememberResolution(ctx context.Context, a *model.Account, res resolution) {
	if l, err := loaders.For(ctx); err == nil {
		l.Remember(resolutionKey(a), res)
	}
}

func resolveAccountOnce(ctx context.Context, a *model.Account) resolution {
	name := a.Name
	asked := []string{name}
	if u := identity.User(name); u != "" && u != name {
		asked = append(asked, u)
	}
	found := links(ctx, a.Span, asked)
	people := identity.Resolve(name, found)
	if identity.KindOf(name) != identity.Name && len(people) == 1 {
		// An id without a user part (a SID, an object id): ask for the
		// person's user name too, to learn whether another holds it.
		if u := userOf(people[0]); u != "" && u != asked[len(asked)-1] {
			found = append(found, links(ctx, a.Span, []string{u})...)
			people = identity.Resolve(name, found)
		}
	}
	switch len(people) {
	case 0:
		return resolution{key: name}
	case 1:
		p := people[0]
		ids := p.IDs()
		if u := userOf(p); u != "" && len(identity.Resolve(u, found)) == 1 {
			ids = append(ids, u)
		}
		if identity.KindOf(name) == identity.Name {
			ids = append(ids, name)
		}
		return resolution{key: facets.AliasKey(ids), person: &p}
	}
	return resolution{key: name, candidates: people}
}

// userOf is a person's user name, from its UPN or DOMAIN\user.
func userOf(p identity.Person) string {
	for _, a := range p.Aliases {
		if a.Kind == identity.UPN || a.Kind == identity.DomainUser {
			return identity.User(a.Value)
		}
	}
	return ""
}

// accountKey is the key an account's facets are queried with.
func accountKey(ctx context.Context, a *model.Account) string {
	return resolveAccount(ctx, a).key
}

// accountAliases lists the person's identifiers; an unresolved or ambiguous
// name is its own one alias.
func accountAliases(ctx context.Context, a *model.Account) []*model.AccountAlias {
	res := resolveAccount(ctx, a)
	if res.person == nil {
		return []*model.AccountAlias{{Kind: model.AccountAliasKind(identity.KindOf(a.Name)), Value: a.Name, Sources: []string{}}}
	}
	out := make([]*model.AccountAlias, 0, len(res.person.Aliases))
	for _, al := range res.person.Aliases {
		out = append(out, &model.AccountAlias{Kind: model.AccountAliasKind(al.Kind), Value: al.Value, Sources: al.Sources})
	}
	return out
}

// accountCandidates are the people an ambiguous bare name could be.
func accountCandidates(ctx context.Context, a *model.Account) []*model.Account {
	res := resolveAccount(ctx, a)
	out := []*model.Account{}
	if len(res.candidates) > 1 {
		for _, p := range res.candidates {
			out = append(out, &model.Account{Name: p.Best(), Span: a.Span})
		}
	}
	return out
}

// warnAmbiguous adds an AMBIGUOUS_NAME error beside the data when a bare
// name names several people: the account's facets match the name as
// given, and the candidates say whom to ask for instead.
func warnAmbiguous(ctx context.Context, a *model.Account) {
	res := resolveAccount(ctx, a)
	if len(res.candidates) < 2 {
		return
	}
	names := make([]string, len(res.candidates))
	for i, p := range res.candidates {
		names[i] = p.Best()
	}
	addError(ctx, &gqlerror.Error{Path: graphql.GetPath(ctx),
		Message:    fmt.Sprintf("%q names %d people (%s): its facets match the name as given; ask for one of them", a.Name, len(names), strings.Join(names, ", ")),
		Extensions: map[string]any{"code": errcode.AmbiguousName, "candidates": names}})
}
