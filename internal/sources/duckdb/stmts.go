package duckdb

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// DefaultPreparedStatements bounds the prepared statements kept: one per
// facet shape (facet, key count, options) in use.
const DefaultPreparedStatements = 256

// stmtCache keeps facet statements prepared, so a shape DuckDB has parsed
// and planned once is not parsed again. Least recently used first out; a
// statement still running when evicted is closed when its last query ends.
type stmtCache struct {
	db    *sql.DB
	max   int
	mu    sync.Mutex
	order *list.List               // front: most recently used
	byKey map[string]*list.Element // value: *stmtEntry
}

type stmtEntry struct {
	text    string
	stmt    *sql.Stmt
	users   int
	evicted bool
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// acquire returns the prepared statement of text and its release.
func (c *stmtCache) acquire(ctx context.Context, text string) (*sql.Stmt, func(), error) {
	c.mu.Lock()
	if el, ok := c.byKey[text]; ok {
		e := el.Value.(*stmtEntry)
		e.users++
		c.order.MoveToFront(el)
		c.mu.Unlock()
		return e.stmt, func() { c.release(e) }, nil
	}
	c.mu.Unlock()
	stmt, err := c.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[text]; ok { // prepared concurrently: keep the first
		stmt.Close()
		e := el.Value.(*stmtEntry)
		e.users++
		c.order.MoveToFront(el)
		return e.stmt, func() { c.release(e) }, nil
	}
	e := &stmtEntry{text: text, stmt: stmt, users: 1}
	c.byKey[text] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		old := c.order.Back()
		oe := old.Value.(*stmtEntry)
		c.order.Remove(old)
		delete(c.byKey, oe.text)
		oe.evicted = true
		if oe.users == 0 {
			oe.stmt.Close()
		}
	}
	return stmt, func() { c.release(e) }, nil
}

func (c *stmtCache) release(e *stmtEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.users--
	if e.evicted && e.users == 0 {
		e.stmt.Close()
	}
}

// len is the number of statements kept.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// close closes every statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; el = el.Next() {
		el.Value.(*stmtEntry).stmt.Close()
	}
	c.order.Init()
	c.byKey = map[string]*list.Element{}
}
