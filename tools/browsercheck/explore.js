// Drives the investigation pages in headless Chromium against a running
// server (EG_URL) and prints one JSON object: the checks that failed, the
// console errors, the requests that left the server's origin.
//   EG_URL=http://127.0.0.1:8080 EG_SHOTS=docs node explore.js
const { chromium } = require('playwright-core');

const base = process.env.EG_URL || 'http://127.0.0.1:8080';
const shots = process.env.EG_SHOTS || '';
const failures = [];
const consoleErrors = [];
const offsite = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

async function text(page, sel) {
  await page.waitForSelector(sel, { timeout: 20000 });
  return page.$eval(sel, (n) => n.innerText);
}
async function panelReady(page, id) {
  await page.waitForFunction((id) => {
    const p = document.querySelector(`[data-panel="${id}"]`);
    return p && !p.innerText.includes('Loading…');
  }, id, { timeout: 20000 });
  return page.$eval(`[data-panel="${id}"]`, (n) => n.innerText);
}

// clean: no value leaked into the page as "null", "undefined" or "[object …]".
async function clean(page, what) {
  const body = await page.evaluate(() => document.body.innerText);
  const m = /(?<!\/dev\/)\b(null|undefined)\b|\[object /.exec(body);
  check(!m, `${what}: the page shows ${m && JSON.stringify(body.slice(Math.max(0, m.index - 40), m.index + 20))}`);
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.EG_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) offsite.push(r.url()); });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // Password spray, by URL.
  await page.goto(`${base}/explore/ip/193.27.228.147?last=2d`);
  const signins = await panelReady(page, 'signins');
  check(signins.includes('62 in all'), `spray: sign-ins panel says ${JSON.stringify(signins.slice(0, 80))}, want 62 in all`);
  check(signins.includes('60 failures in all'), 'spray: 60 failures not shown');
  const related = await panelReady(page, 'relatedAccounts');
  check(related.includes('megan.bowen@contoso.com'), 'spray: megan.bowen not among related accounts');
  await page.waitForSelector('[data-panel="timeline"] svg rect', { timeout: 20000 });
  check(await page.$$eval('[data-panel="timeline"] svg line.alert-mark', (n) => n.length) > 0, 'spray: no alert marked on the timeline');
  await page.waitForSelector('#map-box svg path.here', { timeout: 20000 }).catch(() => failures.push('spray: the map fills no country'));
  await page.waitForFunction(() => window.egGraph && window.egGraph.nodes().length > 10, null, { timeout: 20000 }).catch(() => failures.push('spray: the pivot graph did not grow past 10 nodes'));
  // KQL toggle.
  await page.click('[data-panel="signins"] header button');
  check((await page.$eval('[data-panel="signins"] pre.kql', (n) => n.innerText)).includes('SigninLogs'), 'KQL toggle: no SigninLogs statement');
  await clean(page, 'spray');
  if (shots) await page.screenshot({ path: `${shots}/explore-spray.png`, fullPage: false });

  // Graph: expanding the victim adds her hosts.
  const before = await page.evaluate(() => window.egGraph.nodes().length);
  await page.evaluate(() => window.egGraph.getElementById('account:megan.bowen@contoso.com').emit('tap'));
  await page.waitForFunction((n) => window.egGraph.nodes().length > n, before, { timeout: 20000 }).catch(() => failures.push('graph: expanding megan.bowen added nothing'));

  // Pivot to the account and back.
  await page.click('[data-panel="relatedAccounts"] a[href*="megan.bowen%40contoso.com"]');
  await page.waitForURL(/\/explore\/account\//);
  check((await text(page, 'h1')) === 'megan.bowen@contoso.com', 'pivot: account page title');
  check((await panelReady(page, 'hosts')).includes('win-fs01'), 'pivot: win-fs01 not among the account\'s hosts');
  await panelReady(page, 'signins');
  await clean(page, 'account');
  await page.goBack();
  check((await panelReady(page, 'signins')).includes('62 in all'), 'back: the IP page did not come back');

  // The timeline brush narrows the timespan and the sign-ins.
  // After going back the timeline may still be loading: wait for its chart.
  const box = await page.waitForSelector('[data-panel="timeline"] svg', { timeout: 20000 });
  await box.scrollIntoViewIfNeeded();
  const bb = await box.boundingBox();
  await page.mouse.move(bb.x + bb.width * 0.80, bb.y + bb.height / 2);
  await page.mouse.down();
  await page.mouse.move(bb.x + bb.width * 0.99, bb.y + bb.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForURL(/start=/, { timeout: 20000 }).catch(() => failures.push('brush: the URL has no start'));
  const narrowed = await panelReady(page, 'signins');
  const n = Number((/(\d+) in all/.exec(narrowed) || [0, -1])[1]);
  check(n >= 0 && n < 62, `brush: sign-ins ${n}, want fewer than 62`);

  // C2 beacon, by the search box.
  await page.goto(`${base}/explore/alerts?last=2d`);
  await panelReady(page, 'queue');
  await page.fill('#q', '91.215.85.12');
  await page.press('#q', 'Enter');
  await page.waitForURL(/\/explore\/ip\/91\.215\.85\.12/);
  check((await panelReady(page, 'alerts')).toLowerCase().includes('beacon') || (await panelReady(page, 'alerts')).includes('1 in all'), 'c2: no alert');
  if (shots) await page.screenshot({ path: `${shots}/explore-c2.png` });

  // The beacon's private address belongs to web-vm-01.
  await page.goto(`${base}/explore/ip/10.0.1.4?last=2d`);
  check((await panelReady(page, 'hosts')).includes('web-vm-01'), '10.0.1.4: web-vm-01 not among its hosts');

  // A host by search box.
  await page.fill('#q', 'linux-db-02');
  await page.press('#q', 'Enter');
  await page.waitForURL(/\/explore\/host\/linux-db-02/);
  check((await panelReady(page, 'processes')).includes('curl'), 'host: curl not among linux-db-02 processes');
  await clean(page, 'host');

  // SSH brute force on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/explore/ip/45.95.147.236?last=2d`);
  check((await panelReady(page, 'deviceLogons')).includes('dbadmin'), 'brute force: dbadmin\'s device logon not shown');
  const logons = await panelReady(page, 'hostLogons');
  check(logons.includes('dbadmin') && logons.includes('linux-db-02'), 'brute force: dbadmin on linux-db-02 not shown');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `phone: the page is ${overflow}px wider than the screen`);
  if (shots) await page.screenshot({ path: `${shots}/explore-brute.png` });

  // A missing table is named.
  await page.setViewportSize({ width: 1280, height: 900 });
  await browser.close();
  console.log(JSON.stringify({ failures, consoleErrors, offsite }));
})().catch((e) => { console.log(JSON.stringify({ failures: failures.concat(['crash: ' + e.message]), consoleErrors, offsite })); process.exit(0); });
