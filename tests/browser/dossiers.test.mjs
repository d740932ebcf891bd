// Browser tests of the dossier flows (issue 4) in real headless Chromium, axe-core on every page:
// (a) a citizen submits online → the desk accepts → the specialist processes → the leader
//     approves → the desk returns the result → the citizen rates the handling;
// (b) a paper dossier received at the desk, a supplement request answered online by the citizen.
// The demo officers work for UBND thành phố Tây Ninh (000.00.20.H53), which offers the
// district-level "Đăng ký thành lập hộ kinh doanh" (1.001612, level 3).
// Run with tests/browser/run.sh.

import assert from 'node:assert/strict';
import { browserTest, DEMO_PASSWORD } from './support.mjs';

const PROCEDURE = 'Đăng ký thành lập hộ kinh doanh';
const CITY = 'UBND thành phố Tây Ninh';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const pdf = (name) => ({ name, mimeType: 'application/pdf', buffer: PDF });

const nav = (page) => page.getByRole('navigation', { name: 'Điều hướng chính' });
const main = (page) => page.getByRole('main');

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

/** Press a button that submits a form and wait for the next page (a success, unless the
 * status to expect is given). */
async function press(s, name, step, scope = main(s.page), expect = null) {
  const status = await s.navigating(() => scope.getByRole('button', { name, exact: true }).click(), step);
  if (expect === null) assert.ok(status < 400, `"${name}" answered ${status} on ${s.where()}`);
  else assert.equal(status, expect, `"${name}" on ${s.where()}`);
}

/** The form of one action of the dossier page (a section headed by the action's title). */
const actionForm = (page, title) => main(page).getByRole('region', { name: title, exact: true });

async function expectState(page, text) {
  const facts = await main(page).locator('dl.facts').first().innerText();
  assert.ok(facts.includes(text), `the dossier is "${text}" (got: ${facts.slice(0, 200)})`);
}

async function expectNotice(page, text) {
  assert.match(await main(page).getByRole('status').first().innerText(), new RegExp(text));
}

/** The household registration form, filled by its labels. */
async function fillHousehold(page) {
  await page.getByLabel('Tên hộ kinh doanh').fill('Tạp hóa Hòa Thành');
  await page.getByLabel('Địa điểm kinh doanh').fill('12 đường 30/4, phường 1, TP Tây Ninh');
  await page.getByLabel('Ngành, nghề kinh doanh').fill('Bán lẻ hàng tạp hóa');
  await page.getByLabel('Vốn kinh doanh (đồng)').fill('50000000');
  await page.getByLabel('Họ, chữ đệm, tên chủ hộ kinh doanh').fill('Ngô Thị Dân');
  await page.getByLabel('Số CMND/CCCD chủ hộ kinh doanh').fill('072190000001');
  await page.getByLabel('Nơi cư trú chủ hộ kinh doanh').fill('12 đường 30/4, phường 1, TP Tây Ninh');
  await page.getByLabel('Số điện thoại liên hệ').fill('0912345678');
}

/** Open a dossier from a worklist by its code. */
async function openFromWorklist(s, queuePath, code) {
  await s.goto(queuePath, `worklist ${queuePath}`);
  await s.navigating(() => main(s.page).getByRole('link', { name: code, exact: true }).click(), `dossier ${code}`);
}

// ---------- (a) the whole online flow ----------

