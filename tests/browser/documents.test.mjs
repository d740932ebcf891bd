// Browser test of the electronic documents flow (issue 5) in real headless Chromium, axe-core on
// every page: the clerk of UBND tỉnh registers a paper incoming document with its scan → the
// leader assigns it to the specialist → the specialist drafts the reply (a PDF) and links it →
// the leader passes it to signature and signs → the clerk numbers and issues it → the clerk of
// UBND huyện Tân Biên finds it in the inbox and registers it → the sender's page shows the
// receiver's status 03 "Tiếp nhận, vào sổ văn bản đến" → the sender asks for it back (13), the
// district refuses (16), then agrees to a second request (15) and its copy is withdrawn.
//
// Signing uses the server's signing service (its provincial test CA); the document reaches
// the district and its status comes back through the outbox dispatcher (every second), so the
// inbox and the sender's page are reloaded until they show it (at most 20 s).
// Run with tests/browser/run.sh.

import assert from 'node:assert/strict';
import { browserTest, DEMO_PASSWORD } from './support.mjs';

// A real one-page PDF (offsets computed), so that signing embeds signatures and issuing
// stamps the number.
const PDF = (() => {
  const content = 'BT /F1 14 Tf 72 700 Td (Cong van tra loi) Tj ET';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.7\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
})();
const pdf = (name) => ({ name, mimeType: 'application/pdf', buffer: PDF });

const CLERK = 'vanthutinh@tayninh.demo';
const LEADER = 'lanhdaotinhvp@tayninh.demo';
const SPECIALIST = 'chuyenvientinh@tayninh.demo';
const CITY_CLERK = 'vanthutanbien@tayninh.demo';
const CITY = 'UBND huyện Tân Biên';
const INCOMING_SUBJECT = 'Về việc đề nghị hỗ trợ kinh phí chuyển đổi số năm 2020';
const REPLY_SUBJECT = 'Về việc hỗ trợ kinh phí chuyển đổi số năm 2020 cho huyện Tân Biên';

const nav = (page) => page.getByRole('navigation', { name: 'Điều hướng chính' });
const main = (page) => page.getByRole('main');
const actionForm = (page, title) => main(page).getByRole('region', { name: title, exact: true });

async function logIn(s, login) {
  await s.goto('/dang-nhap', `login page (${login})`);
  const page = s.page;
  await page.getByLabel('Thư điện tử hoặc số điện thoại').fill(login);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(DEMO_PASSWORD);
  await s.navigating(() => main(page).getByRole('button', { name: 'Đăng nhập' }).click(), `logged in as ${login}`);
  assert.equal(new URL(page.url()).pathname, '/', `${login} is logged in`);
}

async function logOut(s) {
  await s.navigating(() => nav(s.page).getByRole('button', { name: 'Đăng xuất' }).click(), 'logged out');
}

async function press(s, name, step, scope = main(s.page), expect = null) {
  const status = await s.navigating(() => scope.getByRole('button', { name, exact: true }).click(), step);
  if (expect === null) assert.ok(status < 400, `"${name}" answered ${status} on ${s.where()}`);
  else assert.equal(status, expect, `"${name}" on ${s.where()}`);
  return status;
}

async function expectState(page, text) {
  const lead = await main(page).locator('p.lead').first().innerText();
  assert.ok(lead.includes(text), `the document is "${text}" (got: ${lead})`);
}

async function expectNotice(page, text) {
  assert.match(await main(page).getByRole('status').first().innerText(), new RegExp(text));
}

/** From "my documents", open the document of a group by (part of) its subject. */
async function openFromWork(s, group, subject) {
  await s.goto('/van-ban', 'my documents');
  const section = main(s.page).getByRole('region', { name: new RegExp(`^${group}`) });
  const row = section.getByRole('row').filter({ hasText: subject });
  await s.navigating(() => row.getByRole('link').first().click(), `open: ${subject}`);
}

