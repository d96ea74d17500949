package resolvers

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"entitygraph/graph/model"
	"entitygraph/internal/facets"
)

// hostProfile is what Heartbeat, VMComputer and MDE's DeviceInfo say about
// a host (their newest rows; any may be missing).
type hostProfile struct {
	heartbeat, vm, device row
}

var profileFacets = []*facets.Facet{facets.HostHeartbeat, facets.HostVMComputer, facets.HostDeviceInfo}

func loadHostProfile(ctx context.Context, h *model.Host) (*hostProfile, error) {
	results, errs := parallel(ctx, profileFacets, spanQuery(h.Span), h.Name)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	p := &hostProfile{}
	for i, dst := range []*row{&p.heartbeat, &p.vm, &p.device} {
		if len(results[i]) > 0 {
			*dst = results[i][0]
		}
	}
	return p, nil
}

// hostAttr reads one attribute from the first profile source that has it.
func hostAttr(ctx context.Context, h *model.Host, pick func(p *hostProfile) *string) (*string, error) {
	p, err := loadHostProfile(ctx, h)
	if err != nil {
		return nil, err
	}
	return pick(p), nil
}

func (p *hostProfile) fqdn() *string {
	for _, c := range []*string{str(p.device, "DeviceName"), str(p.heartbeat, "Computer"), str(p.vm, "Computer")} {
		if c != nil && strings.Contains(*c, ".") {
			s := strings.ToLower(*c)
			return &s
		}
	}
	return nil
}

func (p *hostProfile) dnsDomain() *string {
	if f := p.fqdn(); f != nil {
		if _, domain, ok := strings.Cut(*f, "."); ok {
			return &domain
		}
	}
	return nil
}

func (p *hostProfile) osFamily() *string {
	return firstNonNil(str(p.heartbeat, "OSType"), str(p.vm, "OperatingSystemFamily"), str(p.device, "OSPlatform"))
}

func (p *hostProfile) osVersion() *string {
	if hb := heartbeatFromRow(p.heartbeat, model.Span{}); p.heartbeat != nil && hb.OsName != nil {
		v := *hb.OsName
		if hb.OsVersion != nil {
			v += " " + *hb.OsVersion
		}
		return &v
	}
	return firstNonNil(str(p.vm, "OperatingSystemFullName"), str(p.device, "OSVersion"))
}

func (p *hostProfile) azureResourceID() *string {
	return firstNonNil(str(p.heartbeat, "ResourceId"), str(p.vm, "_ResourceId"))
}

func (p *hostProfile) agentID() *string {
	return firstNonNil(str(p.vm, "AgentId"), str(p.heartbeat, "SourceComputerId"))
}

func (p *hostProfile) mdeDeviceID() *string { return str(p.device, "DeviceId") }

func (p *hostProfile) environment() *string { return str(p.heartbeat, "ComputerEnvironment") }

func firstNonNil(vals ...*string) *string {
	for _, v := range vals {
		if v != nil {
			return v
		}
	}
	return nil
}

// hostAddressFacets find the addresses a host owns.
var hostAddressFacets = []*facets.Facet{facets.HostHeartbeat, facets.HostVMComputer, facets.HostNetworkInterface, facets.HostDeviceNetworkInfo, facets.HostDeviceInfo}

func hostIPAddresses(ctx context.Context, h *model.Host) ([]*model.HostIPAddress, error) {
	results, errs := parallel(ctx, hostAddressFacets, spanQuery(h.Span), h.Name)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	return hostAddressesFrom(results, h.Span), nil
}

// hostAddressesFrom reads the hostAddressFacets' rows, in their order.
func hostAddressesFrom(results [][]row, span model.Span) []*model.HostIPAddress {
	out := []*model.HostIPAddress{}
	seen := map[string]bool{}
	add := func(text string, src model.HostSource, r row, timeCol string) {
		ip := ipRef(&text, span)
		if ip == nil || seen[ip.Addr.String()+string(src)] {
			return
		}
		seen[ip.Addr.String()+string(src)] = true
		out = append(out, &model.HostIPAddress{IPAddress: ip, Source: src, LastSeen: timep(r, timeCol)})
	}
	for _, r := range results[0] {
		add(strOr(r, "ComputerIP", ""), model.HostSourceHeartbeat, r, "TimeGenerated")
		for _, a := range list(r, "ComputerPrivateIPs") {
			add(a, model.HostSourceHeartbeat, r, "TimeGenerated")
		}
	}
	for _, r := range results[1] {
		for _, a := range append(list(r, "Ipv4Addresses"), list(r, "Ipv6Addresses")...) {
			add(a, model.HostSourceVMComputer, r, "TimeGenerated")
		}
	}
	for _, r := range results[2] {
		for _, a := range append(list(r, "PrivateIPAddresses_s"), list(r, "PublicIPAddresses_s")...) {
			add(a, model.HostSourceNsgInterface, r, "TimeGenerated")
		}
	}
	for _, r := range results[3] {
		var addrs []struct {
			IPAddress string `json:"IPAddress"`
		}
		if json.Unmarshal([]byte(strOr(r, "Addresses", "")), &addrs) == nil {
			for _, a := range addrs {
				add(a.IPAddress, model.HostSourceMdeDevice, r, "LastSeen")
			}
		}
	}
	for _, r := range results[4] {
		add(strOr(r, "PublicIP", ""), model.HostSourceMdeDevice, r, "TimeGenerated")
	}
	return out
}