browserTest('online submission → accept → process → approve → return → rating', async (s) => {
  const page = s.page;
  await logIn(s, 'congdan@tayninh.demo');

  // Find the procedure from the home page's search box, without diacritics.
  await page.getByLabel('Tìm thủ tục').fill('thanh lap ho kinh doanh');
  await s.navigating(() => main(page).getByRole('button', { name: 'Tìm kiếm' }).click(), 'search results');
  await s.navigating(() => main(page).getByRole('link', { name: PROCEDURE, exact: true }).click(), 'procedure page');
  assert.equal((await page.locator('h1').innerText()).trim(), PROCEDURE);
  assert.match(await main(page).innerText(), /Mức độ 3/);
  await s.navigating(() => main(page).getByRole('link', { name: 'Nộp hồ sơ trực tuyến' }).first().click(), 'submission form');

  // The form, with one upload per dossier part; save as a draft first.
  await page.getByLabel('Cơ quan tiếp nhận hồ sơ').selectOption({ label: CITY });
  await fillHousehold(page);
  await page.locator('#f-part-1').setInputFiles(pdf('giay-de-nghi.pdf'));
  await press(s, 'Lưu nháp', 'draft saved');
  await expectNotice(page, 'Đã lưu hồ sơ nháp');
  assert.match(await main(page).innerText(), /giay-de-nghi\.pdf/);

  // Review without the second required part: the error is beside it.
  await press(s, 'Tiếp tục: xem lại hồ sơ', 'review refused: a part is missing', main(page), 422);
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1, 'error summary');
  assert.match(await page.locator('#e-part-2').innerText(), /bắt buộc|chưa/i);
  await page.locator('#f-part-2').setInputFiles(pdf('can-cuoc.pdf'));
  await press(s, 'Tiếp tục: xem lại hồ sơ', 'review');
  assert.equal((await page.locator('h1').innerText()).trim(), 'Xem lại trước khi nộp');
  await press(s, 'Nộp hồ sơ', 'receipt');
  assert.equal((await page.locator('h1').innerText()).trim(), 'Biên nhận hồ sơ trực tuyến');
  const code = (await main(page).locator('.notice .code strong').innerText()).trim();
  assert.match(code, /^000\.00\.20\.H53-\d{6}-\d{4}$/);
  await expectState(page, 'Chờ tiếp nhận');
  await logOut(s);

  // The desk accepts and hands over.
  await logIn(s, 'motcua@tayninh.demo');
  await openFromWorklist(s, '/mot-cua?hang-doi=mot-cua', code);
  await expectState(page, 'Chờ tiếp nhận');
  await press(s, 'Tiếp nhận', 'accepted', actionForm(page, 'Tiếp nhận hồ sơ'));
  await expectNotice(page, 'Đã tiếp nhận hồ sơ');
  await expectState(page, 'Đã tiếp nhận, chờ chuyển xử lý');
  await press(s, 'Chuyển xử lý', 'handed over', actionForm(page, 'Chuyển xử lý'));
  await expectState(page, 'Đang xử lý');
  await logOut(s);

  // The specialist completes the processing step.
  await logIn(s, 'chuyenvien@tayninh.demo');
  await openFromWorklist(s, '/mot-cua?hang-doi=xu-ly', code);
  const processForm = actionForm(page, 'Hoàn thành bước xử lý');
  await processForm.getByLabel('Ý kiến xử lý').fill('Hồ sơ hợp lệ, đề nghị cấp giấy chứng nhận.');
  await press(s, 'Hoàn thành bước', 'step completed', processForm);
  await expectState(page, 'Chờ phê duyệt');
  await logOut(s);

  // The leader approves.
  await logIn(s, 'lanhdao@tayninh.demo');
  await openFromWorklist(s, '/mot-cua?hang-doi=phe-duyet', code);
  await press(s, 'Phê duyệt', 'approved', actionForm(page, 'Phê duyệt'));
  await expectState(page, 'Đã có kết quả, chờ trả');
  await logOut(s);

  // The desk returns the result.
  await logIn(s, 'motcua@tayninh.demo');
  await openFromWorklist(s, '/mot-cua?hang-doi=mot-cua', code);
  const ret = actionForm(page, 'Trả kết quả');
  await ret.getByLabel('Nhận trực tiếp tại Bộ phận Một cửa').check();
  await press(s, 'Trả kết quả', 'result returned', ret);
  await expectState(page, 'Đã trả kết quả');
  await logOut(s);

  // The citizen rates the handling.
  await logIn(s, 'congdan@tayninh.demo');
  await s.goto('/ho-so-cua-toi', 'my dossiers');
  await s.navigating(() => main(page).getByRole('link', { name: code, exact: true }).click(), 'my dossier');
  const rate = actionForm(page, 'Đánh giá việc giải quyết hồ sơ');
  await rate.getByLabel('Rất hài lòng').check();
  await rate.getByLabel(/^1\. Tổng thời gian/).selectOption('2');
  await rate.getByLabel('Góp ý (không bắt buộc)').fill('Cán bộ hướng dẫn tận tình.');
  await press(s, 'Gửi đánh giá', 'rated', rate);
  await expectNotice(page, 'Cảm ơn bạn đã đánh giá');
  await expectState(page, 'Rất hài lòng');
  const timeline = await main(page).locator('ol.timeline').innerText();
  for (const label of ['Hồ sơ vào hệ thống', 'Tiếp nhận hồ sơ', 'Chuyển xử lý', 'Hoàn thành bước xử lý', 'Phê duyệt', 'Trả kết quả', 'Người nộp đánh giá']) {
    assert.ok(timeline.includes(label), `timeline shows "${label}"`);
  }
  assert.match(timeline, /\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/, 'local times dd/mm/yyyy HH:MM');
  await logOut(s);

  // Anyone can look it up with the code and the ID number.
  await s.goto('/tra-cuu', 'lookup form');
  await page.getByLabel('Mã hồ sơ').fill(code);
  await page.getByLabel('Số định danh cá nhân của người nộp').fill('072190000001');
  await press(s, 'Tra cứu', 'lookup result');
  assert.match(await main(page).innerText(), /Đã trả kết quả/);
}, { id: 'dossier-online-flow', timeout: 300_000 });