browserTest('incoming on paper → assign → reply drafted, signed, issued → received by the district', async (s, t) => {
  const page = s.page;

  // 1. The clerk of UBND tỉnh registers a paper document from the district, with its scan.
  await logIn(s, CLERK);
  assert.equal(await nav(page).getByRole('link', { name: 'Văn bản', exact: true }).count(), 1, 'nav link to the documents');
  await s.goto('/van-ban/den', 'incoming register (demo entries)');
  assert.match(await main(page).innerText(), /125\/BNV-CCHC/, 'the demo register is not empty');
  assert.equal(await main(page).getByRole('link', { name: /Sổ đăng ký văn bản đến \(PDF\)/ }).count(), 1, 'print link');
  await s.navigating(() => main(page).getByRole('link', { name: 'Vào sổ văn bản đến (giấy)' }).click(), 'paper registration form');
  await press(s, 'Vào sổ', 'registration refused: sender missing', main(page), 422);
  assert.match(await page.locator('#e-sender_name').innerText(), /nhập/i);
  await page.getByLabel('Cơ quan ban hành (tác giả)').fill(CITY);
  await page.getByLabel('Số, ký hiệu văn bản').fill('45/UBND-VP');
  await page.getByLabel('Ngày tháng văn bản').fill('2020-03-02');
  await page.getByLabel('Loại văn bản').selectOption({ label: 'Công văn' });
  await page.getByLabel('Trích yếu nội dung').fill(INCOMING_SUBJECT);
  await page.getByLabel('Độ khẩn').selectOption({ label: 'Thường' });
  await page.getByLabel('Bản quét văn bản').setInputFiles(pdf('ban-quet-45-ubnd-vp.pdf'));
  await press(s, 'Vào sổ', 'registered');
  await expectNotice(page, 'Đã vào sổ văn bản đến');
  await expectState(page, 'Đã vào sổ, chờ phân công');
  const incomingUrl = s.where();
  const facts = await main(page).locator('dl.facts').first().innerText();
  assert.match(facts, /Số đến/);
  assert.match(await main(page).innerText(), /ban-quet-45-ubnd-vp\.pdf/);
  await logOut(s);

  // 2. The leader assigns it to the specialist.
  await logIn(s, LEADER);
  await openFromWork(s, 'Văn bản đến chờ phân công', INCOMING_SUBJECT);
  const assign = actionForm(page, 'Phân công xử lý');
  await assign.getByLabel('Người chủ trì xử lý').selectOption({ label: 'Mai Thị Viên' });
  await assign.getByLabel('Thời hạn giải quyết (số ngày làm việc)').fill('5');
  await assign.getByLabel('Ý kiến chỉ đạo').fill('Giao Văn phòng tham mưu văn bản trả lời.');
  await press(s, 'Phân công', 'assigned', assign);
  await expectState(page, 'Đã phân công xử lý');
  await logOut(s);

  // 3. The specialist starts, drafts the reply with its PDF and links it.
  await logIn(s, SPECIALIST);
  await openFromWork(s, 'Văn bản được giao xử lý', INCOMING_SUBJECT);
  await press(s, 'Bắt đầu xử lý', 'handling started', actionForm(page, 'Bắt đầu xử lý'));
  await expectState(page, 'Đang xử lý');
  await s.navigating(() => main(page).getByRole('link', { name: 'Soạn văn bản trả lời' }).click(), 'reply draft form');
  await page.getByLabel('Loại văn bản').selectOption({ label: 'Công văn' });
  await page.getByLabel('Trích yếu nội dung').fill(REPLY_SUBJECT);
  await page.getByLabel(CITY, { exact: true }).check();
  await page.getByLabel('Họ tên người ký').fill('Hồ Văn Đạo');
  await page.getByLabel('Chức vụ người ký').fill('Phó Chủ tịch');
  await page.getByLabel('Đơn vị soạn thảo').fill('VP');
  await press(s, 'Lưu dự thảo', 'draft refused: no file', main(page), 422);
  assert.match(await page.locator('#e-main').innerText(), /nhập|chọn|bắt buộc/i);
  await page.getByLabel(CITY, { exact: true }).check();
  await page.getByLabel('Tệp văn bản (PDF)').setInputFiles(pdf('cong-van-tra-loi.pdf'));
  await press(s, 'Lưu dự thảo', 'draft saved');
  await expectNotice(page, 'Đã lưu dự thảo');
  await expectState(page, 'Dự thảo');
  const replyUrl = s.where().split('?')[0];
  await press(s, 'Trình lãnh đạo', 'submitted for review', actionForm(page, 'Trình lãnh đạo xem xét'));
  await expectState(page, 'Chờ lãnh đạo xem xét');
  await s.goto(incomingUrl.split('?')[0], 'incoming document again');
  const link = actionForm(page, 'Văn bản trả lời');
  await link.getByLabel('Văn bản trả lời').selectOption({ index: 1 });
  await press(s, 'Gắn văn bản trả lời', 'reply linked', link);
  await expectNotice(page, 'Đã gắn văn bản trả lời');
  await logOut(s);

  // 4. The leader passes it to signature and signs.
  await logIn(s, LEADER);
  await openFromWork(s, 'Dự thảo chờ xem xét', REPLY_SUBJECT);
  await press(s, 'Trình ký', 'submitted for signature', actionForm(page, 'Trình ký'));
  await expectState(page, 'Chờ ký');
  const signStatus = await s.navigating(
    () => actionForm(page, 'Ký số văn bản').getByRole('button', { name: 'Ký số', exact: true }).click(),
    'sign',
  );
  if (signStatus >= 400) {
    const alert = await page.getByRole('alert').innerText();
    assert.fail(`signing failed: ${alert}`);
  }
  await expectState(page, 'Đã ký, chờ phát hành');
  await logOut(s);

  // 5. The clerk numbers and issues it.
  await logIn(s, CLERK);
  await openFromWork(s, 'Văn bản đã ký chờ phát hành', REPLY_SUBJECT);
  await press(s, 'Cấp số và phát hành', 'issued', actionForm(page, 'Phát hành văn bản'));
  await expectState(page, 'Đã phát hành');
  const h1 = (await page.locator('h1').innerText()).trim();
  const m = /(\d{2,}\/UBND-VP)/.exec(h1);
  assert.ok(m, `the title shows the number and notation (got "${h1}")`);
  const number = m[1];
  // The issued PDF (number stamped, two embedded signatures) is the document's download,
  // and the verification page (public) reports both signatures valid.
  const issuedLink = main(page).getByRole('link', { name: /Tải văn bản đã ban hành/ });
  assert.equal(await issuedLink.count(), 1, 'the issued PDF is offered for download');
  const issuedPdf = await (await page.request.get(new URL(await issuedLink.getAttribute('href'), page.url()).href)).body();
  assert.ok(issuedPdf.includes(Buffer.from('/ETSI.CAdES.detached')), 'embedded signatures');
  await s.navigating(() => main(page).getByRole('link', { name: 'Xác thực chữ ký số của văn bản' }).click(), 'verification page');
  assert.equal((await page.locator('h1').innerText()).trim(), 'Xác thực chữ ký số');
  await page.getByLabel('Tệp cần kiểm tra').setInputFiles({ name: 'van-ban.pdf', mimeType: 'application/pdf', buffer: issuedPdf });
  await s.navigating(() => main(page).getByRole('button', { name: 'Kiểm tra chữ ký' }).click(), 'verification result');
  const result = await main(page).innerText();
  assert.match(result, /Tất cả chữ ký số đều hợp lệ/);
  assert.match(result, /Chữ ký 2\/2: hợp lệ/);
  await s.goto('/van-ban/di', 'outgoing register');
  assert.match(await main(page).innerText(), new RegExp(number));
  await logOut(s);

  // 6. The district's clerk finds it in the inbox and registers it (needs the deliverer).
  await logIn(s, CITY_CLERK);
  await s.goto('/van-ban/hop-thu', 'district inbox');
  const arrived = main(page).getByRole('row').filter({ hasText: number });
  for (let i = 0; i < 20 && (await arrived.count()) === 0; i++) {
    await page.waitForTimeout(1000);
    await page.reload();
  }
  assert.equal(await arrived.count(), 1, `document ${number} arrived in the district's inbox`);
  await press(s, `Vào sổ: ${number}`, 'registered at the district', arrived);
  await expectNotice(page, 'Đã vào sổ văn bản đến');
  await logOut(s);

  // 7. The sender sees the receiver's status 03.
  await logIn(s, CLERK);
  await s.goto(replyUrl, 'issued document with the receiver status');
  const receivers = main(page).getByRole('region', { name: 'Tình trạng xử lý tại nơi nhận' });
  const registeredThere = async () =>
    (await receivers.count()) > 0 && /Tiếp nhận, vào sổ văn bản đến/.test(await receivers.innerText());
  for (let i = 0; i < 20 && !(await registeredThere()); i++) {
    await page.waitForTimeout(1000);
    await page.reload();
  }
  assert.match(await receivers.innerText(), /Tiếp nhận, vào sổ văn bản đến/);
  assert.match(await main(page).locator('ol.timeline').innerText(), /Tiếp nhận, vào sổ văn bản đến/);

  // 8. The sender asks for it back (edXML status 13); the district's clerk refuses with a
  //    reason (16), then agrees to a second request (15): its copy is withdrawn, and both
  //    answers show on the sender's page.
  const recall = async (reason) => {
    const form = actionForm(page, 'Yêu cầu nơi nhận trả lại văn bản (gửi nhầm, sai sót)');
    await form.getByLabel('Lý do').fill(reason);
    await press(s, 'Yêu cầu lấy lại', `recall: ${reason}`, form);
    await expectNotice(page, 'Đã gửi yêu cầu lấy lại văn bản');
  };
  // Without a reason: the message is next to the field, nothing is sent.
  await press(s, 'Yêu cầu lấy lại', 'recall without a reason',
    actionForm(page, 'Yêu cầu nơi nhận trả lại văn bản (gửi nhầm, sai sót)'), 422);
  assert.match(await main(page).locator('.field-error').first().innerText(), /lý do/i);
  await recall('Gửi nhầm nơi nhận');
  await logOut(s);
  // Waits until the district clerk's worklist lists the copy under the senders' requests (the
  // outbox carries the 13), then opens it from there.
  const awaitRequest = async () => {
    await s.goto('/van-ban', 'district worklist');
    const group = () => main(page).getByRole('region', { name: /^Nơi gửi đề nghị lấy lại/ });
    for (let i = 0; i < 20 && (await group().count()) === 0; i++) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    assert.equal(await group().count(), 1, 'the request reached the district');
    await openFromWork(s, 'Nơi gửi đề nghị lấy lại', REPLY_SUBJECT);
    assert.equal(await actionForm(page, 'Đồng ý yêu cầu của nơi gửi').count(), 1);
  };
  await logIn(s, CITY_CLERK);
  await awaitRequest();
  assert.match(await main(page).innerText(), /Lấy lại văn bản: Gửi nhầm nơi nhận/);
  const refuse = actionForm(page, 'Từ chối yêu cầu của nơi gửi');
  await refuse.getByLabel('Lý do').fill('Văn bản đã được phân công xử lý');
  await press(s, 'Từ chối yêu cầu', 'recall refused', refuse);
  await expectNotice(page, 'Đã từ chối yêu cầu của nơi gửi');
  await expectState(page, 'Đã vào sổ');
  await logOut(s);

  const awaitReceiverStatus = async (re) => {
    await s.goto(replyUrl, 'issued document with the receiver status');
    for (let i = 0; i < 20 && !re.test(await main(page).locator('ol.timeline').innerText()); i++) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    assert.match(await main(page).locator('ol.timeline').innerText(), re);
  };
  await logIn(s, CLERK);
  await awaitReceiverStatus(/16 — Từ chối yêu cầu cập nhật \/ lấy lại/);
  assert.match(await main(page).locator('ol.timeline').innerText(), /Văn bản đã được phân công xử lý/);
  await recall('Văn bản có sai sót, sẽ ban hành văn bản thay thế');
  await logOut(s);

  await logIn(s, CITY_CLERK);
  await awaitRequest();
  await press(s, 'Đồng ý', 'recall agreed', actionForm(page, 'Đồng ý yêu cầu của nơi gửi'));
  await expectNotice(page, 'Đã đồng ý yêu cầu của nơi gửi');
  await expectState(page, 'Đã bị thu hồi / lấy lại');
  assert.match(await main(page).innerText(), /Nơi gửi đã lấy lại: Văn bản có sai sót/);
  await logOut(s);

  await logIn(s, CLERK);
  await awaitReceiverStatus(/15 — Đồng ý yêu cầu cập nhật \/ lấy lại/);
  await expectState(page, 'Đã phát hành');
}, { id: 'documents-flow', timeout: 420_000 });

