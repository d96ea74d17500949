#!/bin/sh
# An IP summary with curl. EG_URL defaults to the demo on this machine;
# EG_API_KEY, when set, authenticates (access.apiKeys).
curl -sS "${EG_URL:-http://127.0.0.1:8080}/graphql" \
  -H 'Content-Type: application/json' ${EG_API_KEY:+-H "X-Api-Key: $EG_API_KEY"} \
  -d '{"query":"query Summary($ip: String!) { ipAddress(address: $ip) { address origin alerts { totalCount nodes { name severity } } } }","variables":{"ip":"193.27.228.147"}}'
