// Browser tests of the admin Security Settings page and SP-initiated sign-in, in a real headless
// Chromium (Debian's /usr/bin/chromium) driven by playwright-core, against `wrangler dev`.
//
//   node --test tests/browser/admin.test.mjs        (or tests/browser/run.sh)
//
// serve.py starts the worker (tests/integration/harness.py: `wrangler dev` with --persist-to and
// --var, or WORKER_URL) and the fake IdP (fake_idp.py), and prints their URLs as one JSON line.
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default
// tests/browser/screenshots/), WORKER_URL / SUPPORT_TOKEN (an already-running worker).
// The browser reaches nothing but 127.0.0.1: every other request is aborted.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCREENSHOT_DIR = path.resolve(process.env.SCREENSHOT_DIR || path.join(HERE, 'screenshots'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // belt and braces for "no network but 127.0.0.1" (requests are also filtered per context)
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
const COOKIE = 'saml_jit_session';
const ADMIN = 'ada.admin@decorumsoft.com';
const JON = 'jon.smith@decorumsoft.com';
const JANE = 'jane.smith@decorumsoft.com';
const START_TIMEOUT_MS = (Number(process.env.WORKER_START_TIMEOUT || 900) + 120) * 1000;

let serve; // the serve.py child
let env;   // { worker, public_origin, support_token, idp: {origin, entity_id, cert_pem, metadata_url, sso_url} }
let browser;

// -- set-up -----------------------------------------------------------------------------------

