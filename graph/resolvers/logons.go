package resolvers

import (
	"context"

	"entitygraph/graph/model"
	"entitygraph/internal/facets"
)

// Connections of the logon tables several entities read.

func signinConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.SigninConnection, error) {
	rows, offset, total, err := loadPage(ctx, f, span, key, first, after)
	if err != nil {
		return nil, err
	}
	nodes, edges, pi := connection(rows, offset, total, func(rw row) *model.Signin { return signinFromRow(rw, span) },
		func(c string, n *model.Signin) *model.SigninEdge { return &model.SigninEdge{Cursor: c, Node: n} })
	return &model.SigninConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func identityLogonConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.IdentityLogonConnection, error) {
	rows, offset, total, err := loadPage(ctx, f, span, key, first, after)
	if err != nil {
		return nil, err
	}
	nodes, edges, pi := connection(rows, offset, total, func(rw row) *model.IdentityLogon { return identityLogonFromRow(rw, span) },
		func(c string, n *model.IdentityLogon) *model.IdentityLogonEdge {
			return &model.IdentityLogonEdge{Cursor: c, Node: n}
		})
	return &model.IdentityLogonConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func deviceLogonConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.DeviceLogonConnection, error) {
	rows, offset, total, err := loadPage(ctx, f, span, key, first, after)
	if err != nil {
		return nil, err
	}
	nodes, edges, pi := connection(rows, offset, total, func(rw row) *model.DeviceLogon { return deviceLogonFromRow(rw, span) },
		func(c string, n *model.DeviceLogon) *model.DeviceLogonEdge {
			return &model.DeviceLogonEdge{Cursor: c, Node: n}
		})
	return &model.DeviceLogonConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func identityLogonFromRow(r row, span model.Span) *model.IdentityLogon {
	account := str(r, "AccountUpn")
	if account == nil {
		account = domainUser(str(r, "AccountDomain"), str(r, "AccountName"))
	}
	return &model.IdentityLogon{
		Time: timep(r, "TimeGenerated"), ActionType: str(r, "ActionType"), Application: str(r, "Application"),
		LogonType: str(r, "LogonType"), Protocol: str(r, "Protocol"), Account: accountRef(account, span),
		IPAddress: ipRef(str(r, "IPAddress"), span), Host: hostRef(str(r, "DeviceName"), span),
		DestinationHost: hostRef(str(r, "DestinationDeviceName"), span), DestinationIPAddress: ipRef(str(r, "DestinationIPAddress"), span),
		FailureReason: str(r, "FailureReason"), Columns: columns(r),
	}
}

func deviceLogonFromRow(r row, span model.Span) *model.DeviceLogon {
	return &model.DeviceLogon{
		Time: timep(r, "TimeGenerated"), ActionType: str(r, "ActionType"), LogonType: str(r, "LogonType"), Protocol: str(r, "Protocol"),
		Host: hostRef(str(r, "DeviceName"), span), Account: accountRef(domainUser(str(r, "AccountDomain"), str(r, "AccountName")), span),
		RemoteIP: ipRef(str(r, "RemoteIP"), span), RemoteDeviceName: str(r, "RemoteDeviceName"), IsLocalAdmin: boolp(r, "IsLocalAdmin"),
		FailureReason: str(r, "FailureReason"), Columns: columns(r),
	}
}
