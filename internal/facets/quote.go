package facets

import (
	"errors"
	"regexp"
	"strings"
)

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// kqlKeywords are words that cannot be bare column names in KQL.
var kqlKeywords = map[string]bool{"and": true, "or": true, "not": true, "in": true, "by": true, "on": true,
	"with": true, "let": true, "set": true, "true": true, "false": true, "null": true, "where": true, "project": true,
	"extend": true, "summarize": true, "count": true, "type": true, "typeof": true, "between": true, "to": true}

// QuoteKQL renders s as a KQL double-quoted string literal. Backslash,
// double quote, newline, carriage return and tab are escaped; every other
// character (unicode included) is kept as it is.
func QuoteKQL(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch r := s[i]; r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(r) // bytes pass through: UTF-8 stays as it is
		}
	}
	b.WriteByte('"')
	return b.String()
}

// UnquoteKQL decodes a double- or single-quoted KQL string literal, the
// inverse of QuoteKQL (used to check the escaping).
func UnquoteKQL(lit string) (string, error) {
	if len(lit) < 2 || (lit[0] != '"' && lit[0] != '\'') || lit[len(lit)-1] != lit[0] {
		return "", errors.New("not a quoted KQL string literal")
	}
	q := lit[0]
	body := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\':
			if i+1 >= len(body) {
				return "", errors.New("dangling backslash")
			}
			i++
			switch body[i] {
			case '\\':
				b.WriteByte('\\')
			case '"':
				b.WriteByte('"')
			case '\'':
				b.WriteByte('\'')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				return "", errors.New("unknown escape")
			}
		case c == q:
			return "", errors.New("unescaped quote inside literal")
		case c == '\n' || c == '\r':
			return "", errors.New("raw line break inside literal")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// QuoteKQLIdent renders a column name, bracket-quoting names that are not
// plain identifiers.
func QuoteKQLIdent(name string) string {
	if plainIdent.MatchString(name) && !kqlKeywords[strings.ToLower(name)] {
		return name
	}
	return "[" + QuoteKQL(name) + "]"
}

// QuoteSQLIdent renders a DuckDB identifier.
func QuoteSQLIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
