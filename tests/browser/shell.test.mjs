// Browser tests of the cqdt pages (the "shell": header, login, registration, the pages each
// role reaches) in real headless Chromium, with axe-core on every page visited.
// Run with tests/browser/run.sh.

import assert from 'node:assert/strict';
import { browserTest, DEMO_PASSWORD, runAxe } from './support.mjs';

const FORBIDDEN_H1 = 'Không có quyền truy cập';
const CITY = '000.00.20.H53';

/** Administration pages linked from the main navigation, and the roles that see the link. */
const ADMIN_NAV = {
  '/quan-tri/tai-khoan': ['administrator', 'leader'],
  '/quan-tri/nhat-ky': ['administrator'],
  '/quan-tri/khoa-api': ['administrator'],
};

/** The demo accounts (password TayNinh@2019), see crates/app/src/demo.rs. */
const ACCOUNTS = [
  { login: 'quantri@tayninh.demo', name: 'Nguyễn Văn Quản', role: 'administrator', roleLabel: 'Quản trị hệ thống' },
  { login: 'motcua@tayninh.demo', name: 'Trần Thị Một', role: 'one_stop_officer', roleLabel: 'Cán bộ Bộ phận Một cửa', agency: CITY },
  { login: 'chuyenvien@tayninh.demo', name: 'Lê Văn Chuyên', role: 'specialist', roleLabel: 'Chuyên viên', agency: CITY },
  { login: 'lanhdao@tayninh.demo', name: 'Phạm Thị Lãnh', role: 'leader', roleLabel: 'Lãnh đạo', agency: CITY },
  { login: 'vanthu@tayninh.demo', name: 'Võ Thị Thư', role: 'clerk', roleLabel: 'Văn thư', agency: '000.00.01.H53' },
  { login: 'thuky@tayninh.demo', name: 'Đặng Văn Ký', role: 'meeting_secretary', roleLabel: 'Thư ký cuộc họp', agency: '000.00.01.H53' },
  { login: 'thongke@tayninh.demo', name: 'Huỳnh Thị Kê', role: 'statistics_officer', roleLabel: 'Cán bộ thống kê', agency: '000.00.04.H53' },
  { login: 'lanhdaotinh@tayninh.demo', name: 'Bùi Văn Tỉnh', role: 'province_viewer', roleLabel: 'Lãnh đạo tỉnh (theo dõi)', agency: '000.00.00.H53' },
  { login: 'congdan@tayninh.demo', name: 'Ngô Thị Dân', role: 'citizen', roleLabel: null },
];

/** The staff of UBND thành phố Tây Ninh in the demo data. */
const CITY_STAFF = ['Lê Văn Chuyên', 'Phạm Thị Lãnh', 'Trần Thị Một'];

// ---------- small page helpers ----------

const nav = (page) => page.getByRole('navigation', { name: 'Điều hướng chính' });

async function h1(page) {
  return (await page.locator('h1').innerText()).trim();
}

async function expectH1(page, text) {
  assert.equal(await h1(page), text, `h1 of ${page.url()}`);
}

async function expectForbidden(s, p) {
  const status = await s.goto(p, `${p} forbidden`);
  assert.equal(status, 403, `status of ${p}`);
  await expectH1(s.page, FORBIDDEN_H1);
}

/** Fill the login form by its labels and submit it with the button. */
async function logIn(s, login, password = DEMO_PASSWORD) {
  const page = s.page;
  await page.getByLabel('Thư điện tử hoặc số điện thoại').fill(login);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password);
  await s.navigating(
    () => page.getByRole('main').getByRole('button', { name: 'Đăng nhập' }).click(),
    'after login',
  );
}

async function expectLoggedInAs(page, name) {
  const link = nav(page).getByRole('link', { name: `Tài khoản của tôi (${name})` });
  assert.equal(await link.count(), 1, `the header shows "Tài khoản của tôi (${name})" on ${page.url()}`);
}

async function logOut(s) {
  const page = s.page;
  await s.navigating(() => nav(page).getByRole('button', { name: 'Đăng xuất' }).click(), 'after logout');
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await nav(page).getByRole('button', { name: 'Đăng xuất' }).count(), 0, 'no logout button');
  assert.equal(await nav(page).getByRole('link', { name: 'Đăng nhập', exact: true }).count(), 1, 'login link back');
  // The session is over: an account page sends to the login page again.
  await s.goto('/tai-khoan', 'account page after logout');
  assert.equal(new URL(page.url()).pathname, '/dang-nhap');
}

