// The browser journeys of issue 10, in headless Chromium (Debian's) driven by
// playwright-core. Run by tests/e2e/browser.rs against a running stack; reads:
//   HOTLINE_URL                       the gateway, e.g. http://127.0.0.1:12345
//   HOTLINE_AGENT / HOTLINE_UNIT / HOTLINE_OTHER_UNIT   "login:password"
//   HOTLINE_REVIEWER / HOTLINE_HEAD   "login:password" (a reviewer, the center's head)
//   HOTLINE_ADMIN                     "login:password" (an administrator)
//   HOTLINE_UNIT_ID                   the unit the registered order is dispatched to
//   HOTLINE_ARTIFACTS                 where screenshots go
//   HOTLINE_CHROMIUM                  the browser (default /usr/bin/chromium)
// Exits non-zero, naming the failed step, when a journey fails.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = process.env.HOTLINE_URL;
const artifacts = process.env.HOTLINE_ARTIFACTS || "target/test-artifacts/browser";
const unitId = process.env.HOTLINE_UNIT_ID;
const cred = (name) => {
  const [login, password] = (process.env[name] || "").split(":");
  if (!login || !password) throw new Error(`${name} must be login:password`);
  return { login, password };
};
mkdirSync(artifacts, { recursive: true });

let shots = 0;
async function shot(page, name) {
  shots += 1;
  const file = join(artifacts, `${String(shots).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

async function text(page, selector) {
  const found = page.locator(selector);
  if ((await found.count()) === 0) return "";
  return (await found.first().textContent())?.trim() ?? "";
}

/// Reload `url` until `check(page)` holds (the services work asynchronously).
async function until(page, url, check, what, seconds = 60) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    await page.goto(url);
    if (await check(page)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(500);
  }
}

async function login(browser, who, name) {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto(`${base}/console/login`);
  await shot(page, `${name}-login`);
  await page.fill("input[name=principal_id]", who.login);
  await page.fill("input[name=password]", who.password);
  await Promise.all([page.waitForURL(`${base}/console`), page.click("button[type=submit]")]);
  await shot(page, `${name}-console`);
  return { context, page };
}

async function fillRequest(page, matter) {
  await page.fill("input[name=name]", "李四");
  await page.fill("input[name=phone]", "13912345678");
  await page.selectOption("select[name=kind]", "complaint");
  await page.fill("textarea[name=matter]", matter);
  await page.fill("input[name=region_code]", "520102");
  await page.fill("input[name=address]", "南明区某街道");
  await page.fill("input[name=category]", "environment.noise");
}

// (a) register → dispatch → sign → result → review → closed → public tracking shows closed.
async function orderLifecycle(browser) {
  const agent = await login(browser, cred("HOTLINE_AGENT"), "agent");
  await agent.page.click(`a[href="/console/intake"]`);
  await fillRequest(agent.page, "小区旁工地夜间施工，噪声扰民，希望有关部门处理。");
  await shot(agent.page, "agent-intake-filled");
  await agent.page.click("#register");
  await agent.page.waitForSelector("#order-number");
  const number = await text(agent.page, "#order-number");
  const code = await text(agent.page, "#check-code");
  expect(/^\d{10,}$/.test(number), `a receipt with the order number, got ${number}`);
  await shot(agent.page, "agent-receipt");
  await agent.context.close();

  const unit = await login(browser, cred("HOTLINE_UNIT"), "unit");
  const inbox = `${base}/console/units/${unitId}/orders`;
  await until(unit.page, inbox, async (p) => (await p.content()).includes(number), "the order in the unit's inbox");
  await shot(unit.page, "unit-inbox");
  await unit.page.click(`a:has-text("${number}")`);
  await unit.page.waitForSelector("#order-status");
  expect((await text(unit.page, "#order-status")) === "已派单", "the order is dispatched");
  await shot(unit.page, "unit-order-dispatched");
  await unit.page.click("#sign");
  await unit.page.waitForSelector("#submit-result", { timeout: 30000 }).catch(async () => {
    // The router's record may lag the sign command by a moment.
    await until(unit.page, unit.page.url(), async (p) => (await p.locator("#submit-result").count()) > 0, "the result form");
  });
  expect((await text(unit.page, "#order-status")) === "已签收", "the order is signed");
  await shot(unit.page, "unit-order-signed");
  await unit.page.fill("textarea[name=basis]", "《中华人民共和国噪声污染防治法》第四十三条");
  await unit.page.fill("textarea[name=findings]", "经现场核查，噪声来自夜间违规施工。");
  await unit.page.fill("textarea[name=reply]", "已责令施工单位停止夜间施工，并将加强巡查。");
  await unit.page.click("#submit-result");
  await unit.page.waitForSelector("p.ok");
  expect((await text(unit.page, "#order-status")) === "已反馈办理结果", "the result is submitted");
  await shot(unit.page, "unit-result-submitted");
  await unit.context.close();

  // A reviewer opens the result, records every checklist item as passed and accepts it
  // (automatic acceptance is off in this stack); the public tracking page then shows the
  // order closed with the unit's reply.
  const reviewer = await login(browser, cred("HOTLINE_REVIEWER"), "reviewer");
  await openReview(reviewer.page, number);
  await shot(reviewer.page, "review-page");
  await recordChecklist(reviewer.page, []);
  expect((await text(reviewer.page, "#checklist-state")).includes("全部通过"), "every checklist item passed");
  await shot(reviewer.page, "review-checklist-passed");
  await Promise.all([reviewer.page.waitForURL(`${base}/console/review`), reviewer.page.click("#accept")]);
  expect(!(await reviewer.page.content()).includes(number), "the accepted result leaves the queue");
  await reviewer.context.close();

  const citizen = await browser.newPage({ locale: "zh-CN" });
  const track = `${base}/track?number=${number}&check_code=${code}`;
  await until(citizen, track, async (p) => (await text(p, "#order-status")) === "已办结", "the order to be closed (已办结)");
  expect((await text(citizen, "#order-reply")).includes("停止夜间施工"), "the reply is shown once closed");
  await shot(citizen, "public-track-closed");
  await citizen.close();

  // The agent calls the requester back and records the verdict on the closed order;
  // a second call-back on the same order is refused.
  const caller = await login(browser, cred("HOTLINE_AGENT"), "agent-call-back");
  await caller.page.click(`a[href="/console/call-backs"]`);
  await caller.page.waitForSelector("#call-back-form");
  await caller.page.fill("#call-back-form input[name=number]", number);
  await caller.page.check("#call-back-form input[name=verdict][value=satisfied]");
  await caller.page.check("#call-back-form input[name=resolved][value=yes]");
  await caller.page.fill("#call-back-form textarea[name=comment]", "来电人表示施工已停止。");
  await shot(caller.page, "agent-call-back-filled");
  await caller.page.click("#record-call-back");
  await caller.page.waitForSelector("#call-back-recorded");
  await shot(caller.page, "agent-call-back-recorded");
  await caller.page.goto(`${base}/console/call-backs?number=${number}`);
  await caller.page.check("#call-back-form input[name=verdict][value=unsatisfied]");
  await caller.page.check("#call-back-form input[name=resolved][value=no]");
  const [again] = await Promise.all([
    caller.page.waitForResponse((r) => r.url().endsWith("/console/call-backs") && r.request().method() === "POST"),
    caller.page.click("#record-call-back"),
  ]);
  expect(again.status() === 409, `a second call-back is refused, got ${again.status()}`);
  await shot(caller.page, "agent-call-back-refused");
  await caller.context.close();
  return number;
}

// Open the review page of the result of order `number` from the review queue.
async function openReview(page, number) {
  await until(page, `${base}/console/review`, async (p) => (await p.content()).includes(number), `order ${number} in the review queue`);
  await shot(page, "review-queue");
  await Promise.all([page.waitForURL(/\/console\/review\/[0-9a-f-]{36}$/), page.click(`a:has-text("${number}")`)]);
  await page.waitForSelector("#checklist-form");
}

// Record the review checklist: every item passed except those in `failed` (codes);
// `poor` judges the handling poor (A17).
async function recordChecklist(page, failed, poor = false) {
  for (const radio of await page.locator("#checklist-form input[type=radio][value=pass]").all()) {
    await radio.check();
  }
  for (const code of failed) {
    await page.check(`#checklist-form input[name="item.${code}"][value=fail]`);
    await page.fill(`#checklist-form input[name="note.${code}"]`, "未引用具体法规条款");
  }
  if (poor) await page.check("#checklist-form input[name=poor_handling]");
  await page.click("#record-checklist");
  await page.waitForSelector("#checklist-state");
}

