// Package identity decides which identifiers name one person: a UPN, an
// Entra object id, an on-premises SID, DOMAIN\user, and a bare user name.
// Links are rows of the sources that name two identifiers together (a
// sign-in's UPN and object id, a Windows logon's DOMAIN\user and SID, a
// directory record); people are the connected groups of strong
// identifiers. A bare name is never a link between people: asked for, it
// names every person whose user part it is, and more than one is
// ambiguous.
package identity

import (
	"sort"
	"strings"
)

// Kind is what an identifier is.
type Kind string

// Identifier kinds, strongest first.
const (
	UPN        Kind = "UPN"
	DomainUser Kind = "DOMAIN_USER"
	SID        Kind = "SID"
	ObjectID   Kind = "OBJECT_ID"
	Name       Kind = "NAME"
)

// KindOf classifies a lower-cased identifier.
func KindOf(id string) Kind {
	switch {
	case strings.Contains(id, "@"):
		return UPN
	case strings.Contains(id, `\`):
		return DomainUser
	case isAccountSID(id):
		return SID
	case isGUID(id):
		return ObjectID
	}
	return Name
}

// isAccountSID matches s-1-5-21-<n>-<n>-<n>-<n>: domain and local account
// SIDs identify one account; well-known SIDs (S-1-5-18, S-1-0-0, …) are
// shared and never link anything. Written out rather than as a regular
// expression: every identifier of every link is classified (a pivot's
// account resolution spent a third of its time in the expressions).
func isAccountSID(id string) bool {
	rest, ok := strings.CutPrefix(id, "s-1-5-21-")
	if !ok {
		return false
	}
	groups, digits := 1, 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' && digits > 0:
			groups, digits = groups+1, 0
		default:
			return false
		}
	}
	return groups == 4 && digits > 0
}

// isGUID matches a lower-case GUID: 8-4-4-4-12 hexadecimal digits.
func isGUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// User is an identifier's user part: "bob" for bob@contoso.com and
// contoso\bob; "" for SIDs and object ids.
func User(id string) string {
	switch KindOf(id) {
	case UPN:
		return id[:strings.Index(id, "@")]
	case DomainUser:
		return id[strings.Index(id, `\`)+1:]
	case Name:
		return id
	}
	return ""
}

// Link is one source row naming identifiers of one person.
type Link struct {
	Source string   // the table that named them
	IDs    []string // lower-cased identifiers; empty and well-known ones are ignored
}

// Alias is one identifier of a person and the tables that name it.
type Alias struct {
	Kind    Kind
	Value   string
	Sources []string
}

// Person is one resolved identity.
type Person struct {
	Aliases []Alias // strongest kind first, then by value
}

// Best is the name a person is shown by: the UPN when known.
func (p Person) Best() string {
	if len(p.Aliases) == 0 {
		return ""
	}
	return p.Aliases[0].Value
}

// IDs lists the person's identifiers.
func (p Person) IDs() []string {
	out := make([]string, len(p.Aliases))
	for i, a := range p.Aliases {
		out[i] = a.Value
	}
	return out
}

// strong says whether an identifier can tie two links together.
func strong(id string) bool {
	return KindOf(id) != Name
}

// Resolve finds the people name stands for among links: the one holding
// it when it is a strong identifier, or every person whose user part it
// is when it is a bare name. A DOMAIN\user and a UPN with the same user
// whose domain is the UPN suffix's first label (contoso\bob and
// bob@contoso.com) are one person.
func Resolve(name string, links []Link) []Person {
	name = strings.ToLower(strings.TrimSpace(name))
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b string) { parent[find(a)] = find(b) }
	sources := map[string]map[string]bool{}
	for _, l := range links {
		var first string
		for _, id := range l.IDs {
			id = strings.ToLower(strings.TrimSpace(id))
			if id == "" || !strong(id) {
				continue
			}
			if sources[id] == nil {
				sources[id] = map[string]bool{}
			}
			sources[id][l.Source] = true
			if first == "" {
				first = id
				find(id)
			} else {
				union(first, id)
			}
		}
	}
	// DOMAIN\user ↔ user@domain.suffix
	byUser := map[string][]string{}
	for id := range sources {
		if u := User(id); u != "" {
			byUser[u] = append(byUser[u], id)
		}
	}
	for _, ids := range byUser {
		for _, a := range ids {
			if KindOf(a) != DomainUser {
				continue
			}
			dom := a[:strings.Index(a, `\`)]
			for _, b := range ids {
				if KindOf(b) == UPN {
					suffix := b[strings.Index(b, "@")+1:]
					if strings.SplitN(suffix, ".", 2)[0] == dom {
						union(a, b)
					}
				}
			}
		}
	}
	groups := map[string][]string{}
	for id := range sources {
		r := find(id)
		groups[r] = append(groups[r], id)
	}
	var picked [][]string
	if strong(name) {
		if _, ok := sources[name]; ok {
			picked = append(picked, groups[find(name)])
		}
	} else {
		for _, ids := range groups {
			for _, id := range ids {
				if User(id) == name {
					picked = append(picked, ids)
					break
				}
			}
		}
	}
	out := make([]Person, 0, len(picked))
	for _, ids := range picked {
		var p Person
		for _, id := range ids {
			src := make([]string, 0, len(sources[id]))
			for s := range sources[id] {
				src = append(src, s)
			}
			sort.Strings(src)
			p.Aliases = append(p.Aliases, Alias{Kind: KindOf(id), Value: id, Sources: src})
		}
		sort.Slice(p.Aliases, func(i, j int) bool {
			a, b := p.Aliases[i], p.Aliases[j]
			if a.Kind != b.Kind {
				return rank(a.Kind) < rank(b.Kind)
			}
			return a.Value < b.Value
		})
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Best() < out[j].Best() })
	return out
}

func rank(k Kind) int {
	switch k {
	case UPN:
		return 0
	case DomainUser:
		return 1
	case SID:
		return 2
	case ObjectID:
		return 3
	}
	return 4
}