/** The texts of the first column of the main table. */
async function firstColumn(page) {
  return page.locator('main table tbody tr').evaluateAll((rows) =>
    rows.map((r) => r.querySelector('td').innerText.trim()),
  );
}

// ---------- 1. every demo account ----------

for (const acc of ACCOUNTS) {
  browserTest(`demo account ${acc.login} (${acc.role}) logs in, reaches its pages, logs out`, async (s) => {
    const page = s.page;
    await s.goto('/dang-nhap', 'login page');
    await expectH1(page, 'Đăng nhập');
    await logIn(s, acc.login);
    assert.equal(new URL(page.url()).pathname, '/', 'after login: home page');
    await expectLoggedInAs(page, acc.name);

    // Pages everyone reaches.
    await expectH1(page, 'Cổng Chính quyền điện tử');
    const roles = page.getByRole('main').locator('ul.roles');
    if (acc.roleLabel) {
      assert.match(await roles.innerText(), new RegExp(acc.roleLabel.replace(/[()]/g, '\\$&')), 'home lists the role');
    } else {
      assert.match(await page.getByRole('main').innerText(), /Tài khoản chưa được phân vai trò nào/);
    }

    assert.equal(await s.goto('/tai-khoan', 'my account'), 200);
    await expectH1(page, 'Tài khoản của tôi');
    const profile = await page.getByRole('main').innerText();
    assert.ok(profile.includes(acc.name), 'profile shows the name');
    assert.ok(profile.includes(acc.login), 'profile shows the e-mail');

    assert.equal(await s.goto('/co-quan', 'agencies'), 200);
    await expectH1(page, 'Cơ quan, đơn vị');
    assert.ok((await page.locator('main table tbody tr').count()) > 100, 'the demo agency tree is listed');
    const addAgency = page.getByRole('main').getByRole('link', { name: 'Thêm cơ quan' });
    assert.equal(await addAgency.count(), acc.role === 'administrator' ? 1 : 0, '"Thêm cơ quan" only for administrators');

    // The header links the administration pages of the role only, and each link opens.
    const adminLinks = await nav(page)
      .locator('a[href^="/quan-tri/"]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const [href, roles] of Object.entries(ADMIN_NAV)) {
      assert.equal(adminLinks.includes(href), roles.includes(acc.role), `header link to ${href} for ${acc.role}`);
    }
    for (const href of adminLinks) {
      assert.equal(await s.goto(href, `header link ${href}`), 200, `the header link ${href} opens`);
      assert.notEqual(await h1(page), FORBIDDEN_H1, `the header link ${href} opens`);
      await expectLoggedInAs(page, acc.name);
    }

    if (acc.role === 'administrator') {
      assert.equal(await s.goto('/quan-tri/tai-khoan', 'staff accounts'), 200);
      await expectH1(page, 'Tài khoản cán bộ');
      const names = await firstColumn(page);
      for (const n of CITY_STAFF) assert.ok(names.includes(n), `administrator sees ${n}`);

      assert.equal(await s.goto('/quan-tri/nhat-ky', 'audit log'), 200);
      await expectH1(page, 'Nhật ký hệ thống');
      // The chain is walked only on request (it reads every entry).
      await s.navigating(() => page.getByRole('link', { name: 'Kiểm tra toàn vẹn' }).click(), 'audit log verified');
      assert.match(await page.getByRole('main').getByRole('status').innerText(), /toàn vẹn/);

      assert.equal(await s.goto('/quan-tri/khoa-api', 'api keys'), 200);
      await expectH1(page, 'Khóa API cho hệ thống khác');

      assert.equal(await s.goto('/quan-tri/co-quan/moi', 'new agency'), 200);
      await expectH1(page, 'Thêm cơ quan');
      assert.equal(await page.getByLabel('Mã định danh', { exact: true }).count(), 1, 'the agency form is there');
    }

    if (acc.role === 'leader') {
      assert.equal(await s.goto('/quan-tri/tai-khoan', 'staff accounts'), 200);
      await expectH1(page, 'Tài khoản cán bộ');
      assert.deepEqual((await firstColumn(page)).sort(), [...CITY_STAFF].sort(), `the staff of ${CITY}`);
      await expectForbidden(s, '/quan-tri/nhat-ky');
    }

    if (acc.role === 'clerk') await expectForbidden(s, '/quan-tri/tai-khoan');
    if (acc.role === 'citizen') await expectForbidden(s, '/quan-tri/nhat-ky');

    await logOut(s);
  }, { id: `account-${acc.login.split('@')[0]}` });
}