browserTest('documents: search without diacritics, registers, figures', async (s) => {
  const page = s.page;
  await logIn(s, CLERK);
  await s.goto('/van-ban/tim-kiem?q=cai%20cach%20hanh%20chinh', 'search without diacritics');
  assert.match(await main(page).innerText(), /cải cách hành chính/);
  await s.goto('/van-ban/theo-doi', 'follow-up register');
  assert.match(await main(page).innerText(), /Thời hạn giải quyết/);
  await s.goto('/van-ban/di', 'outgoing register');
  assert.equal(await main(page).getByRole('link', { name: /Sổ theo dõi giải quyết văn bản đến \(PDF\)/ }).count(), 1);
  await s.goto('/van-ban/so-lieu', 'figures');
  assert.match(await main(page).innerText(), /Văn bản đến đã vào sổ/);
  await s.goto('/van-ban/hop-thu', 'inbox');
  await logOut(s);
  // A citizen has no documents pages.
  await logIn(s, 'congdan@tayninh.demo');
  assert.equal(await nav(page).getByRole('link', { name: 'Văn bản', exact: true }).count(), 0);
  const status = await s.goto('/van-ban', 'documents refused to a citizen');
  assert.equal(status, 403);
}, { id: 'documents-search-registers', timeout: 180_000 });
