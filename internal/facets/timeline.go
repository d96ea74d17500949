package facets

// timelineOf derives a timeline facet from an entity facet: the same rows,
// counted per time bucket.
func timelineOf(f *Facet) *Facet {
	return &Facet{
		Name:    f.Name + ".timeline",
		Source:  f.Source,
		Table:   f.Table,
		Time:    f.Time,
		Keys:    f.Keys,
		Extend:  append(append([]Named{}, f.Extend...), Named{"Bucket", TimeBucket()}),
		Where:   f.Where,
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Bucket"}, Limit: 5000}, // the most buckets a timeline allows
	}
}

func timelines(fs ...*Facet) []*Facet {
	out := make([]*Facet, len(fs))
	for i, f := range fs {
		out[i] = timelineOf(f)
	}
	return out
}

// Timeline facets per entity: event counts per source per bucket, and the
// first and last event across sources.
var (
	IPTimeline = timelines(IPSignins, IPAzureActivity, IPOfficeActivity, IPAlerts, IPCommonSecurityLog,
		IPWindowsLogons, IPLinuxLogons, IPNetflows, IPDnsQueries, IPNetworkConnections, IPBookmarks,
		IPNonInteractiveSignins, IPIdentityLogons, IPDeviceLogons)
	AccountTimeline = timelines(AccountSignins, AccountAzureActivity, AccountOfficeActivity, AccountAlerts,
		AccountWindowsLogons, AccountLinuxLogons, AccountBookmarks,
		AccountNonInteractiveSignins, AccountIdentityLogons, AccountDeviceLogons)
	HostTimeline = timelines(HostWindowsEventSummary, HostLinuxEventSummary, HostAlerts, HostNetflows,
		HostNetworkConnections, HostBookmarks, HostIdentityLogons, HostDeviceLogons)
)