before(async () => {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  serve = spawn('python3', [path.join(HERE, 'serve.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: serve.stdout });
  env = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve.py did not report within the start timeout')), START_TIMEOUT_MS);
    serve.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve.py exited with ${code} before reporting`)); });
    lines.once('line', (line) => {
      clearTimeout(timer);
      let v;
      try { v = JSON.parse(line); } catch (e) { return reject(new Error(`serve.py said: ${line}`)); }
      if (v.error) return reject(new Error(`worker/IdP start failed: ${v.error}`));
      resolve(v);
    });
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, { timeout: START_TIMEOUT_MS + 60_000 });

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.stdin.end();
    const t = setTimeout(() => { try { serve.kill('SIGTERM'); } catch {} }, 30_000);
    await exited;
    clearTimeout(t);
  }
});

// -- helpers ----------------------------------------------------------------------------------

const W = () => env.worker;
const IDP = () => env.idp.origin;
const dashboard = () => `${IDP()}/dashboard`;
const secUrl = (c) => `${W()}/admin/${c}/security`;

async function api(method, p, body, { token = env.support_token, cookie, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (cookie) { h.Cookie = `${COOKIE}=${cookie}`; h.Origin = env.public_origin; }
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(W() + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  const text = await r.text();
  let json; try { json = JSON.parse(text); } catch {}
  return { status: r.status, text, json, show: `${method} ${p}${body === undefined ? '' : ' ' + JSON.stringify(body).slice(0, 200)} -> ${r.status} ${text.slice(0, 400)}` };
}

function settingsDoc(over = {}) {
  const doc = {
    version: 1,
    display_name: 'Decorumsoft',
    dashboard_url: dashboard(),
    saml: { idp_entity_id: env.idp.entity_id, idp_certificates: [env.idp.cert_pem], allow_sha1: false, idp_sso_url: env.idp.sso_url },
    provisioning: { enabled: true, default_workspace: 'main', default_permission_set: 'member' },
    exception_domains: [],
    workspaces: [{ id: 'main', name: 'Main' }, { id: 'ops', name: 'Operations' }],
    permission_sets: [{ id: 'member', name: 'Member' }, { id: 'viewer', name: 'Viewer' }, { id: 'admin', name: 'Admin', admin: true }],
  };
  for (const [k, v] of Object.entries(over)) {
    doc[k] = (v && typeof v === 'object' && !Array.isArray(v) && typeof doc[k] === 'object') ? { ...doc[k], ...v } : v;
  }
  return doc;
}

async function newCompany(over = {}) {
  const c = 't-' + randomBytes(6).toString('hex');
  let r = await api('PUT', `/admin/companies/${c}`, settingsDoc(over));
  assert.equal(r.status, 200, r.show);
  for (const [email, ps] of [[ADMIN, 'admin'], [JON, 'member']]) {
    r = await api('POST', `/admin/companies/${c}/users`, { email, confirmed: true, impersonation: false, workspace: 'main', permission_set: ps });
    assert.equal(r.status, 201, r.show);
  }
  return c;
}

async function settings(c) {
  const r = await api('GET', `/admin/companies/${c}`);
  assert.equal(r.status, 200, r.show);
  return r.json;
}

async function newContext(opts = {}) {
  const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 }, ...opts });
  await ctx.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return (host === '127.0.0.1' || host === 'localhost') ? route.continue() : route.abort('blockedbyclient');
  });
  return ctx;
}

async function newPage(ctx) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.setDefaultNavigationTimeout(30_000);
  return page;
}

async function where(page) {
  let body = '';
  try { body = (await page.content()).replace(/\s+/g, ' ').slice(0, 1500); } catch {}
  return `at ${page.url()}: ${body}`;
}

async function sessionCookie(ctx) {
  const cookies = await ctx.cookies(W());
  return cookies.find((c) => c.name === COOKIE);
}

// IdP-initiated sign-in: the fake IdP's /start page has a form that posts a signed response.
async function signInIdpInitiated(page, c, email) {
  const q = new URLSearchParams({ acs: `${env.public_origin}/saml/${c}/acs`, sp: `${env.public_origin}/saml/${c}/metadata`, email });
  await page.goto(`${IDP()}/start?${q}`);
  assert.equal(await page.textContent('#idp-user'), email);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(dashboard()), { timeout: 30_000 }).catch(() => {}), page.click('#idp-continue')]);
  assert.ok(page.url().startsWith(dashboard()), `IdP-initiated sign-in of ${email} did not land on the dashboard ${await where(page)}`);
  assert.equal(await page.textContent('#session'), 'session', 'the dashboard got no session cookie');
  assert.ok(await sessionCookie(page.context()), `no ${COOKIE} cookie for ${W()}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
}

async function pathOf(page) { return new URL(page.url()).pathname; }

// -- tests ------------------------------------------------------------------------------------

let companyA; // set by test (a), used by (b) and (c)
let adminState; // storageState of the admin's signed-in context

test('(a) admin signs in by SSO and turns provisioning on with defaults from the Security Settings page', { timeout: 240_000 }, async () => {
  companyA = await newCompany({ provisioning: { enabled: false }, exception_domains: ['decorumsoft.eu'] });
  const ctx = await newContext();
  try {
    const page = await newPage(ctx);
    await signInIdpInitiated(page, companyA, ADMIN);
    adminState = await ctx.storageState();

    const resp = await page.goto(secUrl(companyA));
    assert.equal(resp.status(), 200, `GET ${secUrl(companyA)} ${await where(page)}`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.ok(await page.getByRole('heading', { name: 'Security Settings' }).count() >= 1, `no "Security Settings" heading ${await where(page)}`);
    assert.ok(await page.getByRole('heading', { name: 'SAML SSO' }).count() >= 1, 'no "SAML SSO" section heading');
    assert.equal(await page.textContent('code#sp_entity_id').then((t) => t.trim()), `${env.public_origin}/saml/${companyA}/metadata`);
    assert.equal(await page.textContent('code#acs_url').then((t) => t.trim()), `${env.public_origin}/saml/${companyA}/acs`);
    assert.equal(new URL(await page.getAttribute('a#metadata_url', 'href'), page.url()).href, `${env.public_origin}/saml/${companyA}/metadata`);
    const exc = await page.textContent('#exception_domains');
    assert.match(exc, /decorumsoft\.eu/);
    const prov = (await page.textContent('#provisionable_domains')).replace(/\s+/g, ' ');
    assert.match(prov, /decorumsoft\.com/);
    assert.match(prov, /confirmed user/);
    assert.match(prov, /decorumsoft\.eu/);
    assert.match(prov, /exception granted by Support/);

    const box = page.getByLabel('Automatic user provisioning');
    assert.equal(await box.getAttribute('id'), 'provisioning_enabled', 'the label does not point at #provisioning_enabled');
    assert.equal(await box.isChecked(), false);
    assert.equal(await box.isDisabled(), false, 'checkbox disabled while provisioning is off');
    assert.equal(await page.locator('#support_note').count(), 0, 'support note shown while provisioning is off');
    assert.equal((await page.textContent('button#save')).trim(), 'Save changes');

    await box.check();
    await page.selectOption('select#default_workspace', 'ops');
    await page.selectOption('select#default_permission_set', 'viewer');
    await shot(page, 'security-en.png');
    const [post] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/admin/${companyA}/security`),
      page.click('button#save'),
    ]);
    assert.equal(post.status(), 303, `POST /admin/${companyA}/security answered ${post.status()}: ${(await post.text().catch(() => '')).slice(0, 600)}`);
    await page.waitForLoadState('load');
    assert.equal(await pathOf(page), `/admin/${companyA}/security`, await where(page));

    const s = await settings(companyA);
    assert.deepEqual([s.provisioning.enabled, s.provisioning.default_workspace, s.provisioning.default_permission_set], [true, 'ops', 'viewer'],
      `settings after save: ${JSON.stringify(s.provisioning)}`);

    // the page now shows the new state: on, locked, with the note
    assert.equal(await page.isChecked('#provisioning_enabled'), true);
    assert.equal(await page.isDisabled('#provisioning_enabled'), true, 'checkbox not disabled once provisioning is on');
    assert.match(await page.textContent('#support_note'), /Support/);
    assert.equal(await page.inputValue('#default_workspace'), 'ops');
    assert.equal(await page.inputValue('#default_permission_set'), 'viewer');
    await shot(page, 'security-en-saved.png');
  } finally {
    await ctx.close();
  }
});

test('(b) the Security Settings page in French (?lang=fr and Accept-Language fr)', { timeout: 180_000 }, async () => {
  assert.ok(companyA && adminState, 'test (a) did not get far enough');
  const checkFrench = async (page, how) => {
    assert.equal(await page.getAttribute('html', 'lang'), 'fr', `${how}: html lang ${await where(page)}`);
    assert.ok(await page.getByRole('heading', { name: 'Paramètres de sécurité' }).count() >= 1, `${how}: no "Paramètres de sécurité" heading ${await where(page)}`);
    const box = page.getByLabel('Provisionnement automatique des utilisateurs');
    assert.equal(await box.getAttribute('id'), 'provisioning_enabled', `${how}: French label`);
    assert.equal((await page.textContent('button#save')).trim(), 'Enregistrer les modifications', how);
    assert.match(await page.textContent('#support_note'), /Support/, how);
    assert.equal(await page.getAttribute('a#lang-en', 'href'), '?lang=en');
    assert.equal(await page.getAttribute('a#lang-fr', 'href'), '?lang=fr');
  };
  // English browser, ?lang=fr
  let ctx = await newContext({ storageState: adminState });
  try {
    const page = await newPage(ctx);
    const r = await page.goto(secUrl(companyA) + '?lang=fr');
    assert.equal(r.status(), 200, await where(page));
    await checkFrench(page, '?lang=fr');
    await shot(page, 'security-fr.png');
  } finally {
    await ctx.close();
  }
  // French browser (Accept-Language: fr-FR), no parameter; then the switch back to English
  ctx = await newContext({ storageState: adminState, locale: 'fr-FR' });
  try {
    const page = await newPage(ctx);
    const r = await page.goto(secUrl(companyA));
    assert.equal(r.status(), 200, await where(page));
    await checkFrench(page, 'Accept-Language fr');
    await Promise.all([page.waitForURL(/lang=en/), page.click('a#lang-en')]);
    assert.equal(await page.getAttribute('html', 'lang'), 'en', '?lang=en should override Accept-Language');
    assert.ok(await page.getByRole('heading', { name: 'Security Settings' }).count() >= 1, await where(page));
    assert.equal((await page.textContent('button#save')).trim(), 'Save changes');
  } finally {
    await ctx.close();
  }
});

test('(c) an admin cannot turn provisioning off (API, page, crafted POST); Support can', { timeout: 180_000 }, async () => {
  assert.ok(companyA && adminState, 'test (a) did not get far enough');
  const c = companyA;
  assert.equal((await settings(c)).provisioning.enabled, true, 'precondition: provisioning on');

  // API with an admin token
  const t = await api('POST', `/admin/companies/${c}/tokens`);
  assert.equal(t.status, 201, t.show);
  let r = await api('PATCH', `/admin/companies/${c}/security`, { provisioning_enabled: false }, { token: t.json.token });
  assert.equal(r.status, 403, r.show);
  assert.equal(r.json?.error, 'support_only', r.show);
  assert.match(r.json?.message || '', /Support/, r.show);

  const ctx = await newContext({ storageState: adminState });
  try {
    const page = await newPage(ctx);
    // API with the admin's session cookie (the browser's own request context)
    const pr = await page.request.fetch(`${W()}/admin/companies/${c}/security`, {
      method: 'PATCH', data: { provisioning_enabled: false }, headers: { Accept: 'application/json', Origin: env.public_origin }, maxRedirects: 0,
    });
    const prText = await pr.text();
    assert.equal(pr.status(), 403, `PATCH with the admin session -> ${pr.status()} ${prText.slice(0, 300)}`);
    assert.equal(JSON.parse(prText).error, 'support_only', prText);

    // the page: locked checkbox and the note
    await page.goto(secUrl(c));
    assert.equal(await page.isDisabled('#provisioning_enabled'), true, 'checkbox not disabled');
    assert.equal(await page.isChecked('#provisioning_enabled'), true);
    assert.ok(await page.isVisible('#support_note'), 'support note not visible');
    assert.match(await page.textContent('#support_note'), /contact Support|Support/);

    // crafted POST 1: in the DOM, drop any hidden provisioning_enabled field that keeps the locked
    // value, re-enable the checkbox and untick it, then save: the form says "off"
    await page.evaluate(() => {
      for (const h of document.querySelectorAll('input[type="hidden"][name="provisioning_enabled"]')) h.remove();
      const b = document.getElementById('provisioning_enabled');
      b.disabled = false; b.name = 'provisioning_enabled'; b.checked = false;
    });
    const [post] = await Promise.all([
      page.waitForResponse((x) => x.request().method() === 'POST' && new URL(x.url()).pathname === `/admin/${c}/security`),
      page.click('button#save'),
    ]);
    assert.equal(post.status(), 403, `crafted form post answered ${post.status()}`);
    await page.waitForLoadState('load');
    assert.match(await page.content(), /support_only/, `the 403 page should carry the code support_only ${await where(page)}`);

    // crafted POST 2: the form fields with a valid csrf and no provisioning_enabled, by hand
    await page.goto(secUrl(c));
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
    assert.ok(csrf, 'no csrf value on the page');
    const fr = await page.request.post(secUrl(c), {
      form: { csrf, default_workspace: 'ops', default_permission_set: 'viewer' }, maxRedirects: 0,
      headers: { Origin: env.public_origin, Accept: 'text/html' },
    });
    assert.equal(fr.status(), 403, `crafted POST without provisioning_enabled -> ${fr.status()} ${(await fr.text()).slice(0, 300)}`);
    assert.equal((await settings(c)).provisioning.enabled, true, 'an admin turned provisioning off');

    // Support can
    r = await api('PATCH', `/admin/companies/${c}/security`, { provisioning_enabled: false });
    assert.equal(r.status, 200, r.show);
    assert.equal(r.json.provisioning.enabled, false, r.show);
    assert.equal((await settings(c)).provisioning.enabled, false);
    await page.goto(secUrl(c));
    assert.equal(await page.isDisabled('#provisioning_enabled'), false, 'checkbox still disabled after Support turned provisioning off');
    assert.equal(await page.isChecked('#provisioning_enabled'), false);
    assert.equal(await page.locator('#support_note').count(), 0);
  } finally {
    await ctx.close();
  }
});

test('(d) a JIT-provisioned user sees the SSO button on /login and completes an SP-initiated sign-in', { timeout: 240_000 }, async () => {
  const c = await newCompany();
  // first sign-in: IdP-initiated, provisions Jane
  let ctx = await newContext();
  try {
    const page = await newPage(ctx);
    await signInIdpInitiated(page, c, JANE);
  } finally {
    await ctx.close();
  }
  let r = await api('GET', `/admin/companies/${c}/users/${JANE}`);
  assert.equal(r.status, 200, r.show);
  assert.equal(r.json.created_via, 'jit', r.show);
  const firstLogin = r.json.last_login_at;
  assert.ok(firstLogin, 'last_login_at not set by the first sign-in');

  ctx = await newContext();
  try {
    const page = await newPage(ctx);
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('requestfailed', (x) => consoleErrors.push(`request failed: ${x.method()} ${x.url().slice(0, 120)}: ${x.failure()?.errorText}`));
    // someone unknown gets no SSO button
    await page.goto(`${W()}/login/${c}`);
    await page.fill('input#email', 'nobody@decorumsoft.com');
    await Promise.all([page.waitForLoadState('load'), page.waitForResponse((x) => x.request().method() === 'POST'), page.click('button#continue')]);
    assert.equal(await page.locator('#sso').count(), 0, `#sso offered to an unknown user ${await where(page)}`);

    // Jane does
    const lr = await page.goto(`${W()}/login/${c}`);
    assert.equal(lr.status(), 200, await where(page));
    await page.fill('input#email', JANE);
    const [lp] = await Promise.all([page.waitForResponse((x) => x.request().method() === 'POST'), page.click('button#continue')]);
    assert.equal(lp.status(), 200, `POST /login/${c} -> ${lp.status()}`);
    await page.waitForLoadState('load');
    const sso = page.locator('a#sso'); // a link: CSP form-action would block a form's redirect to the IdP
    assert.equal(await sso.count(), 1, `no #sso button for ${JANE} ${await where(page)}`);
    assert.match(await sso.textContent(), /Sign in with SAML SSO/);
    await shot(page, 'login-sso.png');

    await fetch(`${IDP()}/set-user?email=${encodeURIComponent(JANE)}`); // the fake IdP's signed-in user
    const before = (await (await fetch(`${IDP()}/requests`)).json()).length;
    const [spStart] = await Promise.all([
      page.waitForRequest((x) => new URL(x.url()).pathname === `/saml/${c}/login`),
      page.waitForURL((u) => u.href.startsWith(env.idp.sso_url), { timeout: 30_000 }).catch(() => {}),
      sso.click(),
    ]);
    const spUrl = new URL(spStart.url());
    assert.equal(spStart.method(), 'GET');
    assert.equal(spUrl.searchParams.get('email')?.toLowerCase(), JANE, `the SSO form requested ${spStart.url()}`);
    if (!page.url().startsWith(env.idp.sso_url + '?')) await page.waitForTimeout(1000); // let the console report why
    assert.ok(page.url().startsWith(env.idp.sso_url + '?'),
      `not at the IdP's SSO URL; browser console errors: ${JSON.stringify(consoleErrors)} ${await where(page)}`);
    const reqs = await (await fetch(`${IDP()}/requests`)).json();
    assert.equal(reqs.length, before + 1, 'the fake IdP decoded no AuthnRequest');
    const authn = reqs[reqs.length - 1];
    assert.equal(authn.acs_url, `${env.public_origin}/saml/${c}/acs`);
    assert.equal(authn.issuer, `${env.public_origin}/saml/${c}/metadata`);
    assert.equal(await page.textContent('#idp-user'), JANE);
    const idpPageUrl = page.url();

    const [acs] = await Promise.all([
      page.waitForResponse((x) => x.request().method() === 'POST' && new URL(x.url()).pathname === `/saml/${c}/acs`),
      page.waitForURL((u) => u.href.startsWith(dashboard()), { timeout: 30_000 }).catch(() => {}),
      page.click('#idp-continue'),
    ]);
    assert.equal(acs.status(), 303, `ACS answered the SP-initiated response with ${acs.status()}: ${(await acs.text().catch(() => '')).slice(0, 400)}`);
    assert.ok(page.url().startsWith(dashboard()), `did not land on the dashboard ${await where(page)}`);
    assert.equal(await page.textContent('#session'), 'session');
    const ck = await sessionCookie(ctx);
    assert.ok(ck, `no ${COOKIE} cookie after the SP-initiated sign-in`);
    assert.equal(ck.httpOnly, true);

    r = await api('GET', `/admin/companies/${c}/users/${JANE}`);
    assert.equal(r.status, 200, r.show);
    assert.ok(r.json.last_login_at >= firstLogin, `last_login_at ${r.json.last_login_at} < ${firstLogin}`);
    const audit = await api('GET', `/admin/companies/${c}/audit`);
    const janeSignIns = audit.json.entries.filter((e) => e.email === JANE && e.event === 'signed_in');
    assert.ok(janeSignIns.length >= 1, `no signed_in audit row for the SP-initiated sign-in: ${audit.text.slice(0, 600)}`);

    const users = (await api('GET', `/admin/companies/${c}/users`)).json.users.map((u) => u.email).sort();
    assert.deepEqual(users, [ADMIN, JANE, JON].sort());

    // the IdP answering the same AuthnRequest again (same request ID): refused, consumed once
    await page.goto(idpPageUrl);
    const [again] = await Promise.all([
      page.waitForResponse((x) => x.request().method() === 'POST' && new URL(x.url()).pathname === `/saml/${c}/acs`),
      page.click('#idp-continue'),
    ]);
    assert.equal(again.status(), 403, `a second response to the same AuthnRequest -> ${again.status()}`);
    await page.waitForLoadState('load');
    assert.match(await page.content(), /in_response_to_mismatch/, await where(page));
  } finally {
    await ctx.close();
  }
});

test('(e) an admin sets attribute names and group mappings on the Security Settings page, in French too', { timeout: 180_000 }, async () => {
  assert.ok(companyA && adminState, 'test (a) did not get far enough');
  const ctx = await newContext({ storageState: adminState });
  try {
    const page = await newPage(ctx);
    let r = await page.goto(secUrl(companyA));
    assert.equal(r.status(), 200, await where(page));
    assert.ok(await page.getByRole('heading', { name: 'After the first login' }).count() >= 1, 'no "After the first login" section');
    assert.match(await page.inputValue('#attr_groups'), /^groups\n/, 'the default groups attributes are shown');
    const before = (await settings(companyA)).provisioning;
    await page.getByLabel('First name attributes').fill('preferredName\ngivenName');
    await page.getByLabel('Group mapping mode').selectOption('authoritative');
    await page.getByLabel('Refuse sign-in when no group mapping matches').check();
    await page.getByLabel('Group mappings').fill('Braze-Admins | main | admin\nSales team | ops | member');
    await Promise.all([page.waitForURL(/saved=1/), page.click('button#save_lifecycle')]);
    const s = await settings(companyA);
    assert.deepEqual(s.saml.attributes.first_name, ['preferredName', 'givenName']);
    assert.deepEqual(s.group_mappings, {
      mode: 'authoritative', require_match: true,
      rules: [{ group: 'Braze-Admins', workspace: 'main', permission_set: 'admin' }, { group: 'Sales team', workspace: 'ops', permission_set: 'member' }],
    });
    assert.deepEqual(s.provisioning, before, 'the other form\'s settings are untouched');
    assert.match(await page.inputValue('#mapping_rules'), /Sales team \| ops \| member/);
    assert.equal(await page.isChecked('#require_match'), true);
    await shot(page, 'security-lifecycle.png');

    // A rule naming a workspace that does not exist is refused, and nothing is written.
    await page.getByLabel('Group mappings').fill('X | nowhere | admin');
    await page.click('button#save_lifecycle');
    assert.match(await page.content(), /invalid_field/, await where(page));
    assert.equal((await settings(companyA)).group_mappings.rules.length, 2);

    r = await page.goto(secUrl(companyA) + '?lang=fr');
    assert.ok(await page.getByRole('heading', { name: 'Après la première connexion' }).count() >= 1, 'no French section heading');
    assert.equal(await page.isChecked('#require_match'), true);
  } finally {
    await ctx.close();
  }
});

test('(f) self-service set-up: import the IdP metadata, run a passing and a failing test sign-in, read the log, in English and French', { timeout: 240_000 }, async () => {
  const c = await newCompany({ saml: { idp_entity_id: 'https://placeholder.example/', idp_certificates: [env.idp.cert_pem], idp_sso_url: env.idp.sso_url } });
  const ctx = await newContext();
  try {
    const page = await newPage(ctx);
    // The admin signs in while the placeholder entity ID is wrong: refused, with a reference.
    const q = new URLSearchParams({ acs: `${env.public_origin}/saml/${c}/acs`, sp: `${env.public_origin}/saml/${c}/metadata`, email: ADMIN });
    await page.goto(`${IDP()}/start?${q}`);
    await Promise.all([page.waitForLoadState('load'), page.click('#idp-continue')]);
    const refusedRef = (await page.content()).match(/Reference: <code>([0-9a-f]{16})<\/code>/)?.[1];
    assert.ok(refusedRef, `no reference on the refusal page ${await where(page)}`);
    // Support fixes the entity ID; the admin signs in and imports the metadata from its URL.
    let r = await api('PATCH', `/admin/companies/${c}/security`, { idp_entity_id: env.idp.entity_id });
    assert.equal(r.status, 200, r.show);
    await signInIdpInitiated(page, c, ADMIN);
    await page.goto(secUrl(c));
    assert.ok(await page.getByRole('heading', { name: 'Identity provider' }).count() >= 1, 'no "Identity provider" section');
    assert.match(await page.textContent('#entra_note'), /Sign-on URL blank/);
    await page.getByLabel('Metadata URL (https)').fill(env.idp.metadata_url);
    await Promise.all([page.waitForURL(/saved=1/), page.click('button#save_idp')]);
    assert.equal((await page.locator('#idp_certificates code.fingerprint').count()), 1);
    const s = await settings(c);
    assert.equal(s.saml.idp_entity_id, env.idp.entity_id);

    // A passing test: the report explains every rule and nobody is created.
    await fetch(`${IDP()}/set-user?email=${encodeURIComponent(JANE)}`);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(env.idp.sso_url), { timeout: 30_000 }), page.click('a#start_test')]);
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith(`/admin/${c}/test/_t`), { timeout: 30_000 }), page.click('#idp-continue')]);
    assert.match(await page.textContent('#report'), /passed/, await where(page));
    assert.match(await page.textContent('#outcome'), /create the account/);
    assert.match(await page.textContent('#domain_why'), /confirmed user/);
    await shot(page, 'test-sign-in-pass.png');
    r = await api('GET', `/admin/companies/${c}/users/${JANE}`);
    assert.equal(r.status, 404, 'the test created a user');

    // A refused test, in French: a domain that does not qualify.
    await page.goto(secUrl(c) + '?lang=fr');
    await fetch(`${IDP()}/set-user?email=${encodeURIComponent('mallory@decorumsoft.eu')}`);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(env.idp.sso_url), { timeout: 30_000 }), page.click('a#start_test')]);
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith(`/admin/${c}/test/_t`), { timeout: 30_000 }), page.click('#idp-continue')]);
    assert.match(await page.textContent('#outcome'), /serait refusée/, await where(page));
    assert.match(await page.textContent('#outcome_code'), /domain_not_allowed/);
    await shot(page, 'test-sign-in-refused-fr.png');

    // The log shows the refusal with the reference the admin saw at the start.
    await page.goto(`${W()}/admin/${c}/log?lang=en`);
    assert.match(await page.textContent('#log'), new RegExp(refusedRef));
    assert.match(await page.textContent('#log'), /issuer_mismatch/);
    await shot(page, 'sign-in-log.png');
  } finally {
    await fetch(`${IDP()}/set-user?email=${encodeURIComponent(JANE)}`);
    await ctx.close();
  }
});
