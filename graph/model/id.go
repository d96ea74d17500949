package model

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// EncodeID builds an opaque global id from an entity type and its key.
func EncodeID(typ, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + key))
}

// DecodeID splits a global id into entity type and key.
func DecodeID(id string) (typ, key string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", "", errors.New("not an entitygraph id")
	}
	typ, key, ok := strings.Cut(string(raw), ":")
	if !ok || typ == "" || key == "" {
		return "", "", errors.New("not an entitygraph id")
	}
	return typ, key, nil
}

// spanSep separates an entity's key from the timespan in its id; no
// canonical key contains it.
const spanSep = "\x1f"

// EncodeEntityID is an entity's global id: its type, its key and the
// timespan it was reached with, so that refetching it by id gives the
// values of the response it came from.
func EncodeEntityID(typ, key string, span Span) string {
	if span.Start.IsZero() && span.End.IsZero() {
		return EncodeID(typ, key)
	}
	return EncodeID(typ, key+spanSep+strconv.FormatInt(span.Start.UnixNano(), 36)+"."+strconv.FormatInt(span.End.UnixNano(), 36))
}

// DecodeEntityID splits an entity id into type, key and, when the id
// carries one, the timespan (ok false for ids without).
func DecodeEntityID(id string) (typ, key string, span Span, ok bool, err error) {
	typ, key, err = DecodeID(id)
	if err != nil {
		return "", "", Span{}, false, err
	}
	i := strings.LastIndex(key, spanSep)
	if i < 0 {
		return typ, key, Span{}, false, nil
	}
	startText, endText, found := strings.Cut(key[i+1:], ".")
	start, err1 := strconv.ParseInt(startText, 36, 64)
	end, err2 := strconv.ParseInt(endText, 36, 64)
	if !found || err1 != nil || err2 != nil || end <= start {
		return "", "", Span{}, false, errors.New("not an entitygraph id")
	}
	return typ, key[:i], Span{Start: time.Unix(0, start).UTC(), End: time.Unix(0, end).UTC()}, true, nil
}