// ---------- 2. registration ----------

browserTest('registration: errors are summarised and shown beside the field, then success and login', async (s) => {
  const page = s.page;
  const main = page.getByRole('main');
  // Unique data for this run: a mobile number and an ID number no one has.
  const rnd = String(Date.now() % 1e8).padStart(8, '0');
  const phone = `09${rnd}`;
  const idNumber = `0721${rnd}`;
  const fullName = 'Trương Thị Thử Nghiệm';
  const password = 'ThuNghiem#2024';

  await s.goto('/dang-ky', 'registration form');
  await expectH1(page, 'Đăng ký tài khoản công dân, doanh nghiệp');
  const submit = main.getByRole('button', { name: 'Đăng ký', exact: true });

  // Empty form.
  let status = await s.navigating(() => submit.click(), 'registration empty submit');
  assert.equal(status, 422);
  const summary = page.getByRole('alert');
  assert.equal(await summary.count(), 1, 'one error summary');
  assert.equal(await summary.getByRole('heading', { name: 'Có lỗi cần sửa' }).count(), 1, 'summary heading');
  await checkSummaryLinks(page, summary);

  // A second error further down: the confirmation does not match; entered values stay.
  await page.getByLabel('Họ và tên').fill(fullName);
  await page.getByLabel('Thư điện tử hoặc số điện thoại').fill(phone);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password);
  await page.getByLabel('Nhập lại mật khẩu').fill(`${password}x`);
  status = await s.navigating(() => submit.click(), 'registration password mismatch');
  assert.equal(status, 422);
  const fields = await checkSummaryLinks(page, page.getByRole('alert'));
  assert.deepEqual(fields, ['password_confirm']);
  assert.match(await page.locator('#e-password_confirm').innerText(), /không khớp/);
  assert.equal(await page.getByLabel('Họ và tên').inputValue(), fullName, 'the name is kept');
  assert.equal(await page.getByLabel('Thư điện tử hoặc số điện thoại').inputValue(), phone, 'the login is kept');

  // Fill properly.
  await page.getByLabel('Công dân', { exact: true }).check();
  await page.getByLabel('Số định danh cá nhân').fill(idNumber);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password);
  await page.getByLabel('Nhập lại mật khẩu').fill(password);
  await s.navigating(() => submit.click(), 'registration done');
  const u = new URL(page.url());
  assert.equal(u.pathname + u.search, '/dang-nhap?registered');
  assert.equal(
    (await main.getByRole('status').innerText()).trim(),
    'Đăng ký thành công. Mời bạn đăng nhập.',
  );

  await logIn(s, phone, password);
  assert.equal(new URL(page.url()).pathname, '/');
  await expectLoggedInAs(page, fullName);
  await s.goto('/tai-khoan', 'new citizen account');
  const profile = await main.innerText();
  assert.ok(profile.includes(phone), 'profile shows the phone number');
  assert.ok(profile.includes('Công dân'), 'profile shows the account kind');
  await logOut(s);
}, { id: 'registration' });

/**
 * Every link of the error summary points at a field (#f-NAME) that is marked invalid, is
 * described by its message (#e-NAME) shown in the same field block, and the link repeats that
 * message. Following the link puts the focus in the field. Returns the field names.
 */
