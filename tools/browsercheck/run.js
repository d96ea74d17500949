const { chromium } = require('playwright-core');
(async () => {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync'] });
  const p = await b.newPage({ viewport: { width: 1400, height: 900 } });
  await p.goto(process.env.EG_URL || 'http://127.0.0.1:8080/');
  await p.waitForSelector('.graphiql-execute-button', { timeout: 15000 });
  await p.click('.graphiql-execute-button');
  await p.waitForFunction(() => document.querySelector('.graphiql-response') && document.querySelector('.graphiql-response').innerText.includes('Password spray'), null, { timeout: 15000 });
  const text = await p.evaluate(() => document.querySelector('.graphiql-response').innerText);
  console.log(text.slice(0, 300).replace(/\s+/g, ' '));
  await p.screenshot({ path: process.env.EG_SCREENSHOT || 'graphiql.png' });
  await b.close();
})().catch(e => { console.error('FAIL', e.message); process.exit(1); });
