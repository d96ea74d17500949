package decode

import (
	"encoding/json"
	"entitygraph/graph/model"
	"entitygraph/internal/facets"
	"regexp"
	"strings"
)

// Heartbeat decodes a Heartbeat row.
func Heartbeat(r Row, span model.Span) *model.Heartbeat {
	var version *string
	if maj := Str(r, "OSMajorVersion"); maj != nil {
		v := *maj
		if min := Str(r, "OSMinorVersion"); min != nil {
			v += "." + *min
		}
		version = &v
	}
	return &model.Heartbeat{
		Time:            Time(r, "TimeGenerated"),
		Host:            HostRef(Str(r, "Computer"), span),
		Computer:        Str(r, "Computer"),
		ComputerIP:      Str(r, "ComputerIP"),
		OsType:          Str(r, "OSType"),
		OsName:          Str(r, "OSName"),
		OsVersion:       version,
		Environment:     Str(r, "ComputerEnvironment"),
		ResourceID:      Str(r, "ResourceId"),
		ResourceGroup:   Str(r, "ResourceGroup"),
		SubscriptionID:  Str(r, "SubscriptionId"),
		VMUUID:          Str(r, "VMUUID"),
		AgentVersion:    Str(r, "Version"),
		Solutions:       Str(r, "Solutions"),
		RemoteIPCountry: Str(r, "RemoteIPCountry"),
		Columns:         Columns(r),
	}
}

// VMComputer decodes a VMComputer row.
func VMComputer(r Row, span model.Span) *model.VMComputer {
	return &model.VMComputer{
		Time:            Time(r, "TimeGenerated"),
		Host:            HostRef(Str(r, "Computer"), span),
		Computer:        Str(r, "Computer"),
		OsFamily:        Str(r, "OperatingSystemFamily"),
		OsFullName:      Str(r, "OperatingSystemFullName"),
		AgentID:         Str(r, "AgentId"),
		AzureVMID:       Str(r, "AzureVmId"),
		SubscriptionID:  Str(r, "AzureSubscriptionId"),
		ResourceGroup:   Str(r, "AzureResourceGroup"),
		HostingProvider: Str(r, "HostingProvider"),
		VMType:          Str(r, "VirtualMachineType"),
		ResourceID:      Str(r, "_ResourceId"),
		Ipv4Addresses:   List(r, "Ipv4Addresses"),
		Ipv6Addresses:   List(r, "Ipv6Addresses"),
		Columns:         Columns(r),
	}
}

// NetworkInterface decodes an NSG interface row of AzureNetworkAnalytics_CL.
func NetworkInterface(r Row, span model.Span) *model.NetworkInterface {
	vm := Str(r, "VirtualMachine_s")
	return &model.NetworkInterface{
		Time:               Time(r, "TimeGenerated"),
		Host:               HostRef(VMName(vm), span),
		VirtualMachine:     vm,
		PrivateIPAddresses: List(r, "PrivateIPAddresses_s"),
		PublicIPAddresses:  List(r, "PublicIPAddresses_s"),
		Subnet:             FirstOf(r, "Subnet_s", "Subnet1_s"),
		Region:             FirstOf(r, "Region_s", "AzureRegion_s"),
		Columns:            Columns(r),
	}
}

// HostProfile is what Heartbeat, VMComputer and MDE's DeviceInfo say about
// a host (their newest rows; any may be missing).
type HostProfile struct {
	HeartbeatRow, VMRow, DeviceRow Row
}

// ProfileFacets are a host's latest inventory rows, read as a HostProfile in this order.
var ProfileFacets = []*facets.Facet{facets.HostHeartbeat, facets.HostVMComputer, facets.HostDeviceInfo}

// FQDN reads the host's FQDN from its profile rows.
func (p *HostProfile) FQDN() *string {
	for _, c := range []*string{Str(p.DeviceRow, "DeviceName"), Str(p.HeartbeatRow, "Computer"), Str(p.VMRow, "Computer")} {
		if c != nil && strings.Contains(*c, ".") {
			s := strings.ToLower(*c)
			return &s
		}
	}
	return nil
}

// DNSDomain reads the host's DNSDomain from its profile rows.
func (p *HostProfile) DNSDomain() *string {
	if f := p.FQDN(); f != nil {
		if _, domain, ok := strings.Cut(*f, "."); ok {
			return &domain
		}
	}
	return nil
}

// OSFamily reads the host's OSFamily from its profile rows.
func (p *HostProfile) OSFamily() *string {
	return FirstNonNil(Str(p.HeartbeatRow, "OSType"), Str(p.VMRow, "OperatingSystemFamily"), Str(p.DeviceRow, "OSPlatform"))
}

// OSVersion reads the host's OSVersion from its profile rows.
func (p *HostProfile) OSVersion() *string {
	if hb := Heartbeat(p.HeartbeatRow, model.Span{}); p.HeartbeatRow != nil && hb.OsName != nil {
		v := *hb.OsName
		if hb.OsVersion != nil {
			v += " " + *hb.OsVersion
		}
		return &v
	}
	return FirstNonNil(Str(p.VMRow, "OperatingSystemFullName"), Str(p.DeviceRow, "OSVersion"))
}