async function checkSummaryLinks(page, summary) {
  const links = summary.getByRole('link');
  const n = await links.count();
  assert.ok(n >= 1, 'the summary links to at least one field');
  const fields = [];
  for (let i = 0; i < n; i += 1) {
    const link = links.nth(i);
    const href = await link.getAttribute('href');
    assert.match(href, /^#f-[a-z_]+$/, 'summary link points at a field');
    const field = href.slice(3);
    fields.push(field);
    const input = page.locator(`#f-${field}`);
    assert.equal(await input.count(), 1, `the field ${href} exists`);
    assert.equal(await input.getAttribute('aria-invalid'), 'true', `${href} is marked invalid`);
    const describedBy = (await input.getAttribute('aria-describedby')) || '';
    assert.ok(describedBy.split(/\s+/).includes(`e-${field}`), `${href} is described by its message`);
    const message = (await page.locator(`#e-${field}`).innerText()).trim();
    assert.ok(message.length > 0, 'the message beside the field is not empty');
    assert.ok((await link.innerText()).includes(message), 'the summary repeats the message');
    const sameBlock = await page
      .locator(`#e-${field}`)
      .evaluate((e, id) => e.closest('.field') !== null && e.closest('.field') === document.getElementById(id).closest('.field'), `f-${field}`);
    assert.ok(sameBlock, `the message of ${field} is beside the field`);
    await link.click();
    await page.waitForFunction((id) => document.activeElement && document.activeElement.id === id, `f-${field}`);
  }
  return fields;
}

// ---------- 3. keyboard only ----------

browserTest('keyboard: skip link first, then log in with the keyboard only', async (s) => {
  const page = s.page;
  await s.goto('/dang-nhap', 'login page');
  const active = () =>
    page.evaluate(() => {
      const e = document.activeElement;
      return { tag: e.tagName.toLowerCase(), id: e.id, text: e.textContent.trim(), name: e.getAttribute('name') };
    });

  await page.keyboard.press('Tab');
  let a = await active();
  assert.equal(a.tag, 'a');
  assert.equal(a.text, 'Bỏ qua, đến nội dung chính', 'Tab first focuses the skip link');
  const box = await page.evaluate(() => {
    const r = document.activeElement.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height, vw: innerWidth, vh: innerHeight };
  });
  assert.ok(box.w > 0 && box.h > 0 && box.x >= 0 && box.y >= 0 && box.x + box.w <= box.vw && box.y + box.h <= box.vh, `the focused skip link is visible (${JSON.stringify(box)})`);
  await s.screenshot('skip link focused');

  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'main');
  await page.keyboard.press('Tab');
  a = await active();
  assert.equal(a.id, 'f-login', 'after the skip link, Tab reaches the login field');
  await page.keyboard.type('vanthu@tayninh.demo');
  await page.keyboard.press('Tab');
  a = await active();
  assert.equal(a.id, 'f-password', 'then the password field');
  await page.keyboard.type(DEMO_PASSWORD);
  await s.screenshot('login form filled by keyboard');
  await s.navigating(() => page.keyboard.press('Enter'), 'after keyboard login');
  assert.equal(new URL(page.url()).pathname, '/');
  await expectLoggedInAs(page, 'Võ Thị Thư');

  // The logout button is reachable by keyboard too.
  const logout = nav(page).getByRole('button', { name: 'Đăng xuất' });
  await logout.focus();
  await s.navigating(() => page.keyboard.press('Enter'), 'after keyboard logout');
  assert.equal(await nav(page).getByRole('link', { name: 'Đăng nhập', exact: true }).count(), 1);
}, { id: 'keyboard' });

// ---------- 4. phone width ----------

const PHONE = { width: 360, height: 740 };

/** Whether the document scrolls sideways at phone width: null, or what is too wide. */
async function sidewaysScroll(s, label) {
  // With a phone's viewport Chromium widens the layout viewport to fit content that is too
  // wide (and zooms out), so compare with the phone's 360 CSS pixels, not innerWidth.
  const r = await s.page.evaluate((width) => {
    const wide = [];
    for (const e of document.querySelectorAll('body *')) {
      const b = e.getBoundingClientRect();
      // Content inside a scroll box (the tables) may be wider, unless it is absolutely
      // positioned and so escapes the box (the box is not its containing block).
      const pos = getComputedStyle(e).position;
      const escapes = pos === 'absolute' || pos === 'fixed';
      if (b.right > width + 1 && (escapes || !e.closest('.table-wrap')) && !e.matches('.skip-link')) {
        wide.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${String(e.className).split(' ').join('.')}` : ''} (right ${Math.round(b.right)})`);
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 8) };
  }, PHONE.width);
  if (r.scrollWidth <= PHONE.width + 1) return null;
  return `${label}: the document scrolls sideways (scrollWidth ${r.scrollWidth} > ${PHONE.width}); too wide: ${r.wide.join(', ') || '?'}`;
}

/** Open every page of `paths`, then fail once, listing all that scroll sideways. */
async function expectNoSidewaysScroll(s, paths, who = '', more = async () => []) {
  const problems = [];
  for (const p of paths) {
    assert.equal(await s.goto(p, p), 200, `status of ${p}`);
    const problem = await sidewaysScroll(s, `${p}${who}`);
    if (problem) problems.push(problem);
  }
  problems.push(...(await more()));
  if (problems.length > 0) assert.fail(`pages wider than a ${PHONE.width} px phone:\n${problems.join('\n')}`);
}

