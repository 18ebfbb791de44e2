// The console in a real browser (Debian's chromium, driven by Playwright),
// against real `antirelou serve` replicas started by
// tests/deploy/test_console.py, which passes their URLs and the tokens in
// the environment. Each page is checked by axe-core (no serious or critical
// violation) and photographed into $SCREENSHOTS/console-*.png; then every
// page is opened again in a phone-sized window (390 px) and must not scroll
// sideways.
//
// Run it through the deploy suite: `bash tests/deploy/run.sh -k console`.

import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (tests/deploy/test_console.py sets it)`);
  return value;
};
const CONSOLE = env("CONSOLE_URL");
const CONSOLE_2 = env("CONSOLE_URL_2");
const WEBHOOK = env("WEBHOOK_URL");
const METRICS = env("METRICS_URL");
const PUBLIC_URL = env("PUBLIC_URL");
const SCREENSHOTS = env("SCREENSHOTS");
const CHROMIUM = env("CHROMIUM");
const TOKEN = { paris: env("TOKEN_PARIS"), lyon: env("TOKEN_LYON"), operator: env("TOKEN_OPERATOR") };
const TWILIO = { account: env("ACCOUNT_PARIS"), authToken: env("TWILIO_TOKEN_PARIS") };
const NUMBER = { paris: env("NUMBER_PARIS"), lyon: env("NUMBER_LYON") };

/** Axe on the current page: no serious or critical violation. */
async function accessible(page, name) {
  const violations = await page.evaluate(`${AXE_SOURCE};
    axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) })))`);
  assert.deepEqual(violations, [], `${name}: axe violations ${JSON.stringify(violations, null, 1)}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}

/** A Twilio inbound webhook, signed as Twilio signs it; the TwiML answer. */
async function twilioSms(sender, body) {
  const sid = "SM" + crypto.randomBytes(16).toString("hex");
  const params = { AccountSid: TWILIO.account, MessageSid: sid, SmsSid: sid, From: sender, To: NUMBER.paris,
    Body: body, NumMedia: "0", NumSegments: "1", FromCountry: "FR", ToCountry: "FR", ApiVersion: "2010-04-01" };
  const signed = PUBLIC_URL + "/webhooks/twilio" + Object.keys(params).sort().map((k) => k + params[k]).join("");
  const signature = crypto.createHmac("sha1", TWILIO.authToken).update(signed).digest("base64");
  const response = await fetch(WEBHOOK + "/webhooks/twilio", {
    method: "POST", body: new URLSearchParams(params),
    headers: { "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded" },
  });
  assert.equal(response.status, 200);
  return response.text();
}