// AzureResourceID reads the host's AzureResourceID from its profile rows.
func (p *HostProfile) AzureResourceID() *string {
	return FirstNonNil(Str(p.HeartbeatRow, "ResourceId"), Str(p.VMRow, "_ResourceId"))
}

// AgentID reads the host's AgentID from its profile rows.
func (p *HostProfile) AgentID() *string {
	return FirstNonNil(Str(p.VMRow, "AgentId"), Str(p.HeartbeatRow, "SourceComputerId"))
}

// MDEDeviceID reads the host's MDEDeviceID from its profile rows.
func (p *HostProfile) MDEDeviceID() *string { return Str(p.DeviceRow, "DeviceId") }

// Environment reads the host's Environment from its profile rows.
func (p *HostProfile) Environment() *string { return Str(p.HeartbeatRow, "ComputerEnvironment") }

// AddressFacets find the addresses a host owns.
var AddressFacets = []*facets.Facet{facets.HostHeartbeat, facets.HostVMComputer, facets.HostNetworkInterface, facets.HostDeviceNetworkInfo, facets.HostDeviceInfo}

// HostAddresses reads the AddressFacets' rows, in their order.
func HostAddresses(results [][]Row, span model.Span) []*model.HostIPAddress {
	out := []*model.HostIPAddress{}
	seen := map[string]bool{}
	add := func(text string, src model.HostSource, r Row, timeCol string) {
		ip := IPRef(&text, span)
		if ip == nil || seen[ip.Addr.String()+string(src)] {
			return
		}
		seen[ip.Addr.String()+string(src)] = true
		out = append(out, &model.HostIPAddress{IPAddress: ip, Source: src, LastSeen: Time(r, timeCol)})
	}
	for _, r := range results[0] {
		add(StrOr(r, "ComputerIP", ""), model.HostSourceHeartbeat, r, "TimeGenerated")
		for _, a := range List(r, "ComputerPrivateIPs") {
			add(a, model.HostSourceHeartbeat, r, "TimeGenerated")
		}
	}
	for _, r := range results[1] {
		for _, a := range append(List(r, "Ipv4Addresses"), List(r, "Ipv6Addresses")...) {
			add(a, model.HostSourceVMComputer, r, "TimeGenerated")
		}
	}
	for _, r := range results[2] {
		for _, a := range append(List(r, "PrivateIPAddresses_s"), List(r, "PublicIPAddresses_s")...) {
			add(a, model.HostSourceNsgInterface, r, "TimeGenerated")
		}
	}
	for _, r := range results[3] {
		var addrs []struct {
			IPAddress string `json:"IPAddress"`
		}
		if json.Unmarshal([]byte(StrOr(r, "Addresses", "")), &addrs) == nil {
			for _, a := range addrs {
				add(a.IPAddress, model.HostSourceMdeDevice, r, "LastSeen")
			}
		}
	}
	for _, r := range results[4] {
		add(StrOr(r, "PublicIP", ""), model.HostSourceMdeDevice, r, "TimeGenerated")
	}
	return out
}

// Sysmon for Linux writes its event as XML in the Syslog message.
var sysmonData = regexp.MustCompile(`<Data Name="(Image|CommandLine|ParentImage|User)">([^<]*)</Data>`)

// HostEvent decodes a Windows SecurityEvent or Linux Syslog row of a host event facet.
func HostEvent(r Row, os model.OsFamily, span model.Span) *model.HostEvent {
	e := &model.HostEvent{Time: Time(r, "TimeGenerated"), Os: os, Host: HostRef(Str(r, "Computer"), span), Columns: Columns(r)}
	if os == model.OsFamilyWindows {
		e.EventID = IntP(r, "EventID")
		e.Activity = Str(r, "Activity")
		e.Account = AccountRef(FirstNonNil(DomainUser(Str(r, "SubjectDomainName"), Str(r, "SubjectUserName")), Str(r, "Account")), span)
		e.TargetAccount = AccountRef(DomainUser(Str(r, "TargetDomainName"), Str(r, "TargetUserName")), span)
		e.ProcessName = FirstNonNil(Str(r, "NewProcessName"), Str(r, "ProcessName"))
		e.CommandLine = Str(r, "CommandLine")
		e.ParentProcessName = Str(r, "ParentProcessName")
		return e
	}
	e.Activity = Str(r, "ProcessName")
	e.Message = Str(r, "SyslogMessage")
	if strings.EqualFold(StrOr(r, "ProcessName", ""), "sysmon") {
		one := 1
		e.EventID = &one
		for _, m := range sysmonData.FindAllStringSubmatch(StrOr(r, "SyslogMessage", ""), -1) {
			v := m[2]
			switch m[1] {
			case "Image":
				e.ProcessName = &v
			case "CommandLine":
				e.CommandLine = &v
			case "ParentImage":
				e.ParentProcessName = &v
			case "User":
				e.Account = AccountRef(&v, span)
			}
		}
	}
	return e
}