const PHONE_CONTEXT = { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

browserTest(
  'phone width 360×740: login page and agency list do not scroll sideways',
  async (s) => {
    await expectNoSidewaysScroll(s, ['/dang-nhap', '/co-quan']);
  },
  { id: 'phone', context: PHONE_CONTEXT },
);

// Logged in as the administrator the header has more links and the agency table an extra
// column of edit links (WCAG 2.1 1.4.10 Reflow).
browserTest(
  'phone width 360×740: administrator pages do not scroll sideways',
  async (s) => {
    await s.goto('/dang-nhap', 'login');
    await logIn(s, 'quantri@tayninh.demo');
    await expectLoggedInAs(s.page, 'Nguyễn Văn Quản');
    await expectNoSidewaysScroll(
      s,
      ['/', '/tai-khoan', '/co-quan', '/quan-tri/tai-khoan', '/quan-tri/nhat-ky', '/quan-tri/khoa-api', '/quan-tri/co-quan/moi'],
      ' (administrator)',
      async () => {
        // A new API key: its one-time token and a row with a revoke button.
        await s.goto('/quan-tri/khoa-api', 'api keys before');
        await s.page.getByLabel('Tên đầy đủ').fill('Hệ thống một cửa điện tử');
        await s.navigating(
          () => s.page.getByRole('main').getByRole('button', { name: 'Tạo khóa API' }).click(),
          'api key created',
        );
        assert.equal(await s.page.locator('main code.token').count(), 1, 'the new token is shown');
        const problem = await sidewaysScroll(s, '/quan-tri/khoa-api with a new key (administrator)');
        return problem ? [problem] : [];
      },
    );
  },
  { id: 'phone-admin', context: PHONE_CONTEXT },
);

// ---------- 5. language ----------

browserTest('language switch: English and back to Vietnamese', async (s) => {
  const page = s.page;
  await s.goto('/dang-nhap', 'login in Vietnamese');
  await expectH1(page, 'Đăng nhập');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');

  await s.navigating(() => page.getByRole('link', { name: 'English' }).click(), 'login in English');
  assert.equal(new URL(page.url()).pathname, '/dang-nhap', 'stays on the login page');
  await expectH1(page, 'Log in');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');

  // The choice is remembered on the next page.
  await s.goto('/co-quan', 'agencies in English');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');

  await s.goto('/dang-nhap', 'login in English again');
  await s.navigating(() => page.getByRole('link', { name: 'Tiếng Việt' }).click(), 'login back in Vietnamese');
  assert.equal(new URL(page.url()).pathname, '/dang-nhap');
  await expectH1(page, 'Đăng nhập');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
}, { id: 'language' });

browserTest('working calendar: 2019 shows Tết and the 30/4 holiday, and works at phone width', async (s) => {
  const page = s.page;
  await s.goto('/lich-lam-viec?nam=2019', 'calendar 2019');
  await expectH1(page, 'Lịch làm việc năm 2019');
  const text = await page.locator('main').innerText();
  assert.match(text, /05\/02\/2019/, 'Tết 2019 is on 5 February');
  assert.match(text, /14\/04\/2019/, 'Giỗ Tổ 2019 is on 14 April');
  await s.navigating(() => page.getByRole('link', { name: /2020/ }).first().click(), 'calendar 2020');
  await expectH1(page, 'Lịch làm việc năm 2020');
  await page.setViewportSize({ width: 360, height: 740 });
  await s.goto('/lich-lam-viec?nam=2025', 'calendar 2025 on a phone');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 361, `page is ${width}px wide at 360px`);
}, { id: 'calendar' });

// The accessibility gate itself: what a broken build that served one unlabelled input would
// show. The input is added to the real registration form in the page, and the same axe-core
// run every step uses must flag it as a serious or critical violation of rule "label", which
// is what fails a test (the page as served is checked clean by the test above).
browserTest('accessibility gate: an unlabelled input on a real page is a blocking violation', async (s) => {
  await s.goto('/dang-ky', 'registration form as served');
  await s.page.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'text';
    input.name = 'broken';
    input.id = 'broken-unlabelled';
    document.querySelector('main form').prepend(input);
  });
  await s.screenshot('registration form with an unlabelled input');
  const violations = await runAxe(s.page);
  const label = violations.find((v) => v.id === 'label');
  assert.ok(label, `axe-core must report the unlabelled input; it reported ${JSON.stringify(violations.map((v) => v.id))}`);
  assert.ok(['serious', 'critical'].includes(label.impact), `impact ${label.impact} would not fail a test`);
  assert.ok(
    label.nodes.some((n) => n.target.join(' ').includes('#broken-unlabelled')),
    JSON.stringify(label.nodes),
  );
  // runAxe directly, not s.step: the deliberate violation stays out of the run's axe summary.
});
