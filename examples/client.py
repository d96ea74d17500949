"""Pivot from an IP to its accounts' alerts with entitygraph (Python, requests).

EG_URL defaults to the demo on this machine; EG_API_KEY, when set, authenticates.
"""
import os
import sys

import requests

URL = os.environ.get("EG_URL", "http://127.0.0.1:8080") + "/graphql"
HEADERS = {"X-Api-Key": os.environ["EG_API_KEY"]} if os.environ.get("EG_API_KEY") else {}
QUERY = """query Pivot($ip: String!) {
  ipAddress(address: $ip) {
    relatedAccounts { account { name alerts(first: 5) { totalCount nodes { name severity } } } }
  }
}"""


def pivot(ip):
    r = requests.post(URL, json={"query": QUERY, "variables": {"ip": ip}}, headers=HEADERS, timeout=60)
    r.raise_for_status()
    body = r.json()
    for e in body.get("errors", []):  # one failing source never fails the whole answer
        print("error:", e.get("extensions", {}).get("code"), e["message"], file=sys.stderr)
    return body["data"]["ipAddress"]


if __name__ == "__main__":
    ip = sys.argv[1] if len(sys.argv) > 1 else "193.27.228.147"
    for row in pivot(ip)["relatedAccounts"] or []:
        account = row["account"]
        alerts = account["alerts"]
        print(account["name"], alerts["totalCount"], "; ".join(n["name"] for n in alerts["nodes"]))
