// The investigation pages: each panel asks /graphql for exactly what it
// shows. No framework; every text reaches the page through textContent.
"use strict";
(function () {
  const PAGE = 20;

  // ---- DOM helpers -------------------------------------------------------
  function el(tag, props, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === "class") n.className = v;
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids.flat(Infinity)) {
      if (c == null || c === false) continue;
      n.append(c instanceof Node ? c : String(c));
    }
    return n;
  }
  const SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...kids) {
    const n = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) n.setAttribute(k, v);
    for (const c of kids.flat()) if (c != null) n.append(c instanceof Node ? c : String(c));
    return n;
  }
  const fmtTime = (t) => (t ? new Date(t).toISOString().replace("T", " ").slice(0, 19) : "");
  const main = () => document.getElementById("main");

  // ---- route and timespan ---------------------------------------------
  function parseRoute() {
    const parts = location.pathname.split("/").filter(Boolean);
    const kind = parts[1] || "alerts";
    const key = parts.length > 2 ? decodeURIComponent(parts.slice(2).join("/")) : "";
    const p = new URLSearchParams(location.search);
    const span = p.get("start") && p.get("end") ? { start: p.get("start"), end: p.get("end") } : { last: p.get("last") || "2d" };
    return { kind, key, span };
  }
  const route = parseRoute();
  function spanSearch(span) {
    const p = new URLSearchParams();
    if (span.start) { p.set("start", span.start); p.set("end", span.end); } else p.set("last", span.last);
    return "?" + p.toString();
  }
  function href(kind, key, span) {
    return "/explore/" + kind + (key != null ? "/" + encodeURIComponent(key) : "") + spanSearch(span || route.span);
  }
  function spanHours(span) {
    if (span.start) return (new Date(span.end) - new Date(span.start)) / 3600e3;
    const m = /^(\d+)([mhdw])$/.exec(span.last) || [0, 48, "h"];
    return Number(m[1]) * { m: 1 / 60, h: 1, d: 24, w: 168 }[m[2]];
  }
  function bucketFor(span) {
    const h = spanHours(span);
    return h <= 6 ? "15m" : h <= 48 ? "1h" : h <= 24 * 7 ? "6h" : "1d";
  }

  // ---- GraphQL ---------------------------------------------------------
  async function gql(query, variables) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const auth = sessionStorage.getItem("eg.auth");
    if (auth) headers.Authorization = auth;
    const ws = sessionStorage.getItem("eg.ws");
    if (ws) headers["X-Entitygraph-Workspaces"] = ws;
    const r = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables, extensions: { trace: true } }) });
    let body;
    try { body = await r.json(); } catch (e) { throw new Error("HTTP " + r.status); }
    const errors = body.errors || [];
    if (!body.data) {
      const e = new Error(errors.length ? describe(errors[0]) : "HTTP " + r.status);
      e.gql = errors;
      throw e;
    }
    return { data: body.data, errors, trace: (body.extensions && body.extensions.trace) || [] };
  }
  // describe says what an error means to the analyst.
  function describe(err) {
    const x = err.extensions || {};
    switch (x.code) {
      case "TABLE_UNAVAILABLE": return "This workspace has no " + (x.table || "such") + " table.";
      case "RATE_LIMITED": return "Rate-limited" + (x.retryAfter ? ": retry in " + x.retryAfter + " s." : ".");
      case "UNAUTHENTICATED": return "Sign-in needed: set the Authorization header (⚙).";
      case "FORBIDDEN": return "Not allowed to read " + (x.workspace || "this workspace") + ".";
      case "TIMEOUT": return "The source timed out" + (x.source ? " (" + x.source + ")" : "") + ".";
      case "AMBIGUOUS_NAME": return err.message;
      default: return (x.code ? x.code + ": " : "") + err.message;
    }
  }
  const get = (o, path) => path.split(".").reduce((v, k) => (v == null ? v : v[k]), o);

  // ---- links and cells ---------------------------------------------------
  const ipLink = (a) => (a ? el("a", { href: href("ip", a) }, a) : "");
  const accountLink = (n) => (n ? el("a", { href: href("account", n) }, n) : "");
  const hostLink = (n) => (n ? el("a", { href: href("host", n) }, n) : "");
  const alertLink = (id, name) => el("a", { href: href("alert", id) }, name || id);
  const sev = (s) => el("span", { class: "sev-" + (s || "") }, s || "");
  const chips = (xs) => (xs || []).map((x) => el("span", { class: "chip" }, x));

  // ---- panels ------------------------------------------------------------
  // panel renders one facet: its own query, a table, paging, the
  // statements the server ran (KQL on Sentinel), and its own states.
  function panel(spec) {
    const body = el("div", { class: "table-wrap" }, el("p", { class: "muted" }, "Loading…"));
    const count = el("span", { class: "count" });
    const kql = el("pre", { class: "kql", hidden: true });
    const pager = el("div", { class: "pager" });
    const toggle = el("button", { type: "button", "aria-expanded": "false", onclick: () => {
      kql.hidden = !kql.hidden;
      toggle.setAttribute("aria-expanded", String(!kql.hidden));
    } }, "KQL");
    const card = el("section", { class: "card" + (spec.wide ? " wide" : ""), "data-panel": spec.id },
      el("header", {}, el("h2", {}, spec.title), count, el("div", { class: "tools" }, toggle)), body, pager, kql);
    let cursors = [null];
    async function load(i) {
      body.replaceChildren(el("p", { class: "muted" }, "Loading…"));
      pager.replaceChildren();
      try {
        const paging = spec.query.includes("$first") ? { first: PAGE, after: cursors[i] } : {};
        const r = await gql(spec.query, Object.assign(paging, spec.vars));
        const statements = r.trace.filter((c) => c.statement).map((c) => "// " + c.facet + (c.cached ? " (cached)" : "") + "\n" + c.statement);
        kql.textContent = statements.length ? statements.join("\n\n") : "Answered from the cache: no statement ran.";
        const own = r.errors.filter((e) => !spec.ignore || !spec.ignore(e));
        const res = spec.rows(r.data);
        if (res == null) {
          body.replaceChildren(el("p", { class: "error" }, own.length ? own.map(describe).join(" ") : "Nothing known."));
          return;
        }
        const rows = res.rows || res;
        count.textContent = res.total != null ? res.total + " in all" : rows.length + "";
        const notes = [];
        if (spec.note) notes.push(el("p", { class: "note" }, spec.note(r.data)));
        for (const e of own) notes.push(el("p", { class: "error" }, describe(e)));
        if (!rows.length) {
          body.replaceChildren(...notes, el("p", { class: "muted empty" }, "None in this timespan."));
          return;
        }
        const table = el("table", {},
          el("thead", {}, el("tr", {}, spec.columns.map((c) => el("th", { scope: "col" }, c[0])))),
          el("tbody", {}, rows.map((row) => el("tr", {}, spec.columns.map((c) => el("td", {}, c[1](row)))))));
        body.replaceChildren(...notes, table);
        if (res.pageInfo && (res.pageInfo.hasNextPage || i > 0)) {
          if (i > 0) pager.append(el("button", { type: "button", onclick: () => load(i - 1) }, "Previous page"));
          if (res.pageInfo.hasNextPage) {
            cursors[i + 1] = res.pageInfo.endCursor;
            pager.append(el("button", { type: "button", onclick: () => load(i + 1) }, "Next page"));
          }
          pager.append(el("span", { class: "muted" }, "page " + (i + 1)));
        }
      } catch (e) {
        body.replaceChildren(el("p", { class: "error" }, e.message));
      }
    }
    load(0);
    return card;
  }
  const conn = (c) => (c == null ? null : { rows: c.nodes, total: c.totalCount, pageInfo: c.pageInfo });
  const PI = "totalCount pageInfo { hasNextPage endCursor }";

  // Facet panels per entity: [id, title, selection, rows, columns].
  const alertCols = [["Time", (a) => fmtTime(a.time)], ["Severity", (a) => sev(a.severity)], ["Alert", (a) => alertLink(a.systemAlertId, a.name)], ["Tactics", (a) => chips(a.tactics)]];
  const alertsSel = "alerts(first: $first, after: $after) { " + PI + " nodes { systemAlertId name severity time tactics } }";
  const signinCols = [["Time", (s) => fmtTime(s.time)], ["Account", (s) => accountLink(s.account && s.account.name)], ["App", (s) => s.appDisplayName],
    ["Result", (s) => el("span", { class: s.success ? "" : "fail" }, s.success ? "success" : "failure " + (s.resultType || ""))], ["Country", (s) => s.countryOrRegion]];
  const signinsSel = "signins(first: $first, after: $after) { " + PI + " nodes { time account { name } appDisplayName resultType success countryOrRegion ipAddress } }";
  const officeCols = [["Time", (o) => fmtTime(o.time)], ["Account", (o) => accountLink(o.account && o.account.name)], ["Operation", (o) => o.operation], ["Workload", (o) => o.workload], ["Result", (o) => o.resultStatus], ["Client IP", (o) => o.clientIp]];
  const officeSel = "officeActivity(first: $first, after: $after) { " + PI + " nodes { time account { name } operation workload resultStatus clientIp } }";
  const azureCols = [["Time", (o) => fmtTime(o.time)], ["Caller", (o) => accountLink(o.account && o.account.name)], ["Operation", (o) => o.operationName], ["Status", (o) => o.status], ["IP", (o) => ipLink(o.callerIpAddress)]];
  const azureSel = "azureActivity(first: $first, after: $after) { " + PI + " nodes { time account { name } operationName status callerIpAddress } }";
  const bookmarkCols = [["Time", (b) => fmtTime(b.time)], ["Bookmark", (b) => b.name], ["By", (b) => b.createdBy], ["Notes", (b) => b.notes]];
  const bookmarksSel = "bookmarks(first: $first, after: $after) { " + PI + " nodes { time name createdBy notes } }";
  const logonCols = (withHost, withAccount, withIP) => [
    withHost && ["Host", (l) => hostLink(l.host && l.host.name)], withAccount && ["Account", (l) => accountLink(l.account && l.account.name)],
    withIP && ["Source IP", (l) => ipLink(l.sourceIp && l.sourceIp.address)], ["Type", (l) => l.logonType], ["Result", (l) => el("span", { class: l.result === "FAILURE" ? "fail" : "" }, l.result)],
    ["Count", (l) => l.count], ["Last", (l) => fmtTime(l.lastSeen)]].filter(Boolean);
  const connCols = [["Host", (c) => hostLink(c.host && c.host.name)], ["Remote", (c) => ipLink(c.remoteIp)], ["Port", (c) => c.remotePort], ["URLs", (c) => chips(c.remoteUrls)], ["Process", (c) => c.initiatingProcessFolderPath], ["Count", (c) => c.count]];
  const connSel = "networkConnections { host { name } remoteIp remotePort remoteUrls initiatingProcessFolderPath count }";
  const eventCols = [["Time", (e) => fmtTime(e.time)], ["Event", (e) => e.eventId], ["Account", (e) => accountLink(e.account && e.account.name)], ["What", (e) => e.processName || e.activity], ["Detail", (e) => e.commandLine || e.message]];
  const eventSel = (f) => f + "(first: $first, after: $after) { " + PI + " nodes { time eventId activity account { name } processName commandLine message } }";

  const identityLogonCols = [["Time", (l) => fmtTime(l.time)], ["Result", (l) => el("span", { class: l.actionType === "LogonFailed" ? "fail" : "" }, l.actionType)],
    ["Protocol", (l) => l.protocol], ["Account", (l) => accountLink(l.account && l.account.name)], ["From", (l) => [hostLink(l.host && l.host.name), " ", ipLink(l.ipAddress && l.ipAddress.address)]],
    ["To", (l) => hostLink(l.destinationHost && l.destinationHost.name)]];
  const identityLogonsSel = "identityLogons(first: $first, after: $after) { " + PI + " nodes { time actionType protocol account { name } host { name } ipAddress { address } destinationHost { name } } }";
  const deviceLogonCols = [["Time", (l) => fmtTime(l.time)], ["Result", (l) => el("span", { class: l.actionType === "LogonFailed" ? "fail" : "" }, l.actionType)],
    ["Type", (l) => l.logonType], ["Host", (l) => hostLink(l.host && l.host.name)], ["Account", (l) => accountLink(l.account && l.account.name)], ["From", (l) => ipLink(l.remoteIp && l.remoteIp.address)]];
  const deviceLogonsSel = "deviceLogons(first: $first, after: $after) { " + PI + " nodes { time actionType logonType host { name } account { name } remoteIp { address } } }";
  const nonInteractiveSel = "nonInteractiveSignins(first: $first, after: $after) { " + PI + " nodes { time account { name } appDisplayName resultType success countryOrRegion ipAddress } }";

  const panels = {
    ip: [
      ["alerts", "Alerts", alertsSel, (d) => conn(d.alerts), alertCols],
      ["signins", "Sign-ins", signinsSel + " relatedAccounts { source failures }", (d) => conn(d.signins), signinCols,
        (d) => { const f = (d.relatedAccounts || []).filter((r) => r.source === "SIGNIN_LOGS").reduce((n, r) => n + r.failures, 0); return f + " failures in all"; }],
      ["nonInteractive", "Non-interactive sign-ins", nonInteractiveSel, (d) => conn(d.nonInteractiveSignins), signinCols],
      ["relatedAccounts", "Related accounts", "relatedAccounts { account { name } source details count failures lastSeen }", (d) => d.relatedAccounts,
        [["Account", (r) => accountLink(r.account.name)], ["Source", (r) => r.source], ["Count", (r) => r.count], ["Failures", (r) => r.failures], ["Details", (r) => chips(r.details.slice(0, 4))], ["Last", (r) => fmtTime(r.lastSeen)]]],
      ["hostLogons", "Host logons", "hostLogons { host { name } account { name } os logonType result count lastSeen }", (d) => d.hostLogons, logonCols(true, true, false)],
      ["identityLogons", "Identity logons (MDI)", identityLogonsSel, (d) => conn(d.identityLogons), identityLogonCols],
      ["deviceLogons", "Device logons (MDE)", deviceLogonsSel, (d) => conn(d.deviceLogons), deviceLogonCols],
      ["hosts", "Hosts owning the address", "hosts { host { name } source sourceId lastSeen }", (d) => d.hosts,
        [["Host", (h) => hostLink(h.host.name)], ["Source", (h) => h.source], ["Last", (h) => fmtTime(h.lastSeen)]]],
      ["officeActivity", "Office activity", officeSel, (d) => conn(d.officeActivity), officeCols],
      ["azureActivity", "Azure activity", azureSel, (d) => conn(d.azureActivity), azureCols],
      ["netflows", "Network flows", "netflowSummary { l7Protocol direction flowRecords allowedInFlows allowedOutFlows deniedInFlows externalIps }", (d) => d.netflowSummary,
        [["Protocol", (f) => f.l7Protocol], ["Direction", (f) => f.direction], ["Flows", (f) => f.flowRecords], ["Allowed in/out", (f) => f.allowedInFlows + " / " + f.allowedOutFlows], ["Denied in", (f) => f.deniedInFlows], ["External IPs", (f) => f.externalIps.map((a) => [ipLink(a), " "])]]],
      ["networkConnections", "Device connections (MDE)", connSel, (d) => d.networkConnections, connCols],
      ["dns", "DNS", "dnsQueries(first: $first, after: $after) { " + PI + " nodes { time name clientIp ipAddresses computer } }", (d) => conn(d.dnsQueries),
        [["Time", (q) => fmtTime(q.time)], ["Name", (q) => q.name], ["Client", (q) => ipLink(q.clientIp)], ["Answers", (q) => chips(q.ipAddresses)], ["Computer", (q) => q.computer]]],
      ["bookmarks", "Bookmarks", bookmarksSel, (d) => conn(d.bookmarks), bookmarkCols],
    ],
    account: [
      ["alerts", "Alerts", alertsSel, (d) => conn(d.alerts), alertCols],
      ["signins", "Sign-ins", signinsSel, (d) => conn(d.signins), signinCols.concat([["IP", (s) => ipLink(s.ipAddress)]])],
      ["nonInteractive", "Non-interactive sign-ins", nonInteractiveSel, (d) => conn(d.nonInteractiveSignins), signinCols.concat([["IP", (x) => ipLink(x.ipAddress)]])],
      ["identityLogons", "Identity logons (MDI)", identityLogonsSel, (d) => conn(d.identityLogons), identityLogonCols],
      ["deviceLogons", "Device logons (MDE)", deviceLogonsSel, (d) => conn(d.deviceLogons), deviceLogonCols],
      ["hosts", "Hosts", "hosts { host { name } os count failures lastSeen }", (d) => d.hosts,
        [["Host", (h) => hostLink(h.host.name)], ["OS", (h) => h.os], ["Logons", (h) => h.count], ["Failures", (h) => h.failures], ["Last", (h) => fmtTime(h.lastSeen)]]],
      ["hostLogons", "Host logons", "hostLogons { host { name } sourceIp { address } logonType result count lastSeen }", (d) => d.hostLogons, logonCols(true, false, true)],
      ["ipAddresses", "IP addresses", "ipAddresses { ipAddress { address } source count failures lastSeen }", (d) => d.ipAddresses,
        [["IP", (i) => ipLink(i.ipAddress.address)], ["Source", (i) => i.source], ["Count", (i) => i.count], ["Failures", (i) => i.failures], ["Last", (i) => fmtTime(i.lastSeen)]]],
      ["activity", "Cloud activity", "activitySummary { source operation app ipAddress { address } result count failures }", (d) => d.activitySummary,
        [["Source", (a) => a.source], ["Operation", (a) => a.operation], ["App", (a) => a.app], ["IP", (a) => ipLink(a.ipAddress && a.ipAddress.address)], ["Result", (a) => a.result], ["Count", (a) => a.count]]],
      ["officeActivity", "Office activity", officeSel, (d) => conn(d.officeActivity), officeCols],
      ["azureActivity", "Azure activity", azureSel, (d) => conn(d.azureActivity), azureCols],
      ["bookmarks", "Bookmarks", bookmarksSel, (d) => conn(d.bookmarks), bookmarkCols],
    ],
    host: [
      ["alerts", "Alerts", alertsSel, (d) => conn(d.alerts), alertCols],
      ["logons", "Logons", "logons { account { name } sourceIp { address } logonType result count lastSeen }", (d) => d.logons, logonCols(false, true, true)],
      ["identityLogons", "Identity logons (MDI)", identityLogonsSel, (d) => conn(d.identityLogons), identityLogonCols],
      ["deviceLogons", "Device logons (MDE)", deviceLogonsSel, (d) => conn(d.deviceLogons), deviceLogonCols],
      ["processes", "Processes", eventSel("processes"), (d) => conn(d.processes), eventCols],
      ["scheduledTasks", "Scheduled tasks", eventSel("scheduledTasks"), (d) => conn(d.scheduledTasks), eventCols],
      ["accountChanges", "Account changes", eventSel("accountChanges"), (d) => conn(d.accountChanges), eventCols],
      ["notableEvents", "Notable events", eventSel("notableEvents"), (d) => conn(d.notableEvents), eventCols],
      ["networkConnections", "Device connections (MDE)", connSel, (d) => d.networkConnections, connCols],
      ["bookmarks", "Bookmarks", bookmarksSel, (d) => conn(d.bookmarks), bookmarkCols],
    ],
  };
  const roots = {
    ip: ["ipAddress(address: $k, timespan: $ts)", "ipAddress"],
    account: ["account(name: $k, timespan: $ts)", "account"],
    host: ["host(name: $k, timespan: $ts)", "host"],
  };
  function entityPanels(kind, key) {
    const [root, field] = roots[kind];
    return panels[kind].map(([id, title, sel, rows, columns, note]) => panel({
      id, title, columns, vars: { k: key, ts: route.span },
      query: "query Panel($k: String!, $ts: TimeSpanInput" + (sel.includes("$first") ? ", $first: Int, $after: String" : "") + ") { e: " + root + " { " + sel + " } }",
      rows: (d) => (d.e == null ? null : rows(d.e)),
      note: note && ((d) => note(d.e)),
      // An entity's other panels report its own missing tables; this one
      // only says what concerns it.
      ignore: (e) => e.path && e.path.length > 1 && !sel.includes(e.path[1]),
    }));
  }

  // ---- header cards ------------------------------------------------------
  function facts(pairs) {
    return el("dl", { class: "facts" }, pairs.filter((p) => p[1] != null && p[1] !== "" && !(Array.isArray(p[1]) && !p[1].length)).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }
  function aliasList(aliases) {
    return (aliases || []).map((a) => el("span", { class: "chip", title: a.sources.join(", ") }, a.kind.toLowerCase().replace(/_/g, " ") + ": " + a.value));
  }
  function tiBadges(key) {
    const box = el("div", { class: "ti" }, el("span", { class: "muted" }, "Threat intelligence…"));
    gql("query TI($k: String!) { ipAddress(address: $k) { threatIntel { verdict results { provider verdict status summary retryAfter } } } }", { k: key })
      .then((r) => {
        const ti = get(r.data, "ipAddress.threatIntel");
        if (!ti) { box.replaceChildren(el("span", { class: "error" }, r.errors.map(describe).join(" ") || "no verdict")); return; }
        const off = ti.results.filter((x) => x.status === "DISABLED");
        box.replaceChildren(el("span", { class: "verdict v-" + ti.verdict, title: "worst verdict" }, ti.verdict), " ",
          ...ti.results.filter((x) => x.status !== "DISABLED").map((x) => el("span", { class: "chip", title: (x.summary || "") + (x.retryAfter ? " retry in " + x.retryAfter + " s" : "") },
            x.provider + ": " + (x.status === "OK" ? x.verdict : x.status.toLowerCase().replace(/_/g, " ") + (x.retryAfter ? " (retry in " + x.retryAfter + " s)" : "")))),
          ...(off.length ? [el("span", { class: "chip muted", title: off.map((x) => x.provider).join(", ") }, off.length + " providers not configured")] : []));
      })
      .catch((e) => box.replaceChildren(el("span", { class: "error" }, e.message)));
    return box;
  }
  const headQueries = {
    ip: "address version type origin firstSeen lastSeen timespan { start end } geo { countryCode countryName city latitude longitude source } whois { asn asName cidr }",
    account: "name upn displayName domainUser sources ambiguous candidates { name } aliases { kind value sources } firstSeen lastSeen timespan { start end }",
    host: "name fqdn osFamily osVersion environment aliases { kind value sources } ipAddresses { ipAddress { address } source } firstSeen lastSeen timespan { start end }",
  };
  function headCard(kind, e, key) {
    const title = { ip: "IP address", account: "Account", host: "Host" }[kind];
    const card = el("section", { class: "card wide", "data-panel": "header" });
    if (kind === "ip") {
      card.append(el("div", { class: "head" },
        el("div", {}, el("div", { class: "muted" }, title), el("h1", {}, e.address), tiBadges(key),
          facts([["Type", e.type + " · IPv" + e.version], ["Origin", e.origin], ["Country", e.geo && [e.geo.countryName, e.geo.city].filter(Boolean).join(", ")],
            ["ASN", e.whois && e.whois.asn ? "AS" + e.whois.asn + " " + (e.whois.asName || "") + " " + (e.whois.cidr || "") : null],
            ["First seen", fmtTime(e.firstSeen)], ["Last seen", fmtTime(e.lastSeen)]])),
        el("div", { class: "map", style: null, id: "map-box" })));
    } else if (kind === "account") {
      card.append(...[el("div", { class: "muted" }, title), el("h1", {}, e.name),
        e.ambiguous ? el("p", { class: "error" }, "This name belongs to several people: ", e.candidates.map((c) => [accountLink(c.name), " "])) : null,
        facts([["Display name", e.displayName], ["UPN", e.upn], ["Windows", e.domainUser], ["Sources", chips(e.sources)], ["Aliases", aliasList(e.aliases)],
          ["First seen", fmtTime(e.firstSeen)], ["Last seen", fmtTime(e.lastSeen)]])].filter(Boolean));
    } else {
      card.append(el("div", { class: "muted" }, title), el("h1", {}, e.name),
        facts([["FQDN", e.fqdn], ["OS", [e.osFamily, e.osVersion].filter(Boolean).join(" ")], ["Environment", e.environment],
          ["Addresses", (e.ipAddresses || []).map((i) => [ipLink(i.ipAddress.address), " "])], ["Aliases", aliasList(e.aliases)],
          ["First seen", fmtTime(e.firstSeen)], ["Last seen", fmtTime(e.lastSeen)]]));
    }
    return card;
  }

  // ---- timeline ----------------------------------------------------------
  const palette = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f", "#bab0ac", "#e15759"];
  function timelineCard(kind, key, span) {
    const box = el("div", { class: "timeline" }, el("p", { class: "muted" }, "Loading…"));
    const card = el("section", { class: "card wide", "data-panel": "timeline" },
      el("header", {}, el("h2", {}, "Timeline"), el("span", { class: "count" }, "drag across the chart to narrow the timespan")), box);
    const [root] = roots[kind];
    gql("query Timeline($k: String!, $ts: TimeSpanInput, $b: String) { e: " + root + " { timespan { start end } timeline(bucket: $b) { bucket points { time source count } } alerts(first: 100) { nodes { time name severity } } } }",
      { k: key, ts: span, b: bucketFor(span) })
      .then((r) => {
        if (!r.data.e || !r.data.e.timeline) { box.replaceChildren(el("p", { class: "error" }, r.errors.map(describe).join(" ") || "No timeline.")); return; }
        drawTimeline(box, r.data.e);
      })
      .catch((e) => box.replaceChildren(el("p", { class: "error" }, e.message)));
    return card;
  }
  function drawTimeline(box, e) {
    const W = 1000, H = 150, L = 36, B = 20;
    const t0 = new Date(e.timespan.start).getTime(), t1 = new Date(e.timespan.end).getTime();
    const pts = e.timeline.points;
    const m = /^(\d+)([mhd])$/.exec(e.timeline.bucket) || [0, 1, "h"];
    const width = Number(m[1]) * { m: 60e3, h: 3600e3, d: 864e5 }[m[2]];
    const sources = [...new Set(pts.map((p) => p.source))].sort();
    const byBucket = new Map();
    for (const p of pts) {
      const t = new Date(p.time).getTime();
      if (!byBucket.has(t)) byBucket.set(t, {});
      byBucket.get(t)[p.source] = p.count;
    }
    let max = 1;
    for (const v of byBucket.values()) max = Math.max(max, Object.values(v).reduce((a, b) => a + b, 0));
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - 4);
    const y = (n) => H - B - (n / max) * (H - B - 8);
    const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none", role: "img", "aria-label": "Events per source over time" });
    chart.append(svg("line", { x1: L, x2: W, y1: H - B, y2: H - B, stroke: "currentColor", opacity: 0.3 }));
    chart.append(svg("text", { x: 2, y: 12 }, String(max)), svg("text", { x: L, y: H - 4 }, fmtTime(e.timespan.start).slice(5, 16)),
      svg("text", { x: W - 4, y: H - 4, "text-anchor": "end" }, fmtTime(e.timespan.end).slice(5, 16)));
    for (const [t, counts] of byBucket) {
      let acc = 0;
      const bw = Math.max(1, x(t + width) - x(t) - 1);
      sources.forEach((s, i) => {
        const n = counts[s] || 0;
        if (!n) return;
        chart.append(svg("rect", { x: x(t), y: y(acc + n), width: bw, height: y(acc) - y(acc + n), fill: palette[i % palette.length] },
          svg("title", {}, s + ": " + n + " at " + fmtTime(new Date(t).toISOString()))));
        acc += n;
      });
    }
    for (const a of (e.alerts && e.alerts.nodes) || []) {
      const ax = x(new Date(a.time).getTime());
      chart.append(svg("line", { x1: ax, x2: ax, y1: 4, y2: H - B, stroke: "#e15759", "stroke-width": 2, "class": "alert-mark" }, svg("title", {}, "Alert: " + a.name)));
    }
    // Brush: drag to narrow the page's timespan.
    const sel = svg("rect", { y: 0, height: H - B, fill: "currentColor", opacity: 0.15, width: 0, x: 0 });
    chart.append(sel);
    let from = null;
    const toX = (ev) => { const r = chart.getBoundingClientRect(); return ((ev.clientX - r.left) / r.width) * W; };
    chart.addEventListener("pointerdown", (ev) => { from = toX(ev); chart.setPointerCapture(ev.pointerId); sel.setAttribute("x", from); sel.setAttribute("width", 0); });
    chart.addEventListener("pointermove", (ev) => { if (from == null) return; const to = toX(ev); sel.setAttribute("x", Math.min(from, to)); sel.setAttribute("width", Math.abs(to - from)); });
    chart.addEventListener("pointerup", (ev) => {
      if (from == null) return;
      const to = toX(ev), a = Math.min(from, to), b = Math.max(from, to);
      from = null;
      if (b - a < 6) { sel.setAttribute("width", 0); return; }
      const tt = (px) => new Date(t0 + ((Math.max(L, Math.min(W, px)) - L) / (W - L - 4)) * (t1 - t0));
      const start = tt(a), end = tt(b);
      start.setUTCSeconds(0, 0); end.setUTCSeconds(0, 0); end.setUTCMinutes(end.getUTCMinutes() + 1);
      location.assign(location.pathname + spanSearch({ start: start.toISOString().replace(".000", ""), end: end.toISOString().replace(".000", "") }));
    });
    const legend = el("div", { class: "legend" }, sources.map((s, i) => el("span", {}, el("i", { style: "background:" + palette[i % palette.length] }), s)),
      (e.alerts && e.alerts.nodes.length) ? el("span", {}, el("i", { style: "background:#e15759" }), "alert") : null);
    box.replaceChildren(chart, legend);
  }

  // ---- map ---------------------------------------------------------------
  const countryAliases = { "United States": "United States of America", "Czech Republic": "Czechia", "Russian Federation": "Russia",
    "South Korea": "South Korea", "Bosnia and Herzegovina": "Bosnia and Herz.", "Dominican Republic": "Dominican Rep.", "Central African Republic": "Central African Rep." };
  function drawMap(box, geoInfo) {
    if (!geoInfo || (!geoInfo.countryName && geoInfo.latitude == null) || !window.d3 || !window.topojson) {
      box.replaceChildren(el("p", { class: "muted" }, "No location for this address."));
      return;
    }
    fetch("/explore/static/vendor/countries-110m.json").then((r) => r.json()).then((world) => {
      const countries = topojson.feature(world, world.objects.countries);
      const W = 420, H = 220;
      const proj = d3.geoNaturalEarth1().fitSize([W, H], countries);
      const path = d3.geoPath(proj);
      const want = (countryAliases[geoInfo.countryName] || geoInfo.countryName || "").toLowerCase();
      const map = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Map: " + (geoInfo.countryName || "") });
      let found = false;
      for (const f of countries.features) {
        const here = (f.properties.name || "").toLowerCase() === want;
        found = found || here;
        map.append(svg("path", { d: path(f), class: here ? "land here" : "land" }, svg("title", {}, f.properties.name)));
      }
      if (geoInfo.latitude != null && geoInfo.longitude != null) {
        const [cx, cy] = proj([geoInfo.longitude, geoInfo.latitude]);
        map.append(svg("circle", { cx, cy, r: 4 }));
      }
      box.replaceChildren(map, el("div", { class: "muted" }, (found ? "" : "(country not on the map) ") + (geoInfo.source || "")));
    }).catch((e) => box.replaceChildren(el("p", { class: "error" }, "map: " + e.message)));
  }

  // ---- pivot graph ---------------------------------------------------------
  const neighbourQueries = {
    ip: "ipAddress(address: $k, timespan: $ts) { relatedAccounts { account { name } } hosts { host { name } } hostLogons { host { name } account { name } } }",
    account: "account(name: $k, timespan: $ts) { hosts { host { name } } ipAddresses { ipAddress { address } } }",
    host: "host(name: $k, timespan: $ts) { logons { account { name } sourceIp { address } } ipAddresses { ipAddress { address } } }",
  };
  function neighbours(kind, e) {
    const out = [];
    const add = (k, v, label) => { if (v) out.push([k, v, label]); };
    if (kind === "ip") {
      (e.relatedAccounts || []).forEach((r) => add("account", r.account.name, "used"));
      (e.hosts || []).forEach((h) => add("host", h.host.name, "owns"));
      (e.hostLogons || []).forEach((l) => { add("host", l.host.name, "logon"); add("account", l.account.name, "logon"); });
    } else if (kind === "account") {
      (e.hosts || []).forEach((h) => add("host", h.host.name, "logon"));
      (e.ipAddresses || []).forEach((i) => add("ip", i.ipAddress.address, "from"));
    } else if (kind === "host") {
      (e.logons || []).forEach((l) => { add("account", l.account.name, "logon"); if (l.sourceIp) add("ip", l.sourceIp.address, "from"); });
      (e.ipAddresses || []).forEach((i) => add("ip", i.ipAddress.address, "has"));
    }
    return out;
  }
  function graphCard(kind, key) {
    const box = el("div", { id: "graph", role: "img", "aria-label": "Pivot graph: tap a node to expand it, double-tap to open it" });
    const status = el("span", { class: "count" }, "tap a node to expand it, double-tap to open its page");
    const card = el("section", { class: "card wide", "data-panel": "graph" }, el("header", {}, el("h2", {}, "Pivot graph"), status), box);
    if (!window.cytoscape || !neighbourQueries[kind]) return card;
    const colors = { ip: "#4e79a7", account: "#f28e2b", host: "#59a14f" };
    let cy = null;
    const expanded = new Set();
    const nodeId = (k, v) => k + ":" + v;
    async function expand(k, v) {
      if (expanded.has(nodeId(k, v))) return;
      expanded.add(nodeId(k, v));
      status.textContent = "expanding " + v + "…";
      try {
        const r = await gql("query N($k: String!, $ts: TimeSpanInput) { e: " + neighbourQueries[k] + " }", { k: v, ts: route.span });
        const found = r.data.e ? neighbours(k, r.data.e) : [];
        const els = [];
        for (const [nk, nv, label] of found) {
          if (cy.getElementById(nodeId(nk, nv)).empty()) els.push({ data: { id: nodeId(nk, nv), label: nv, kind: nk } });
          const eid = nodeId(k, v) + ">" + nodeId(nk, nv);
          if (cy.getElementById(eid).empty() && nodeId(k, v) !== nodeId(nk, nv)) els.push({ data: { id: eid, source: nodeId(k, v), target: nodeId(nk, nv), label } });
        }
        cy.add(els);
        cy.layout({ name: "cose", animate: false, randomize: false }).run();
        status.textContent = cy.nodes().length + " entities · tap to expand, double-tap to open";
      } catch (e) {
        status.textContent = e.message;
      }
    }
    setTimeout(() => {
      cy = cytoscape({
        container: box,
        elements: [{ data: { id: nodeId(kind, key), label: key, kind } }],
        style: [
          { selector: "node", style: { label: "data(label)", "font-size": 9, color: getComputedStyle(document.body).color, "background-color": (n) => colors[n.data("kind")] || "#999", width: 14, height: 14 } },
          { selector: "edge", style: { width: 1, "line-color": "#999", "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#999", "arrow-scale": 0.6 } },
        ],
      });
      cy.on("tap", "node", (ev) => expand(ev.target.data("kind"), ev.target.data("label")));
      cy.on("dbltap", "node", (ev) => location.assign(href(ev.target.data("kind"), ev.target.data("label"))));
      window.egGraph = cy; // for tests and the console
      expand(kind, key);
    }, 0);
    return card;
  }

  // ---- pages -------------------------------------------------------------
  async function entityPage(kind, key) {
    document.title = key + " · entitygraph";
    const m = main();
    const [root] = roots[kind];
    let r;
    try {
      r = await gql("query Head($k: String!, $ts: TimeSpanInput) { e: " + root + " { " + headQueries[kind] + " } }", { k: key, ts: route.span });
    } catch (e) {
      m.replaceChildren(el("p", { class: "error" }, e.message));
      return;
    }
    const e = r.data.e;
    if (!e) {
      m.replaceChildren(el("h1", {}, key), el("p", {}, "Nothing in this timespan names this " + kind + ". "),
        ...r.errors.map((x) => el("p", { class: "error" }, describe(x))), el("p", {}, el("a", { href: href(kind, key, { last: "30d" }) }, "Try the last 30 days")));
      return;
    }
    const head = headCard(kind, e, key);
    const grid = el("div", { class: "grid" }, head, timelineCard(kind, key, route.span), ...entityPanels(kind, key), graphCard(kind, key));
    m.replaceChildren(grid);
    const mapBox = document.getElementById("map-box");
    if (mapBox) drawMap(mapBox, e.geo);
  }

  async function alertPage(id) {
    document.title = "Alert · entitygraph";
    const m = main();
    try {
      const r = await gql(`query A($id: ID!, $ts: TimeSpanInput) { alert(id: $id, timespan: $ts) { systemAlertId name severity status time provider product description tactics techniques compromisedEntity
        entities { __typename ... on IpAddress { address } ... on Account { name } ... on Host { name } ... on UrlEntity { url } ... on FileHashEntity { algorithm value } ... on MailboxEntity { address } }
        relatedAlerts(first: 10) { systemAlertId name severity time } } }`, { id, ts: route.span });
      const a = r.data.alert;
      if (!a) { m.replaceChildren(el("h1", {}, "Alert " + id), ...r.errors.map((x) => el("p", { class: "error" }, describe(x)))); return; }
      const entity = (x) => x.__typename === "IpAddress" ? ipLink(x.address) : x.__typename === "Account" ? accountLink(x.name) : x.__typename === "Host" ? hostLink(x.name)
        : el("span", { class: "chip" }, x.__typename.replace(/Entity$/, "") + ": " + (x.url || x.value || x.address || ""));
      m.replaceChildren(el("div", { class: "grid" },
        el("section", { class: "card wide", "data-panel": "header" }, el("div", { class: "muted" }, "Alert"), el("h1", {}, a.name),
          facts([["Severity", sev(a.severity)], ["Status", a.status], ["Time", fmtTime(a.time)], ["Product", [a.provider, a.product].filter(Boolean).join(" · ")],
            ["Compromised", a.compromisedEntity], ["Tactics", chips(a.tactics)], ["Techniques", chips(a.techniques)], ["Description", a.description]])),
        el("section", { class: "card", "data-panel": "entities" }, el("header", {}, el("h2", {}, "Entities")), el("ul", {}, (a.entities || []).map((x) => el("li", {}, entity(x))))),
        el("section", { class: "card", "data-panel": "relatedAlerts" }, el("header", {}, el("h2", {}, "Related alerts")),
          el("ul", {}, (a.relatedAlerts || []).map((x) => el("li", {}, fmtTime(x.time), " ", sev(x.severity), " ", alertLink(x.systemAlertId, x.name)))))));
    } catch (e) {
      m.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  function queuePage() {
    document.title = "Alerts · entitygraph";
    const p = new URLSearchParams(location.search);
    const min = p.get("severity") || "";
    const pick = el("select", { "aria-label": "Minimum severity", onchange: (ev) => {
      const q = new URLSearchParams(location.search);
      if (ev.target.value) q.set("severity", ev.target.value); else q.delete("severity");
      location.assign(location.pathname + "?" + q.toString());
    } }, ["", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH"].map((s) => el("option", { value: s, selected: s === min }, s ? s.toLowerCase() + " and above" : "every severity")));
    const queue = panel({
      id: "queue", title: "Alert queue", wide: true,
      query: "query Q($ts: TimeSpanInput, $first: Int, $after: String, $min: Severity) { alerts(timespan: $ts, first: $first, after: $after, minSeverity: $min) { " + PI + " nodes { systemAlertId name severity status time compromisedEntity } } }",
      vars: { ts: route.span, min: min || null },
      rows: (d) => conn(d.alerts),
      columns: [["Time", (a) => fmtTime(a.time)], ["Severity", (a) => sev(a.severity)], ["Alert", (a) => alertLink(a.systemAlertId, a.name)], ["Status", (a) => a.status], ["Entity", (a) => a.compromisedEntity]],
    });
    main().replaceChildren(el("h1", {}, "Alerts"), el("p", {}, pick), el("div", { class: "grid" }, queue));
  }

  // ---- search --------------------------------------------------------------
  const ipRe = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+)$/i;
  const guidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  async function search(text) {
    const q = text.trim();
    if (!q) return;
    if (ipRe.test(q)) return location.assign(href("ip", q));
    if (q.includes("@") || q.includes("\\")) return location.assign(href("account", q));
    if (guidRe.test(q)) {
      const r = await gql("query S($q: ID!, $n: String!, $ts: TimeSpanInput) { alert(id: $q, timespan: $ts) { systemAlertId } host(name: $n, timespan: $ts) { name } account(name: $n, timespan: $ts) { name } }", { q, n: q, ts: route.span }).catch(() => null);
      const d = r && r.data;
      if (d && d.alert) return location.assign(href("alert", q));
      if (d && d.host) return location.assign(href("host", d.host.name));
      return location.assign(href("account", q));
    }
    // A bare word is a host or an account: ask which the workspace knows.
    const r = await gql("query S($n: String!, $ts: TimeSpanInput) { host(name: $n, timespan: $ts) { name } account(name: $n, timespan: $ts) { name } }", { n: q, ts: route.span }).catch(() => null);
    const d = (r && r.data) || {};
    if (d.host) return location.assign(href("host", d.host.name));
    return location.assign(href("account", q));
  }

  // ---- chrome --------------------------------------------------------------
  function setup() {
    const saved = localStorage.getItem("eg.theme");
    if (saved) document.documentElement.dataset.theme = saved;
    document.getElementById("theme").addEventListener("click", () => {
      const dark = document.documentElement.dataset.theme === "dark" ||
        (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
      document.documentElement.dataset.theme = dark ? "light" : "dark";
      localStorage.setItem("eg.theme", document.documentElement.dataset.theme);
    });
    const spanPick = document.getElementById("span");
    if (route.span.last && ![...spanPick.options].some((o) => o.value === route.span.last)) spanPick.append(el("option", { value: route.span.last }, "last " + route.span.last));
    if (route.span.start) spanPick.append(el("option", { value: "" }, fmtTime(route.span.start).slice(5, 16) + " → " + fmtTime(route.span.end).slice(5, 16)));
    spanPick.value = route.span.last || "";
    spanPick.addEventListener("change", () => { if (spanPick.value) location.assign(location.pathname + spanSearch({ last: spanPick.value })); });
    const form = document.getElementById("search");
    const input = document.getElementById("q");
    if (route.key) input.value = route.key;
    form.addEventListener("submit", (ev) => { ev.preventDefault(); search(input.value); });
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "/" && document.activeElement !== input && !(ev.target instanceof HTMLInputElement)) { ev.preventDefault(); input.focus(); input.select(); }
    });
    const dlg = document.getElementById("creds");
    document.getElementById("settings").addEventListener("click", () => {
      document.getElementById("auth").value = sessionStorage.getItem("eg.auth") || "";
      document.getElementById("ws").value = sessionStorage.getItem("eg.ws") || "";
      dlg.showModal();
    });
    dlg.addEventListener("close", () => {
      if (dlg.returnValue !== "save") return;
      for (const [id, k] of [["auth", "eg.auth"], ["ws", "eg.ws"]]) {
        const v = document.getElementById(id).value.trim();
        if (v) sessionStorage.setItem(k, v); else sessionStorage.removeItem(k);
      }
      location.reload();
    });
  }

  setup();
  switch (route.kind) {
    case "ip": case "account": case "host":
      if (route.key) entityPage(route.kind, route.key); else queuePage();
      break;
    case "alert":
      alertPage(route.key);
      break;
    default:
      queuePage();
  }
})();
