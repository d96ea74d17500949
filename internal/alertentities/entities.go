// Package alertentities parses the Entities JSON of a Sentinel
// SecurityAlert: an array of typed objects where any object may be replaced
// by {"$ref": "<$id>"} pointing at one given earlier (or later) in the
// document, at any depth.
package alertentities

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Entity is one parsed entity: its lower-cased type and its properties,
// with every $ref replaced by the referenced object.
type Entity struct {
	Type  string
	Props map[string]any
}

// String reads a string property.
func (e Entity) String(key string) string {
	s, _ := e.Props[key].(string)
	return s
}

// Object reads a nested entity property (such as a process's "Account").
func (e Entity) Object(key string) (Entity, bool) {
	m, ok := e.Props[key].(map[string]any)
	if !ok {
		return Entity{}, false
	}
	t, _ := m["Type"].(string)
	return Entity{Type: strings.ToLower(t), Props: m}, true
}

// maxDepth bounds $ref resolution (cycles are legal in the format).
const maxDepth = 8

// Parse decodes an Entities value: JSON text, or an already decoded array.
// Top-level references to entities listed in full elsewhere are dropped,
// so each entity appears once.
func Parse(v any) ([]Entity, error) {
	var items []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, nil
		}
		if err := json.Unmarshal([]byte(x), &items); err != nil {
			return nil, fmt.Errorf("alert Entities is not a JSON array: %w", err)
		}
	case []any:
		items = x
	default:
		return nil, errors.New("alert Entities is not a JSON array")
	}
	ids := map[string]map[string]any{}
	var collect func(v any, depth int)
	collect = func(v any, depth int) {
		if depth > maxDepth {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["$id"].(string); ok {
				if _, isRef := x["$ref"]; !isRef {
					ids[id] = x
				}
			}
			for _, c := range x {
				collect(c, depth+1)
			}
		case []any:
			for _, c := range x {
				collect(c, depth+1)
			}
		}
	}
	collect(items, 0)

	var resolve func(v any, depth int) any
	resolve = func(v any, depth int) any {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				target, found := ids[ref]
				if !found || depth > maxDepth {
					return nil
				}
				return resolve(target, depth+1)
			}
			out := make(map[string]any, len(x))
			for k, c := range x {
				if depth < maxDepth {
					out[k] = resolve(c, depth+1)
				}
			}
			return out
		case []any:
			out := make([]any, 0, len(x))
			for _, c := range x {
				if r := resolve(c, depth+1); r != nil {
					out = append(out, r)
				}
			}
			return out
		}
		return v
	}

	var out []Entity
	seen := map[string]bool{}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		if ref, isRef := m["$ref"].(string); isRef {
			if seen[ref] {
				continue
			}
			m = ids[ref]
			if m == nil {
				continue
			}
		}
		if id, ok := m["$id"].(string); ok {
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		props, _ := resolve(m, 0).(map[string]any)
		t, _ := props["Type"].(string)
		out = append(out, Entity{Type: strings.ToLower(t), Props: props})
	}
	return out, nil
}

// AccountName is an account entity's canonical name: UPN when the suffix is
// known, else DOMAIN\user, else the name or the Entra object id.
func AccountName(e Entity) string {
	name, suffix, domain := e.String("Name"), e.String("UPNSuffix"), e.String("NTDomain")
	switch {
	case name != "" && suffix != "":
		return strings.ToLower(name + "@" + suffix)
	case name != "" && domain != "":
		return strings.ToLower(domain + `\` + name)
	case name != "":
		return strings.ToLower(name)
	}
	return strings.ToLower(e.String("AadUserId"))
}

// HostName is a host entity's name: HostName, else the first label of FQDN.
func HostName(e Entity) string {
	if h := e.String("HostName"); h != "" {
		return h
	}
	fqdn := e.String("FQDN")
	short, _, _ := strings.Cut(fqdn, ".")
	return short
}