// ---------- (b) desk reception, supplement answered online ----------

browserTest('desk reception → supplement request → answered online → accepted', async (s) => {
  const page = s.page;
  await logIn(s, 'motcua@tayninh.demo');
  await s.goto('/mot-cua', 'desk worklist');
  await s.navigating(() => main(page).getByRole('link', { name: 'Tiếp nhận hồ sơ giấy' }).click(), 'reception: choose the procedure');
  await page.getByLabel('Thủ tục hành chính').selectOption({ label: `${PROCEDURE} (1.001612)` });
  await press(s, 'Chọn thủ tục', 'reception form');
  await page.getByLabel('Cơ quan tiếp nhận').selectOption({ label: CITY });
  await page.getByLabel('Họ và tên người nộp').fill('Ngô Thị Dân');
  await page.getByLabel('Số định danh cá nhân', { exact: true }).fill('072190000001');
  await page.getByLabel('Số điện thoại', { exact: true }).fill('0912345678');
  await page.getByLabel('Tài khoản của người nộp (để theo dõi trực tuyến)').fill('congdan@tayninh.demo');
  await fillHousehold(page);
  await page.locator('#f-part-1').setInputFiles(pdf('scan-giay-de-nghi.pdf'));
  await page.getByLabel('Chưa tiếp nhận: để kiểm tra sau').check();
  await press(s, 'Lưu hồ sơ', 'dossier registered');
  await expectNotice(page, 'Đã lưu hồ sơ');
  await expectState(page, 'Chờ tiếp nhận');
  const code = (await page.locator('h1').innerText()).replace('Hồ sơ', '').trim();
  assert.match(code, /^000\.00\.20\.H53-\d{6}-\d{4}$/);

  // One supplement request listing every reason; an empty one is refused beside the box.
  const sup = () => actionForm(page, 'Yêu cầu bổ sung hồ sơ');
  await press(s, 'Gửi yêu cầu bổ sung', 'supplement without reasons', sup(), 422);
  assert.match(await page.locator('#e-request_supplement-reasons').innerText(), /lý do/);
  await sup().getByLabel('Nội dung cần bổ sung, mỗi dòng một nội dung').fill(
    'Thiếu bản sao căn cước của chủ hộ\nGiấy đề nghị chưa có chữ ký',
  );
  await press(s, 'Gửi yêu cầu bổ sung', 'supplement requested', sup());
  await expectState(page, 'Chờ bổ sung hồ sơ');
  await logOut(s);

  // The citizen answers online with the missing paper.
  await logIn(s, 'congdan@tayninh.demo');
  await s.goto('/ho-so-cua-toi', 'my dossiers');
  await s.navigating(() => main(page).getByRole('link', { name: code, exact: true }).click(), 'dossier awaiting the supplement');
  const reasons = await main(page).getByRole('region', { name: 'Nội dung yêu cầu bổ sung' }).innerText();
  assert.match(reasons, /Thiếu bản sao căn cước của chủ hộ/);
  assert.match(reasons, /Giấy đề nghị chưa có chữ ký/);
  const answer = actionForm(page, 'Xác nhận đã bổ sung hồ sơ');
  await answer.getByLabel('Nội dung đã bổ sung').fill('Bổ sung bản sao căn cước và giấy đề nghị đã ký.');
  await answer.getByLabel('Giấy tờ bổ sung (có thể chọn nhiều tệp)').setInputFiles([pdf('can-cuoc.pdf'), pdf('giay-de-nghi-da-ky.pdf')]);
  await press(s, 'Đã bổ sung', 'supplement answered', answer);
  await expectNotice(page, 'Đã ghi nhận việc bổ sung hồ sơ');
  await expectState(page, 'Chờ tiếp nhận');
  assert.match(await main(page).innerText(), /can-cuoc\.pdf/);
  await logOut(s);

  // The desk accepts it.
  await logIn(s, 'motcua@tayninh.demo');
  await openFromWorklist(s, '/mot-cua?hang-doi=mot-cua', code);
  assert.equal(await actionForm(page, 'Yêu cầu bổ sung hồ sơ').count(), 0, 'no second supplement request');
  await press(s, 'Tiếp nhận', 'accepted after the supplement', actionForm(page, 'Tiếp nhận hồ sơ'));
  await expectState(page, 'Đã tiếp nhận, chờ chuyển xử lý');
}, { id: 'dossier-desk-supplement', timeout: 300_000 });
