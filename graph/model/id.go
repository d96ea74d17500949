package model

import (
	"encoding/base64"
	"errors"
	"strings"
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
