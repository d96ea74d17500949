package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/workspace"
)

func main() {
	store, _, err := workspace.Open(context.Background(), workspace.Options{DemoScale: 1})
	if err != nil {
		panic(err)
	}
	var f *facets.Facet
	for _, x := range facets.All {
		if x.Name == os.Args[1] {
			f = x
		}
	}
	end := time.Now().UTC()
	q := facets.Query{Keys: []string{demo.SprayIP}, Start: end.Add(-48 * time.Hour), End: end, Limit: 20}
	st, _ := f.Render(facets.SQL, q)
	var n int
	store.DB().QueryRow(`select count(*) from "` + f.Table + `"`).Scan(&n)
	fmt.Println(f.Table, "rows", n)
	if len(os.Args) > 2 {
		st.Text = strings.Replace(st.Text, ", * FROM ", ", "+os.Args[2]+" FROM ", 1)
	}
	for i := 0; i < 3; i++ {
		t := time.Now()
		r, err := store.DB().Query("EXPLAIN ANALYZE "+st.Text, st.Args...)
		if err != nil {
			panic(err)
		}
		for r.Next() {
			var a, b string
			r.Scan(&a, &b)
			if i == 2 {
				fmt.Println(b)
			}
		}
		fmt.Println("took", time.Since(t))
	}
}