func hostLogonSummaries(ctx context.Context, h *model.Host) ([]*model.HostLogonSummary, error) {
	results, errs := parallel(ctx, []*facets.Facet{facets.HostWindowsLogons, facets.HostLinuxLogons}, spanQuery(h.Span), h.Name)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	return logonSummaries(results, h.Span), nil
}

// hostEvents pages a Windows and a Linux facet as one list of HostEvents.
func hostEvents(ctx context.Context, h *model.Host, windows, linux *facets.Facet, first *int, after *string) (*model.HostEventConnection, error) {
	rows, origin, offset, total, err := pageMerged(ctx, []*facets.Facet{windows, linux}, h.Span, h.Name, first, after)
	if err != nil {
		return nil, err
	}
	i := 0
	nodes, edges, pi := connection(rows, offset, total, func(r row) *model.HostEvent {
		e := hostEventFromRow(r, osFamilies[origin[i]], h.Span)
		i++
		return e
	}, func(c string, n *model.HostEvent) *model.HostEventEdge {
		return &model.HostEventEdge{Cursor: c, Node: n}
	})
	return &model.HostEventConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func domainUser(domain, user *string) *string {
	if user == nil || *user == "-" {
		return nil
	}
	if domain == nil || *domain == "-" {
		return user
	}
	s := *domain + `\` + *user
	return &s
}

// Sysmon for Linux writes its event as XML in the Syslog message.
var sysmonData = regexp.MustCompile(`<Data Name="(Image|CommandLine|ParentImage|User)">([^<]*)</Data>`)

func hostEventFromRow(r row, os model.OsFamily, span model.Span) *model.HostEvent {
	e := &model.HostEvent{Time: timep(r, "TimeGenerated"), Os: os, Host: hostRef(str(r, "Computer"), span), Columns: columns(r)}
	if os == model.OsFamilyWindows {
		e.EventID = intp(r, "EventID")
		e.Activity = str(r, "Activity")
		e.Account = accountRef(firstNonNil(domainUser(str(r, "SubjectDomainName"), str(r, "SubjectUserName")), str(r, "Account")), span)
		e.TargetAccount = accountRef(domainUser(str(r, "TargetDomainName"), str(r, "TargetUserName")), span)
		e.ProcessName = firstNonNil(str(r, "NewProcessName"), str(r, "ProcessName"))
		e.CommandLine = str(r, "CommandLine")
		e.ParentProcessName = str(r, "ParentProcessName")
		return e
	}
	e.Activity = str(r, "ProcessName")
	e.Message = str(r, "SyslogMessage")
	if strings.EqualFold(strOr(r, "ProcessName", ""), "sysmon") {
		one := 1
		e.EventID = &one
		for _, m := range sysmonData.FindAllStringSubmatch(strOr(r, "SyslogMessage", ""), -1) {
			v := m[2]
			switch m[1] {
			case "Image":
				e.ProcessName = &v
			case "CommandLine":
				e.CommandLine = &v
			case "ParentImage":
				e.ParentProcessName = &v
			case "User":
				e.Account = accountRef(&v, span)
			}
		}
	}
	return e
}

func hostEventSummary(ctx context.Context, h *model.Host) ([]*model.EventSummary, error) {
	results, errs := parallel(ctx, []*facets.Facet{facets.HostWindowsEventSummary, facets.HostLinuxEventSummary}, spanQuery(h.Span), h.Name)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	out := []*model.EventSummary{}
	for i, rs := range results {
		for _, r := range rs {
			s := &model.EventSummary{Os: osFamilies[i], Count: intCol(r, "Count"), FirstSeen: timep(r, "FirstSeen"), LastSeen: timep(r, "LastSeen")}
			if i == 0 {
				s.EventID, s.Channel, s.Activity = intp(r, "EventID"), str(r, "Channel"), str(r, "Activity")
			} else {
				s.Facility, s.Severity, s.Process = str(r, "Facility"), str(r, "SeverityLevel"), str(r, "ProcessName")
			}
			out = append(out, s)
		}
	}
	return out, nil
}
