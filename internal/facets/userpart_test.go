package facets

import (
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestUserPartMatchesItsRegexes runs the SQL of UserPart and of the two
// extractions the KQL writes on DuckDB, side by side, over names at the
// edges of both patterns: the string functions must find what the regular
// expressions find.
func TestUserPartMatchesItsRegexes(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	render := func(e Expr) (string, []any) {
		w := &writer{d: SQL, q: &Query{}, time: "TimeGenerated"}
		w.expr(e)
		if w.err != nil {
			t.Fatal(w.err)
		}
		return w.b.String(), w.args
	}
	x := Col("x")
	got, gotArgs := render(UserPart(x))
	want, wantArgs := render(Coalesce(Extract(userPartRegexes[0], 1, x), Extract(userPartRegexes[1], 1, x), x))
	stmt := "SELECT " + got + ", " + want + " FROM (SELECT CAST(? AS VARCHAR) AS x)"
	for _, name := range []string{
		"", "bob", "bob@contoso.com", "Bob.Smith@Contoso.COM", "@contoso.com", "bob@", "a@b@c",
		`CONTOSO\bob`, `\bob`, `CONTOSO\`, `CONTOSO\bob\x`, `a\b@c`, `a@b\c`, `b\ob@x`,
		"CONTOSO\\bob\nx", "bob\n@x", "line\nbreak", "CONTOSO\\bo b", "ünï©ødé@x", `ÄÖ\ü`, "\\", "@", "\\\\",
		"CONTOSO\\\r", "a\tb@c",
	} {
		args := append(append(append([]any{}, gotArgs...), wantArgs...), name)
		var g, w sql.NullString
		if err := db.QueryRow(stmt, args...).Scan(&g, &w); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if g != w {
			t.Errorf("%q: string functions %v, regular expressions %v", name, g, w)
		}
	}
}
