// Checks KQL with Microsoft's Kusto parser and semantic analyzer
// (Kusto.Language, from @kusto/language-service-next) against the Sentinel
// table schemas. One process serves a whole test run:
//
//   node check.js <sentinel-tables.json>
//
// stdin:  one JSON object per line: {"id": "...", "query": "..."}
// stdout: one JSON object per line: {"id", "diagnostics": [{severity, code,
//         message, start, end}], "literals": [decoded string literal values]}
"use strict";
require("@kusto/language-service-next/bridge.js");
require("@kusto/language-service-next/Kusto.Language.Bridge.js");
const fs = require("fs");
const readline = require("readline");

const K = Kusto.Language;
const S = K.Symbols;

function quoteName(name) {
  return "['" + name.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "']";
}

function loadGlobals(path) {
  const tables = JSON.parse(fs.readFileSync(path, "utf8"));
  const symbols = [];
  for (const [name, t] of Object.entries(tables)) {
    if (!Array.isArray(t.columns) || t.columns.length === 0) continue;
    const schema = "(" + t.columns.map((c) => quoteName(c.name) + ":" + c.type).join(", ") + ")";
    symbols.push(S.TableSymbol.From(schema).WithName(name));
  }
  const db = new S.DatabaseSymbol.$ctor2("sentinel", null, symbols);
  return { globals: K.GlobalState.Default.WithDatabase(db), tables: symbols.length };
}

function check(globals, query) {
  const code = K.KustoCode.ParseAndAnalyze(query, globals);
  const diagnostics = Bridge.toArray(code.GetDiagnostics()).map((d) => ({
    severity: String(d.Severity), code: d.Code, message: d.Message, start: d.Start, end: d.End,
  }));
  const literals = [];
  K.Syntax.SyntaxElement.WalkNodes(code.Syntax, (n) => {
    if (n.Kind === K.Syntax.SyntaxKind.StringLiteralExpression) literals.push(String(n.LiteralValue));
  });
  return { diagnostics, literals };
}

const schemaPath = process.argv[2];
if (!schemaPath) {
  console.error("usage: node check.js <sentinel-tables.json>");
  process.exit(2);
}
const { globals, tables } = loadGlobals(schemaPath);
process.stdout.write(JSON.stringify({ ready: true, tables }) + "\n");
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
    const out = check(globals, req.query);
    process.stdout.write(JSON.stringify({ id: req.id, ...out }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: req && req.id, error: String(e && e.message || e) }) + "\n");
  }
});
