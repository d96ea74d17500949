# An IP summary from PowerShell (Invoke-RestMethod). Not run by the tests:
# PowerShell is not installable on the project's machines.
$url = if ($env:EG_URL) { $env:EG_URL } else { "http://127.0.0.1:8080" }
$headers = @{}
if ($env:EG_API_KEY) { $headers["X-Api-Key"] = $env:EG_API_KEY }
$body = @{
  query     = 'query Summary($ip: String!) { ipAddress(address: $ip) { address alerts { totalCount nodes { name severity } } } }'
  variables = @{ ip = "193.27.228.147" }
} | ConvertTo-Json -Depth 5
$r = Invoke-RestMethod -Method Post -Uri "$url/graphql" -ContentType "application/json" -Headers $headers -Body $body
$r.data.ipAddress.alerts.nodes | Format-Table name, severity