async function register(page, matter) {
  await page.goto(`${base}/console/intake`);
  await fillRequest(page, matter);
  await page.click("#register");
  await page.waitForSelector("#order-number");
  const number = await text(page, "#order-number");
  expect(/^\d{10,}$/.test(number), `a receipt with the order number, got ${number}`);
  return number;
}

// Open the unit's page of order `number` once it is in the inbox.
async function openUnitOrder(page, number) {
  const inbox = `${base}/console/units/${unitId}/orders`;
  await until(page, inbox, async (p) => (await p.content()).includes(number), `order ${number} in the unit's inbox`);
  // The inbox line counts down the unit's nearest deadline (the sign clock at first).
  await until(page, inbox, async (p) => (await p.locator(`tr:has-text("${number}") .countdown`).count()) > 0, `a countdown for ${number} in the inbox`);
  await page.click(`a:has-text("${number}")`);
  await page.waitForSelector("#order-status");
}

// (d) the unit disputes one order; on another it signs, sees the deadlines, reports
// progress, asks for an extension and submits a result; the reviewer fails a checklist
// item and proposes a send-back; the center's head approves it; the order is back with
// the unit for a redo.
async function unitFormsAndSendBack(browser) {
  const agent = await login(browser, cred("HOTLINE_AGENT"), "agent-d");
  const disputed = await register(agent.page, "路灯损坏多日无人维修，夜间出行不便。");
  const handled = await register(agent.page, "小区门口道路井盖缺失，存在安全隐患，请尽快处理。");
  await agent.context.close();

  const unit = await login(browser, cred("HOTLINE_UNIT"), "unit-d");
  await openUnitOrder(unit.page, disputed);
  await unit.page.goBack();
  // A15 counts the sign limit in working days, and so does the inbox.
  const signCountdown = await text(unit.page, `tr:has-text("${disputed}") .countdown`);
  expect(/个工作日|已超期/.test(signCountdown), `the sign clock counts working days, got ${signCountdown}`);
  await shot(unit.page, "unit-inbox-countdowns");
  await unit.page.goForward();
  await unit.page.selectOption("#dispute-form select[name=reason]", "not_our_duty");
  await unit.page.fill("#dispute-form textarea[name=explanation]", "路灯维护属于城市管理部门职责，不属于本单位。");
  await shot(unit.page, "unit-dispute-filled");
  await unit.page.click("#dispute");
  await unit.page.waitForSelector("#done");
  expect((await text(unit.page, "#done")).includes("异议已提交"), "the dispute is confirmed");
  await shot(unit.page, "unit-dispute-submitted");

  await openUnitOrder(unit.page, handled);
  await unit.page.click("#sign");
  await until(unit.page, unit.page.url(), async (p) => (await p.locator("#progress-form").count()) > 0, "the handling forms");
  await until(unit.page, unit.page.url(), async (p) => (await p.locator("#clocks .countdown").count()) > 0, "the deadline countdowns");
  const countdown = await text(unit.page, "#clocks .countdown");
  expect(/剩余|已超期|已按时完成/.test(countdown), `a countdown is shown, got ${countdown}`);
  await shot(unit.page, "unit-order-deadlines");
  await unit.page.fill("#progress-form textarea[name=progress]", "已联系市政部门，井盖正在定制。");
  await unit.page.click("#report-progress");
  await unit.page.waitForSelector("#done");
  expect((await text(unit.page, "#done")).includes("进展已报送"), "the progress report is confirmed");
  await shot(unit.page, "unit-progress-reported");
  await unit.page.fill("#extension-form input[name=value]", "3");
  await unit.page.selectOption("#extension-form select[name=reason_code]", "awaiting_materials");
  await unit.page.fill("#extension-form textarea[name=explanation]", "井盖需厂家定制，预计三个工作日到货。");
  await unit.page.click("#request-extension");
  await unit.page.waitForSelector("#done");
  expect((await text(unit.page, "#done")).includes("延期申请已提交"), "the extension request is confirmed");
  await shot(unit.page, "unit-extension-requested");
  await unit.page.fill("textarea[name=basis]", "《城市道路管理条例》");
  await unit.page.fill("textarea[name=findings]", "经核查，井盖被盗。");
  await unit.page.fill("textarea[name=reply]", "已设置临时围挡，新井盖到货后立即安装。");
  await unit.page.click("#submit-result");
  await unit.page.waitForSelector("p.ok");
  const orderUrl = unit.page.url().split("?")[0];

  const reviewer = await login(browser, cred("HOTLINE_REVIEWER"), "reviewer-d");
  await openReview(reviewer.page, handled);
  // The reviewer calls the requester back: reached, unsatisfied.
  await reviewer.page.check("#review-call-back-form input[name=reached][value=yes]");
  await reviewer.page.check("#review-call-back-form input[name=verdict][value=unsatisfied]");
  await reviewer.page.fill("#review-call-back-form textarea[name=verified]", "群众反映井盖仍未安装，临时围挡不牢固。");
  await shot(reviewer.page, "review-call-back-filled");
  await Promise.all([reviewer.page.waitForURL(/call_back=recorded/), reviewer.page.click("#record-review-call-back")]);
  expect((await text(reviewer.page, "#call-back-state")).includes("回访已记录"), "the call-back is recorded");
  await shot(reviewer.page, "review-call-back-recorded");
  // Unsatisfied requester and poor handling: a supervision case (A17).
  await recordChecklist(reviewer.page, ["basis_cited"], true);
  expect((await text(reviewer.page, "#checklist-state")).includes("未通过"), "a failed item is reported");
  expect((await text(reviewer.page, "#case-opened")).includes("督办案件"), "a supervision case is opened");
  expect(await reviewer.page.isChecked(`#send-back-form input[name=failed][value=basis_cited]`), "the failed item is cited");
  await reviewer.page.selectOption("#send-back-form select[name=reason_code]", "basis_missing");
  await reviewer.page.fill("#send-back-form textarea[name=reasons]", "办理依据只写了条例名称，请补充具体条款。");
  await shot(reviewer.page, "review-send-back-filled");
  await Promise.all([reviewer.page.waitForURL(/\/console\/send-backs\//), reviewer.page.click("#propose-send-back")]);
  const proposalUrl = reviewer.page.url();
  expect((await reviewer.page.locator("#approve-send-back").count()) === 0, "a reviewer cannot approve");
  await shot(reviewer.page, "send-back-proposed");
  await reviewer.context.close();

  // The head finds the proposal in the list of send-backs awaiting approval.
  const head = await login(browser, cred("HOTLINE_HEAD"), "head");
  await head.page.click(`a[href="/console/send-backs"]`);
  await head.page.waitForSelector("#send-backs");
  const row = head.page.locator(`#send-backs tr:has-text("${handled}")`);
  expect((await row.count()) === 1, "the proposal is in the head's list");
  await shot(head.page, "head-send-backs-list");
  await Promise.all([head.page.waitForURL(proposalUrl), row.locator("a").click()]);
  expect((await text(head.page, "#proposal-number")) === handled, "the approval page names the order");
  await shot(head.page, "head-approval-page");
  await head.page.click("#approve-send-back");
  await head.page.waitForSelector("#approval");
  expect((await text(head.page, "#approval")).includes("退回原承办单位"), "the send-back is approved");
  await shot(head.page, "head-approved");
  await head.page.goto(`${base}/console/send-backs`);
  expect(!(await head.page.content()).includes(handled), "the approved send-back leaves the list");
  await head.context.close();

  await until(unit.page, orderUrl, async (p) => (await text(p, "#redo-count")) === "1 次", "the order back with the unit for a redo");
  await shot(unit.page, "unit-order-redo");
  await unit.context.close();
  return { disputed, handled };
}

// (e) the center's head reads the supervision board, the analytics dashboard and the
// administration lists.
async function boards(browser, handled) {
  const head = await login(browser, cred("HOTLINE_HEAD"), "head-boards");
  await head.page.click(`a[href="/console/supervision"]`);
  await head.page.waitForSelector("#stages");
  // The case opened in journey d (unsatisfied requester, poor handling) is on the board.
  await head.page.waitForSelector("#cases");
  expect((await text(head.page, `#cases tr:has-text("${handled}")`)).includes("督办单"), "the open case is on the board at notice level");
  expect((await head.page.locator("#escalations, #no-escalations").count()) === 1, "the escalations section is shown");
  expect((await head.page.locator("#near-due, #no-near-due").count()) === 1, "the near-due section is shown");
  await shot(head.page, "supervision-board");
  await head.page.goto(`${base}/console`);
  await head.page.click(`a[href="/console/analytics"]`);
  await head.page.waitForSelector("#kpis");
  await head.page.selectOption("select[name=slice]", "all");
  await head.page.click("#query-kpis");
  await head.page.waitForSelector("#kpis");
  expect((await head.page.locator("table#kpis tbody tr").count()) >= 1, "the KPI table has a row for this month");
  expect((await head.page.locator("svg.bars").count()) >= 1, "the KPIs are drawn as bars");
  await shot(head.page, "analytics-dashboard");
  await head.page.goto(`${base}/console`);
  await head.page.click(`a[href="/console/admin"]`);
  await head.page.waitForSelector("#units");
  await head.page.fill("form.filters input[name=region_code]", unitId.slice(0, 6));
  await Promise.all([head.page.waitForURL(/region_code=/), head.page.click("form.filters button")]);
  await head.page.waitForSelector("#units");
  expect((await head.page.content()).includes(unitId), "the unit directory lists the unit");
  await shot(head.page, "admin-directory");
  await head.context.close();
}

// (f) the administrator creates an account for a unit's staff member, resets its
// password and switches it off; reads the official calendar; reads the time-limit
// policies and writes a new version of one; creates a dispatch rule; imports a unit.
async function administration(browser) {
  const admin = await login(browser, cred("HOTLINE_ADMIN"), "admin");
  await admin.page.click(`a[href="/console/admin/accounts"]`);
  await admin.page.waitForSelector("#accounts");
  const id = `web-staff-${Date.now() % 100000}`;
  await admin.page.fill("#account-form input[name=principal_id]", id);
  await admin.page.fill("#account-form input[name=display_name]", "王五");
  await admin.page.selectOption("#account-form select[name=role]", "unit_handler");
  await admin.page.fill("#account-form input[name=unit_id]", unitId);
  await admin.page.fill("#account-form input[name=password]", "First-Passw0rd");
  await shot(admin.page, "admin-account-filled");
  await admin.page.click("#create-account");
  await admin.page.waitForSelector("#account-done");
  expect((await text(admin.page, `#account-${id}`)).includes(unitId), "the new account is listed with its unit");
  await shot(admin.page, "admin-account-created");
  await admin.page.fill(`#account-${id} input[name=password]`, "Second-Passw0rd");
  await admin.page.click(`#account-${id} button:has-text("重置密码")`);
  await admin.page.waitForSelector("#account-done");
  expect((await text(admin.page, "#account-done")).includes("密码已重置"), "the password is reset");
  await shot(admin.page, "admin-password-reset");
  await Promise.all([admin.page.waitForURL(`${base}/console/admin/accounts`), admin.page.click(`#account-${id} button:has-text("停用")`)]);
  expect((await text(admin.page, `#account-${id}`)).includes("已停用"), "the account is switched off");
  await shot(admin.page, "admin-account-disabled");

  await admin.page.goto(`${base}/console`);
  await admin.page.click(`a[href="/console/admin/calendar"]`);
  await admin.page.waitForSelector("#calendar-years");
  await shot(admin.page, "admin-calendar");

  // The time-limit policies (A15): listed, and one edited into a new version.
  await admin.page.goto(`${base}/console`);
  await admin.page.click(`a[href="/console/policies"]`);
  await admin.page.waitForSelector("#policies");
  expect((await text(admin.page, "#policy-sign")).includes("1 个工作日"), "A15's sign limit is listed");
  await shot(admin.page, "admin-policies");
  const policyRow = "#policy-co-handling-critical";
  await admin.page.fill(`${policyRow} input[name=value]`, "2");
  await admin.page.fill(`${policyRow} input[name=reason]`, "浏览器测试：调整协办报送时限");
  await Promise.all([admin.page.waitForURL(/#policy-co-handling-critical$/), admin.page.click(`${policyRow} button`)]);
  await admin.page.waitForSelector(policyRow);
  const saved = await text(admin.page, policyRow);
  expect(saved.includes("v2") && saved.includes("2 小时") && saved.includes("admin-web"), `the edit is a new version by the administrator, got ${saved}`);
  await shot(admin.page, "admin-policy-saved");

  await admin.page.goto(`${base}/console/admin`);
  await admin.page.waitForSelector("#new-rule-form", { state: "attached" });
  await admin.page.click("details:has(#new-rule-form) summary");
  const rule = `web-rule-${Date.now() % 100000}`;
  await admin.page.fill("#new-rule-form input[name=rule_id]", rule);
  await admin.page.fill("#new-rule-form input[name=category]", "environment.noise");
  await admin.page.fill("#new-rule-form input[name=region_code]", unitId.slice(0, 6));
  await admin.page.selectOption("#new-rule-form select[name=kind]", "suggestion");
  await admin.page.fill("#new-rule-form input[name=unit_id]", unitId);
  await admin.page.fill("#new-rule-form input[name=reason]", "浏览器测试新建规则");
  await shot(admin.page, "admin-rule-filled");
  await Promise.all([admin.page.waitForURL(/\/console\/admin\?region_code=/), admin.page.click("#create-rule")]);
  expect((await admin.page.locator(`#rules tr:has-text("${rule}")`).count()) === 1, "the new rule is listed");
  await shot(admin.page, "admin-rule-created");

  // Units imported from a CSV file (A5): a bad record is named and nothing is imported;
  // the corrected file is imported and listed.
  const region = unitId.slice(0, 6);
  const imported = `${region}-web-${Date.now() % 100000}`;
  const header = "unit_id,name,unit_type,level,region_code,parent_unit_id,line,duties,contacts,active";
  const importFile = async (level) => {
    await admin.page.goto(`${base}/console/admin`);
    await admin.page.click("#unit-import summary");
    await admin.page.fill("#unit-import-data", `${header}\n${imported},浏览器测试导入单位,department,${level},${region},,,,,true\n`);
    await Promise.all([admin.page.waitForURL(`${base}/console/admin/units/import`), admin.page.click("#import-units")]);
    return admin.page.content();
  };
  expect((await importFile("prefecture")).includes("records[0].level"), "the bad record and field are named");
  await shot(admin.page, "admin-units-import-refused");
  expect((await importFile("county")).includes("新增 1 个"), "the corrected file is imported");
  await shot(admin.page, "admin-units-imported");
  await admin.page.goto(`${base}/console/admin?region_code=${region}`);
  expect((await admin.page.locator(`#units tr:has-text("${imported}")`).count()) === 1, "the imported unit is listed");
  await admin.context.close();
}

// (b) a unit user cannot open another unit's order.
async function otherUnitRefused(browser, number) {
  const other = await login(browser, cred("HOTLINE_OTHER_UNIT"), "other-unit");
  const response = await other.page.goto(`${base}/console/units/${unitId}/orders/${number}`);
  expect(response.status() === 403, `another unit's order is refused, got ${response.status()}`);
  expect((await other.page.content()).includes("无权查看其他单位的工单"), "the refusal page says why");
  expect(!(await other.page.content()).includes("已办结"), "nothing of the order is shown");
  await shot(other.page, "other-unit-refused");
  await other.context.close();
}

// (c) a citizen writes a web message and tracks it.
async function citizenMessage(browser) {
  const page = await browser.newPage({ locale: "zh-CN", viewport: { width: 390, height: 844 } });
  await page.goto(`${base}/`);
  await shot(page, "public-home");
  await page.click(`a[href="/message"]`);
  await fillRequest(page, "我家楼下商铺噪声很大，晚上十一点后还在营业，请帮忙处理。");
  await shot(page, "public-message-filled");
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/message")), page.click("button[type=submit]")]);
  expect(response.status() === 201, `the message is accepted, got ${response.status()}`);
  await page.waitForSelector("#order-number");
  const number = await text(page, "#order-number");
  expect(/^\d{10,}$/.test(number), `a receipt with the order number, got ${number}`);
  await shot(page, "public-message-receipt");
  await page.click(`a:has-text("查询办理进度")`);
  await page.waitForSelector("#order-status");
  const status = await text(page, "#order-status");
  expect(status.length > 0, "the tracking page shows a status");
  await shot(page, "public-track");
  // A wrong check code reveals nothing.
  const wrong = await page.goto(`${base}/track?number=${number}&check_code=000000`);
  expect(wrong.status() === 404, "a wrong check code is not found");
  await shot(page, "public-track-wrong-code");
  await page.close();
}

const browser = await chromium.launch({
  executablePath: process.env.HOTLINE_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
let failed = false;
try {
  const number = await orderLifecycle(browser);
  console.log(`journey a: order ${number} registered, handled and closed`);
  await otherUnitRefused(browser, number);
  console.log("journey b: another unit's order refused");
  await citizenMessage(browser);
  console.log("journey c: web message submitted and tracked");
  const d = await unitFormsAndSendBack(browser);
  console.log(`journey d: order ${d.disputed} disputed; order ${d.handled} progress, extension, result, send-back approved by the head`);
  await boards(browser, d.handled);
  console.log("journey e: supervision board, analytics dashboard, administration");
  await administration(browser);
  console.log("journey f: accounts, calendar, new dispatch rule");
} catch (error) {
  failed = true;
  console.error(`browser journey failed: ${error.stack || error}`);
} finally {
  await browser.close();
}
console.log(`${shots} screenshots in ${artifacts}`);
process.exit(failed ? 1 : 0);