/** The sum of a counter's samples whose labels include `labels`. */
async function metric(name, labels) {
  const text = await (await fetch(METRICS + "/metrics")).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{")) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

async function signIn(page, base, token) {
  await page.goto(base + "/console/");
  assert.match(page.url(), /\/console\/login$/);
  await page.fill("#token", token);
  await Promise.all([page.waitForNavigation(), page.click("form.signin button")]);
}

test("the console, in a real browser", async (t) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  t.after(() => browser.close());
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cspViolations = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });

  await t.test("the sign-in page is French by default, secure, accessible", async () => {
    const response = await page.goto(CONSOLE + "/console/login");
    assert.equal(response.status(), 200);
    const headers = response.headers();
    assert.match(headers["content-security-policy"], /default-src 'self'/);
    assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.equal(headers["referrer-policy"], "no-referrer");
    assert.equal(await page.getAttribute("html", "lang"), "fr");
    assert.equal(await page.textContent("h1"), "Se connecter");
    await accessible(page, "sign-in");
    await shot(page, "signin");
  });

  await t.test("a wrong token is refused", async () => {
    await page.fill("#token", "not-the-token-of-anyone-at-all");
    const [response] = await Promise.all([page.waitForNavigation(), page.click("form.signin button")]);
    assert.equal(response.status(), 401);
    assert.match(await page.textContent("[role=alert]"), /Jeton inconnu/);
  });

  await t.test("a sign-in form without its CSRF token is refused", async () => {
    const response = await page.request.post(CONSOLE + "/console/login", { form: { token: TOKEN.paris } });
    assert.equal(response.status(), 403);
  });

  await t.test("a tenant signs in and sees its overview, on every replica", async () => {
    await signIn(page, CONSOLE, TOKEN.paris);
    assert.match(page.url(), /\/console\/$/);
    const cookie = (await context.cookies()).find((c) => c.name === "antirelou_console");
    assert.ok(cookie, "a session cookie");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    assert.equal(cookie.path, "/console");
    assert.ok(!cookie.value.includes(TOKEN.paris), "the token is not in the cookie");
    assert.match(await page.textContent("main"), new RegExp(NUMBER.paris.replace("+", "\\+")));
    assert.match(await page.textContent("main"), /Répond/);
    assert.doesNotMatch(await page.textContent("main"), new RegExp(NUMBER.lyon.replace("+", "\\+")));
    await accessible(page, "overview");
    await shot(page, "overview");
    const other = await context.newPage();
    await other.goto(CONSOLE_2 + "/console/");
    assert.match(other.url(), /\/console\/$/, "the other replica accepts the session");
    await other.close();
  });

  await t.test("editing the reply shows its segments and cost live", async () => {
    await page.goto(CONSOLE + "/console/numbers/" + NUMBER.paris);
    const figure = (name) => page.textContent(`[data-figure=${name}]`);
    assert.equal(await figure("segments"), "1");
    assert.equal(await figure("encoding"), "GSM-7");
    await page.fill("#reply-text", "Non, c'est non. ".repeat(12));
    await page.waitForFunction(() => document.querySelector("[data-figure=segments]").textContent === "2");
    assert.equal(await figure("characters"), String("Non, c'est non. ".length * 12));
    assert.match(await figure("cost"), /^0,16\s€$/);
    await page.fill("#reply-text", "Non, c'est non — laissez-la tranquille.");
    await page.waitForFunction(() => document.querySelector("[data-figure=encoding]").textContent === "UCS-2");
    assert.equal(await figure("segments"), "1");
    assert.match(await figure("cost"), /^0,08\s€$/);
    assert.match(await page.textContent("#ucs2"), /« — » \(remplaçable par « - »\)/, "the character is named");
    assert.equal(await page.isVisible("#replace-ucs2"), true, "its replacement is offered");
    await accessible(page, "number");
    await shot(page, "number");
    await Promise.all([page.waitForNavigation(), page.click("#replace-ucs2")]);
    assert.match(await page.textContent("[role=status]"), /Caractères remplacés/);
    assert.equal(await page.inputValue("#reply-text"), "Non, c'est non - laissez-la tranquille.");
    assert.equal(await figure("encoding"), "GSM-7");
    assert.equal(await page.isVisible("#ucs2"), false);
  });

  await t.test("a form without its CSRF token is refused", async () => {
    const response = await page.request.post(CONSOLE + `/console/numbers/${NUMBER.paris}/pause`, { form: {} });
    assert.equal(response.status(), 403);
    const wrong = await page.request.post(CONSOLE + `/console/numbers/${NUMBER.paris}/pause`,
      { form: { csrf: "forged" } });
    assert.equal(wrong.status(), 403);
  });

  await t.test("pausing the number makes webhooks answered paused; resuming answers again", async () => {
    await page.goto(CONSOLE + "/console/numbers/" + NUMBER.paris);
    await Promise.all([page.waitForNavigation(), page.click("#pause-button")]);
    assert.match(await page.textContent("[role=status]"), /en pause/);
    assert.match(await page.textContent("main"), /En pause/);
    const before = await metric("antirelou_inbound_total", { number: NUMBER.paris, outcome: "paused" });
    const twiml = await twilioSms("+33699000001", "salut");
    assert.doesNotMatch(twiml, /<Message>/, "a paused number sends no reply");
    assert.equal(await metric("antirelou_inbound_total", { number: NUMBER.paris, outcome: "paused" }), before + 1);
    await Promise.all([page.waitForNavigation(), page.click("#pause-button")]);
    assert.match(await page.textContent("main"), /Répond/);
    const answered = await twilioSms("+33699000002", "salut");
    assert.match(answered, /<Message>/, "the number answers again");
    for (let i = 3; i < 8; i++) assert.match(await twilioSms(`+3369900000${i}`, "salut"), /<Message>/);
  });

  await t.test("a tenant that is not prepaid is told what prepaid means, and the entries download as CSV", async () => {
    await page.goto(CONSOLE + "/console/tenants/paris/money");
    assert.match(await page.textContent("#not-prepaid"), /n'est pas prépayé/);
    assert.equal(await page.locator("form[action$=top-up]").count(), 0, "no top-up form: it would pay for nothing");
    assert.match(await page.textContent("table"), /réponse/);
    const csv = await page.request.get(CONSOLE + "/console/tenants/paris/entries.csv");
    assert.equal(csv.status(), 200);
    const text = await csv.text();
    assert.match(text, /^id,at,tenant,number,kind,amount,currency,count,reference\r\n/);
    assert.match(text, /,reply,0\.08,EUR,1,/);
    assert.doesNotMatch(text, /\+336990000/, "no sender number");
    await accessible(page, "money");
    await shot(page, "money");
  });

  await t.test("the overview shows the replies and the spend", async () => {
    await page.goto(CONSOLE + "/console/");
    const main = await page.textContent("main");
    assert.match(main, /6\sréponses envoyées/);
    assert.match(main, /0,48\s€ sur 5,00\s€/);
    await shot(page, "overview");
  });

  await t.test("a saved reply is what the next sender gets, on every replica", async () => {
    await page.goto(CONSOLE + "/console/numbers/" + NUMBER.paris);
    const reply = "Non, c'est non. Laissez-la tranquille.";
    await page.fill("#reply-text", reply);
    await Promise.all([page.waitForNavigation(), page.click("#save-reply")]);
    assert.match(await page.textContent("[role=status]"), /Enregistré/);
    assert.equal(await page.inputValue("#reply-text"), reply);
    const twiml = await twilioSms("+33699000020", "salut");
    assert.match(twiml, /Laissez-la tranquille\.<\/Message>/);
    const other = await context.newPage();
    await other.goto(CONSOLE_2 + "/console/numbers/" + NUMBER.paris);
    for (let i = 0; i < 20 && (await other.inputValue("#reply-text")) !== reply; i++) {
      await new Promise((r) => setTimeout(r, 250));  // every replica applies it within its 2 s check
      await other.reload();
    }
    assert.equal(await other.inputValue("#reply-text"), reply, "the other replica applies it");
    await other.close();
  });

  await t.test("a refused change says why and changes nothing", async () => {
    await page.goto(CONSOLE + "/console/numbers/" + NUMBER.paris);
    assert.equal(await page.inputValue("#daily-cap"), "5,00", "a cap is written as French readers write it");
    await page.fill("#daily-cap", "beaucoup");
    const [refused] = await Promise.all([page.waitForNavigation(), page.click("#save-settings")]);
    assert.equal(refused.status(), 400);
    assert.match(await page.textContent("#daily-cap-error"), /Montant illisible/, "the reason, beside the field");
    assert.equal(await page.getAttribute("#daily-cap", "aria-describedby"), "daily-cap-error");
    assert.equal(await page.inputValue("#daily-cap"), "beaucoup", "what was typed is given back");
    assert.doesNotMatch(await page.textContent("main"), /daily_cap/, "never a key path");
    await accessible(page, "refused form");
    await page.goto(CONSOLE + "/console/numbers/" + NUMBER.paris);
    assert.equal(await page.inputValue("#daily-cap"), "5,00", "the refused change changed nothing");
    await page.fill("#daily-cap", "4,00");
    await Promise.all([page.waitForNavigation(), page.click("#save-settings")]);
    assert.match(await page.textContent("[role=status]"), /Enregistré/);
    assert.match(await page.textContent("main"), /sur 4,00\s€/);
  });

  await t.test("a blocked number is answered blocked, and never shown back", async () => {
    await page.goto(CONSOLE + "/console/tenants/paris/blocklist");
    await page.fill("#block-number", "06 99 00 00 99");
    await page.fill("#block-label", "revient sans cesse");
    await Promise.all([page.waitForNavigation(), page.click("#block-button")]);
    assert.match(await page.textContent("[role=status]"), /Bloqué/);
    assert.match(await page.textContent("#blocklist"), /revient sans cesse/);
    assert.doesNotMatch(await page.content(), /699000099/, "the number is never shown back");
    const before = await metric("antirelou_inbound_total", { number: NUMBER.paris, outcome: "blocked" });
    let twiml = "";
    for (let i = 0; i < 20; i++) {  // every replica applies it within its 2 s check
      twiml = await twilioSms("+33699000099", "encore moi");
      if (await metric("antirelou_inbound_total", { number: NUMBER.paris, outcome: "blocked" }) > before) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(await metric("antirelou_inbound_total", { number: NUMBER.paris, outcome: "blocked" }), before + 1);
    assert.doesNotMatch(twiml, /<Message>/);
    await page.fill("#block-number", "06 99");
    await Promise.all([page.waitForNavigation(), page.click("#block-button")]);
    assert.match(await page.textContent("#block-number-error"), /pas un numéro de téléphone complet/);
    await accessible(page, "blocklist");
    await shot(page, "blocklist");
  });

  await t.test("a daily cap reached shows its three budget alerts, without any sender", async () => {
    // Seven replies so far (0.56); a cap of 0.64 is reached by the next one.
    await page.goto(CONSOLE + "/console/numbers/" + NUMBER.paris);
    await page.fill("#daily-cap", "0.64");
    await Promise.all([page.waitForNavigation(), page.click("#save-settings")]);
    assert.match(await page.textContent("main"), /sur 0,64\s€/);
    assert.match(await twilioSms("+33699000030", "salut"), /<Message>/, "the reply that reaches the cap is paid");
    let rows = 0;
    for (let i = 0; i < 40 && rows < 3; i++) {  // alerts are claimed within a second of the spend
      await page.goto(CONSOLE + "/console/tenants/paris/alerts");
      rows = await page.locator("#alerts tbody tr").count();
      if (rows < 3) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(rows, 3, "50, 80 and 100 % of the daily cap");
    assert.match(await page.textContent("#alerts"), /0,64\s€/);
    assert.doesNotMatch(await page.content(), /699000030/, "no sender on the page");
    await accessible(page, "alerts");
    await shot(page, "alerts");
  });

  await t.test("a tenant cannot open another tenant's pages by URL", async () => {
    for (const url of ["/console/tenants/lyon/money", "/console/tenants/lyon/blocklist",
      "/console/tenants/lyon/alerts", "/console/tenants/lyon/entries.csv", `/console/numbers/${NUMBER.lyon}`]) {
      const response = await page.goto(CONSOLE + url);
      assert.equal(response.status(), 404, url);
    }
    const csrf = await page.getAttribute("form.signout input[name=csrf]", "value");
    const pause = await page.request.post(CONSOLE + `/console/numbers/${NUMBER.lyon}/pause`, { form: { csrf } });
    assert.equal(pause.status(), 404);
    const topUp = await page.request.post(CONSOLE + "/console/tenants/lyon/top-up", { form: { csrf, amount: "1" } });
    assert.equal(topUp.status(), 404);
  });

  await t.test("the page during an attack says what to do, in plain words", async () => {
    await page.goto(CONSOLE + "/console/during-an-attack");
    assert.equal(await page.textContent("h1"), "Pendant une attaque");
    assert.match(await page.textContent("main"), /Inutile de changer de numéro/);
    await accessible(page, "during an attack");
    await shot(page, "attack");
  });

  await t.test("English by the switch link", async () => {
    await page.goto(CONSOLE + "/console/");
    await Promise.all([page.waitForNavigation(), page.click("a.lang")]);
    assert.equal(await page.getAttribute("html", "lang"), "en");
    assert.equal(await page.textContent("h1"), "Overview");
    await accessible(page, "overview (English)");
    await shot(page, "overview-en");
  });

  await t.test("signing out ends the session, even for a copy of its cookie on another replica", async () => {
    const copied = (await context.cookies()).find((c) => c.name === "antirelou_console");
    assert.ok(copied, "signed in");
    await Promise.all([page.waitForNavigation(), page.click("form.signout button")]);
    assert.match(page.url(), /\/console\/login$/);
    assert.equal((await context.cookies()).find((c) => c.name === "antirelou_console"), undefined);
    await page.goto(CONSOLE + "/console/tenants/paris/money");
    assert.match(page.url(), /\/console\/login$/);
    const replay = await fetch(CONSOLE_2 + "/console/tenants/paris/money",
      { headers: { Cookie: `antirelou_console=${copied.value}` }, redirect: "manual" });
    assert.equal(replay.status, 303, "the other replica refuses the copied cookie");
  });

  await t.test("on a phone (390 px wide), no page scrolls sideways", async () => {
    const phone = await browser.newContext({ locale: "fr-FR", viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const small = await phone.newPage();
    small.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
    const wide = async (name) => {
      const { scrollWidth, innerWidth } = await small.evaluate(() =>
        ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      assert.ok(scrollWidth <= innerWidth, `${name}: ${scrollWidth} px wide in a ${innerWidth} px window`);
      await accessible(small, `${name} (phone)`);
      await shot(small, `${name}-phone`);
    };
    await small.goto(CONSOLE + "/console/login");
    await wide("signin");
    await signIn(small, CONSOLE, TOKEN.paris);
    for (const [name, url] of [["overview", "/console/"], ["number", "/console/numbers/" + NUMBER.paris],
      ["money", "/console/tenants/paris/money"], ["blocklist", "/console/tenants/paris/blocklist"],
      ["alerts", "/console/tenants/paris/alerts"], ["incidents", "/console/tenants/paris/incidents"],
      ["attack", "/console/during-an-attack"]]) {
      await small.goto(CONSOLE + url);
      await wide(name);
    }
    await phone.close();
  });

  await t.test("the operator sees every tenant", async () => {
    await signIn(page, CONSOLE, TOKEN.operator);
    const main = await page.textContent("main");
    assert.match(main, new RegExp(NUMBER.paris.replace("+", "\\+")));
    assert.match(main, new RegExp(NUMBER.lyon.replace("+", "\\+")));
    const response = await page.goto(CONSOLE + "/console/tenants/lyon/money");
    assert.equal(response.status(), 200);
  });

  await t.test("no page broke its Content-Security-Policy", () => {
    assert.deepEqual(cspViolations, []);
  });
});
