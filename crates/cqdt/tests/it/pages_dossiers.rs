//! The HTML pages of the public portal, the one-stop desk and processing, driven like a browser
//! without JavaScript (cookies, forms with their CSRF token, multipart uploads): search and the
//! procedure page, an online submission through a draft with one upload per dossier part, the
//! whole desk → processing → approval → return → rating flow, a desk reception with a supplement
//! request answered online, the lookup without login, and who may see what.

use crate::TestApp;
use serde_json::json;

/// A small PDF: enough for the content check (`%PDF-` magic and a `.pdf` name).
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

async fn get(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(&url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn post_form(c: &reqwest::Client, url: String, pairs: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(pairs).send().await.unwrap()
}

/// A `multipart/form-data` POST built by hand (the test client has no multipart feature).
async fn post_multipart(
    c: &reqwest::Client,
    url: String,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> reqwest::Response {
    let boundary = "----cqdt-test-boundary-7d1f";
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    c.post(url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The id in `href="/thu-tuc/{id}" class="result-name">{name}<`.
fn procedure_id_of(html: &str, name: &str) -> String {
    let marker = format!("\" class=\"result-name\">{name}<");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} not listed"));
    html[..at]
        .rsplit("href=\"/thu-tuc/")
        .next()
        .unwrap()
        .to_string()
}

/// The value of `<option value="…">{label}</option>`.
fn option_value(html: &str, label: &str) -> String {
    let marker = format!(">{label}</option>");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no option {label}"));
    let start = html[..at].rfind("<option").unwrap();
    html[start..at]
        .split("value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// Every visible input, select and textarea has a label pointing at it.
fn assert_labelled(html: &str) {
    for tag in ["<input id=\"", "<select id=\"", "<textarea id=\""] {
        for id in html
            .split(tag)
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
        {
            assert!(
                html.contains(&format!("for=\"{id}\"")),
                "{tag}{id} has no label"
            );
        }
    }
}

/// The values of the business household registration form (1.001612).
fn household_values() -> Vec<(&'static str, &'static str)> {
    vec![
        ("values.ten_ho_kinh_doanh", "Tạp hóa Hòa Thành"),
        (
            "values.dia_diem_kinh_doanh",
            "12 đường 30/4, phường 1, TP Tây Ninh",
        ),
        ("values.nganh_nghe", "Bán lẻ hàng tạp hóa"),
        ("values.von_kinh_doanh", "50000000"),
        ("values.ho_ten_chu_ho", "Ngô Thị Dân"),
        ("values.so_giay_to_chu_ho", "072190000001"),
        (
            "values.dia_chi_chu_ho",
            "12 đường 30/4, phường 1, TP Tây Ninh",
        ),
        ("values.so_dien_thoai", "0912345678"),
    ]
}

async fn household_procedure(t: &TestApp, c: &reqwest::Client) -> String {
    let (status, html) = get(c, t.url("/thu-tuc?q=thanh+lap+ho+kinh+doanh")).await;
    assert_eq!(status, 200);
    procedure_id_of(&html, "Đăng ký thành lập hộ kinh doanh")
}

/// Posts one action of the dossier page and checks the redirect with its flash message.
async fn act(t: &TestApp, c: &reqwest::Client, csrf: &str, id: &str, fields: &[(&str, &str)]) {
    let mut all = vec![("_csrf", csrf)];
    all.extend_from_slice(fields);
    let r = post_form(c, t.url(&format!("/ho-so/{id}/thao-tac")), &all).await;
    let action = fields.iter().find(|(k, _)| *k == "action").unwrap().1;
    assert_eq!(r.status(), 303, "{action}: {}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("/ho-so/{id}?msg={action}"));
}

#[tokio::test]
async fn search_browse_and_procedure_pages() {
    let t = TestApp::sqlite().await;
    let c = TestApp::client();
    let (status, home) = get(&c, t.url("/")).await;
    assert_eq!(status, 200);
    assert!(
        home.contains("action=\"/thu-tuc\""),
        "search box on the home page"
    );
    assert_labelled(&home);

    // Without diacritics, ranked: the exact procedure first.
    let (status, html) = get(&c, t.url("/thu-tuc?q=dang+ky+ket+hon")).await;
    assert_eq!(status, 200);
    assert_labelled(&html);
    let first = html.split("class=\"result-name\">").nth(1).unwrap();
    assert!(first.starts_with("Thủ tục đăng ký kết hôn<"), "{first:.80}");
    assert!(html.contains("Mức độ 3"));
    let id = procedure_id_of(&html, "Thủ tục đăng ký kết hôn");

    let (status, page) = get(&c, t.url(&format!("/thu-tuc/{id}"))).await;
    assert_eq!(status, 200);
    for text in [
        "<h1>Thủ tục đăng ký kết hôn</h1>",
        "1.000894",
        "Hộ tịch",
        "Mức độ 3 — Dịch vụ công trực tuyến một phần",
        "Thời hạn giải quyết",
        "0,5 ngày làm việc",
        "Thành phần hồ sơ",
        "Bản chính",
        "Căn cứ pháp lý",
        "Cơ quan, nơi thực hiện",
        "UBND phường 1",
        "Nộp hồ sơ trực tuyến",
    ] {
        assert!(page.contains(text), "procedure page lacks {text}");
    }
    assert!(page.contains(&format!("href=\"/thu-tuc/{id}/nop-ho-so\"")));

    // Browse by level and by field; an information-only procedure has no online submission.
    let (_, district) = get(&c, t.url("/thu-tuc?cap=huyen")).await;
    assert!(district.contains("Đăng ký thành lập hộ kinh doanh"));
    assert!(
        !district.contains(">Thủ tục đăng ký kết hôn<"),
        "commune procedures left out"
    );
    let (_, browse) = get(&c, t.url("/thu-tuc")).await;
    assert!(
        browse.contains("href=\"/thu-tuc?linh-vuc=H%E1%BB%99+t%E1%BB%8Bch\"")
            || browse.contains(">Hộ tịch</a>")
    );
    let (_, field) = get(&c, t.url("/thu-tuc?linh-vuc=H%E1%BB%99%20t%E1%BB%8Bch")).await;
    assert!(field.contains("Thủ tục đăng ký khai sinh"));
    assert!(!field.contains("Đăng ký thành lập hộ kinh doanh"));
    let (_, level2) = get(&c, t.url("/thu-tuc?q=chung+thuc+chu+ky")).await;
    let l2 = level2
        .split("href=\"/thu-tuc/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let (_, page) = get(&c, t.url(&format!("/thu-tuc/{l2}"))).await;
    assert!(page.contains("Mức độ 2"));
    assert!(
        !page.contains("/nop-ho-so"),
        "no online submission at level 2"
    );
    // The online form of an information-only procedure is refused.
    let (citizen, _) = t.login("congdan@tayninh.demo").await;
    let (status, _) = get(&citizen, t.url(&format!("/thu-tuc/{l2}/nop-ho-so"))).await;
    assert_eq!(status, 409);
    // Unknown procedure.
    let (status, html) = get(&c, t.url("/thu-tuc/khong-co")).await;
    assert_eq!(status, 404);
    assert!(html.contains("Không tìm thấy thủ tục hành chính."));
    t.stop().await;
}

#[tokio::test]
async fn online_submission_then_desk_processing_approval_return_and_rating() {
    let t = TestApp::sqlite().await;
    let anon = TestApp::client();
    let proc_id = household_procedure(&t, &anon).await;
    let submit = t.url(&format!("/thu-tuc/{proc_id}/nop-ho-so"));

    // Logging in is needed.
    let r = anon.get(&submit).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/dang-nhap");

    let (citizen, csrf) = t.login("congdan@tayninh.demo").await;
    let (status, form) = get(&citizen, submit.clone()).await;
    assert_eq!(status, 200);
    assert_labelled(&form);
    assert!(form.contains("enctype=\"multipart/form-data\""));
    assert!(form.contains("name=\"part-1\"") && form.contains("name=\"part-4\""));
    assert!(form.contains("Tên hộ kinh doanh"));
    assert!(
        form.contains("value=\"072190000001\""),
        "ID number from the account"
    );
    let city = option_value(&form, "UBND thành phố Tây Ninh");

    // A wrong ID number, a missing required value and no files: every error beside its field,
    // the draft is kept.
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("agency_id", city.as_str()),
        ("return_method", "desk"),
        ("id_number", "072190000001"),
        ("buoc", "xem-lai"),
    ];
    let mut bad = household_values();
    bad.retain(|(k, _)| *k != "values.nganh_nghe");
    for v in bad.iter_mut() {
        if v.0 == "values.so_giay_to_chu_ho" {
            v.1 = "123";
        }
    }
    fields.extend(bad.iter().copied());
    let r = post_multipart(&citizen, submit.clone(), &fields, &[]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("role=\"alert\""));
    assert!(
        html.contains("id=\"e-values.so_giay_to_chu_ho\">Số định danh cá nhân gồm 12 chữ số"),
        "ID number message beside the field"
    );
    assert!(
        html.contains("<a href=\"#f-values.so_giay_to_chu_ho\">Số CMND/CCCD chủ hộ kinh doanh: ")
    );
    assert!(html.contains("id=\"e-values.nganh_nghe\">Vui lòng nhập thông tin này."));
    assert!(
        html.contains("id=\"e-part-1\">"),
        "a required part without a file"
    );
    assert!(
        html.contains("value=\"Tạp hóa Hòa Thành\""),
        "what was typed is kept"
    );
    let draft = html
        .split("action=\"/ho-so-nhap/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // A file whose content is not what its name says is refused beside its part; what was
    // typed is saved with the draft.
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("agency_id", city.as_str()),
        ("return_method", "desk"),
        ("buoc", "luu"),
    ];
    fields.extend(household_values());
    let r = post_multipart(
        &citizen,
        t.url(&format!("/ho-so-nhap/{draft}")),
        &fields,
        &[("part-1", "giay-de-nghi.pdf", b"not a pdf at all")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"e-part-1\">"),
        "the file's error beside its part"
    );

    // Resume the draft: fix the form, attach the two required parts, review, submit.
    let (status, resumed) = get(&citizen, t.url(&format!("/ho-so-nhap/{draft}"))).await;
    assert_eq!(status, 200);
    let (_, mine) = get(&citizen, t.url("/ho-so-cua-toi")).await;
    assert!(
        mine.contains(&format!("/ho-so-nhap/{draft}")),
        "the draft is listed"
    );
    assert!(resumed.contains("value=\"Tạp hóa Hòa Thành\""));
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("agency_id", city.as_str()),
        ("return_method", "desk"),
        ("id_number", "072190000001"),
        ("buoc", "xem-lai"),
    ];
    let good = household_values();
    fields.extend(good.iter().copied());
    let r = post_multipart(
        &citizen,
        t.url(&format!("/ho-so-nhap/{draft}")),
        &fields,
        &[
            ("part-1", "giấy đề nghị.pdf", PDF),
            ("part-2", "cccd.pdf", PDF),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    assert_eq!(location(&r), format!("/ho-so-nhap/{draft}/xem-lai"));
    let (status, review) = get(&citizen, t.url(&format!("/ho-so-nhap/{draft}/xem-lai"))).await;
    assert_eq!(status, 200);
    assert!(review.contains("Xem lại trước khi nộp"));
    assert!(review.contains("giấy đề nghị.pdf") && review.contains("cccd.pdf"));
    assert!(review.contains("Nhận trực tiếp tại Bộ phận Một cửa"));
    let r = post_form(
        &citizen,
        t.url(&format!("/ho-so-nhap/{draft}/nop")),
        &[("_csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let receipt_url = location(&r);
    assert!(receipt_url.ends_with("/bien-nhan"), "{receipt_url}");
    let id = receipt_url
        .trim_start_matches("/ho-so/")
        .trim_end_matches("/bien-nhan")
        .to_string();
    let (status, receipt) = get(&citizen, t.url(&receipt_url)).await;
    assert_eq!(status, 200);
    assert!(receipt.contains("Hồ sơ đã được gửi thành công."));
    assert!(receipt.contains("Chờ tiếp nhận"));
    assert!(receipt.contains("100.000 đồng"));
    let code = receipt
        .split("000.00.20.H53-")
        .nth(1)
        .map(|s| format!("000.00.20.H53-{}", &s[..11]))
        .expect("the dossier code");
    // A second submission of the same draft creates nothing.
    let r = post_form(
        &citizen,
        t.url(&format!("/ho-so-nhap/{draft}/nop")),
        &[("_csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/ho-so/{id}"));
    let (_, mine) = get(&citizen, t.url("/ho-so-cua-toi")).await;
    assert!(mine.contains(&code) && mine.contains("Chờ tiếp nhận"));
    assert!(
        !mine.contains(&format!("/ho-so-nhap/{draft}")),
        "no longer a draft"
    );

    // Another citizen may not open it.
    let other = TestApp::client();
    let r = other
        .post(t.url("/api/v1/auth/register"))
        .json(&json!({"full_name": "Lý Thị Hai", "login": "0987654321", "password": crate::PW, "password_confirm": crate::PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (stranger, _) = t.login("0987654321").await;
    let (status, html) = get(&stranger, t.url(&format!("/ho-so/{id}"))).await;
    assert_eq!(status, 403);
    assert!(!html.contains(&code));
    let (status, _) = get(&stranger, t.url(&receipt_url)).await;
    assert_eq!(status, 403);

    // The desk sees it in its worklist and may accept it; the specialist may not.
    let (desk, desk_csrf) = t.login("motcua@tayninh.demo").await;
    let (status, list) = get(&desk, t.url("/mot-cua")).await;
    assert_eq!(status, 200);
    assert_labelled(&list);
    assert!(list.contains(&code) && list.contains("Ngô Thị Dân"));
    assert!(list.contains("Chờ tiếp nhận"));
    let (status, page) = get(&desk, t.url(&format!("/ho-so/{id}"))).await;
    assert_eq!(status, 200);
    assert_labelled(&page);
    assert!(page.contains("name=\"action\" value=\"accept\""));
    assert!(page.contains("name=\"action\" value=\"refuse\""));
    assert!(
        page.contains("Tạp hóa Hòa Thành"),
        "form values for the staff"
    );
    assert!(page.contains("giấy đề nghị.pdf"), "the uploaded parts");
    let file_link = page
        .split(&format!("href=\"/ho-so/{id}/tep/"))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = desk
        .get(t.url(&format!("/ho-so/{id}/tep/{file_link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);
    let (specialist, sp_csrf) = t.login("chuyenvien@tayninh.demo").await;
    let (_, sp_page) = get(&specialist, t.url(&format!("/ho-so/{id}"))).await;
    assert!(
        !sp_page.contains("value=\"accept\""),
        "only the desk accepts"
    );

    act(&t, &desk, &desk_csrf, &id, &[("action", "accept")]).await;
    let (_, page) = get(&desk, t.url(&format!("/ho-so/{id}?msg=accept"))).await;
    assert!(page.contains("Đã tiếp nhận hồ sơ."), "flash message");
    assert!(!page.contains("value=\"accept\""), "no second acceptance");
    assert!(page.contains("value=\"hand_over\""));
    assert!(page.contains("/api/v1/dossiers/") && page.contains("/slips/01"));
    assert!(
        page.contains("Trong hạn") || page.contains("Sắp đến hạn"),
        "deadline in words"
    );
    act(&t, &desk, &desk_csrf, &id, &[("action", "hand_over")]).await;

    let (_, page) = get(&specialist, t.url(&format!("/ho-so/{id}"))).await;
    assert!(page.contains("value=\"process\""), "{page}");
    assert!(page.contains("value=\"consult\""));
    let (_, work) = get(&specialist, t.url("/mot-cua?hang-doi=xu-ly")).await;
    assert!(work.contains(&code));
    act(
        &t,
        &specialist,
        &sp_csrf,
        &id,
        &[("action", "process"), ("note", "Hồ sơ hợp lệ, đề nghị cấp")],
    )
    .await;

    let (leader, ld_csrf) = t.login("lanhdao@tayninh.demo").await;
    let (_, work) = get(&leader, t.url("/mot-cua?hang-doi=phe-duyet")).await;
    assert!(work.contains(&code), "in the approval queue");
    let (_, page) = get(&leader, t.url(&format!("/ho-so/{id}"))).await;
    assert!(page.contains("value=\"approve\"") && page.contains("value=\"reject\""));
    assert!(page.contains("value=\"send_back\""));
    act(&t, &leader, &ld_csrf, &id, &[("action", "approve")]).await;

    let (_, page) = get(&desk, t.url(&format!("/ho-so/{id}"))).await;
    assert!(page.contains("Đã có kết quả, chờ trả"));
    assert!(page.contains("value=\"return_result\""));
    act(
        &t,
        &desk,
        &desk_csrf,
        &id,
        &[("action", "return_result"), ("method", "desk")],
    )
    .await;

    // The applicant rates the handling, once.
    let (_, page) = get(&citizen, t.url(&format!("/ho-so/{id}"))).await;
    assert!(page.contains("Đã trả kết quả"));
    assert!(page.contains("value=\"evaluate\""));
    assert!(!page.contains("value=\"return_result\""));
    act(
        &t,
        &citizen,
        &csrf,
        &id,
        &[
            ("action", "evaluate"),
            ("satisfaction", "very_satisfied"),
            ("index1", "2"),
            ("index7", "2"),
            ("comment", "Cán bộ nhiệt tình"),
        ],
    )
    .await;
    let (_, page) = get(&citizen, t.url(&format!("/ho-so/{id}"))).await;
    assert!(page.contains("Rất hài lòng"));
    assert!(!page.contains("value=\"evaluate\""));
    for label in [
        "Hồ sơ vào hệ thống",
        "Tiếp nhận hồ sơ",
        "Chuyển xử lý",
        "Hoàn thành bước xử lý",
        "Phê duyệt",
        "Trả kết quả",
        "Người nộp đánh giá",
    ] {
        assert!(page.contains(label), "timeline lacks {label}");
    }
    // Local times as dd/mm/yyyy HH:MM.
    let stamp = page.split("<time>").nth(1).unwrap();
    assert_eq!(&stamp[2..3], "/");
    assert_eq!(&stamp[5..6], "/");
    assert_eq!(&stamp[13..14], ":");

    // Lookup without login: the status and timeline, nothing the applicant did not type.
    let (status, found) = get(
        &anon,
        t.url(&format!("/tra-cuu?MHS={code}&SGT=072190000001&SDT=")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(found.contains("Đã trả kết quả") && found.contains("10 — Đã trả kết quả"));
    assert!(!found.contains("Tạp hóa Hòa Thành"), "no form values");
    assert!(
        !found.contains("Hồ sơ hợp lệ, đề nghị cấp"),
        "no internal notes"
    );
    let (status, wrong) = get(
        &anon,
        t.url(&format!("/tra-cuu?MHS={code}&SGT=072190000002&SDT=")),
    )
    .await;
    assert_eq!(status, 404);
    assert!(wrong.contains("id=\"e-MHS\""));
    assert!(!wrong.contains("Đã trả kết quả"));
    let (status, empty) = get(&anon, t.url("/tra-cuu?MHS=&SGT=&SDT=")).await;
    assert_eq!(status, 422);
    assert!(empty.contains("id=\"e-MHS\">Vui lòng nhập thông tin này."));
    t.stop().await;
}

#[tokio::test]
async fn desk_reception_and_a_supplement_answered_online() {
    let t = TestApp::sqlite().await;
    let (desk, desk_csrf) = t.login("motcua@tayninh.demo").await;
    let anon = TestApp::client();
    let proc_id = household_procedure(&t, &anon).await;
    let (status, choose) = get(&desk, t.url("/mot-cua/tiep-nhan")).await;
    assert_eq!(status, 200);
    assert!(choose.contains("Đăng ký thành lập hộ kinh doanh (1.001612)"));
    let (status, form) = get(
        &desk,
        t.url(&format!("/mot-cua/tiep-nhan?thu-tuc={proc_id}")),
    )
    .await;
    assert_eq!(status, 200);
    assert_labelled(&form);
    let city = option_value(&form, "UBND thành phố Tây Ninh");

    let values = household_values();
    let base = |id_number: &'static str| {
        let mut v = vec![
            ("_csrf", desk_csrf.clone()),
            ("procedure_id", proc_id.clone()),
            ("agency_id", city.clone()),
            ("applicant.name", "Ngô Thị Dân".to_string()),
            ("applicant.id_number", id_number.to_string()),
            ("applicant.phone", "0912345678".to_string()),
            ("applicant.account", "congdan@tayninh.demo".to_string()),
            ("channel", "direct".to_string()),
            ("return_method", "desk".to_string()),
            ("accept", "no".to_string()),
        ];
        v.extend(values.iter().map(|(k, x)| (*k, x.to_string())));
        v
    };
    let bad = base("12ab");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_multipart(&desk, t.url("/mot-cua/tiep-nhan"), &bad, &[]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"e-applicant.id_number\">Số định danh cá nhân gồm 12 chữ số"),
        "message beside the applicant's ID number"
    );
    assert!(html.contains("value=\"Ngô Thị Dân\""));

    let good = base("072190000001");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_multipart(
        &desk,
        t.url("/mot-cua/tiep-nhan"),
        &good,
        &[("part-1", "scan-don.pdf", PDF)],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let to = location(&r);
    assert!(to.ends_with("?msg=received"), "{to}");
    let id = to
        .trim_start_matches("/ho-so/")
        .trim_end_matches("?msg=received")
        .to_string();
    let (_, page) = get(&desk, t.url(&to)).await;
    assert!(page.contains("Đã lưu hồ sơ; hồ sơ chờ kiểm tra để tiếp nhận."));
    assert!(page.contains("Chờ tiếp nhận") && page.contains("Trực tiếp tại Bộ phận Một cửa"));
    assert!(page.contains("scan-don.pdf"));
    assert!(page.contains("value=\"accept\""));

    // A supplement request needs its reasons; the message is beside the box.
    let r = post_form(
        &desk,
        t.url(&format!("/ho-so/{id}/thao-tac")),
        &[
            ("_csrf", &desk_csrf),
            ("action", "request_supplement"),
            ("reasons", "  \n "),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-request_supplement-reasons\">Cần nêu ít nhất một lý do."));
    act(
        &t,
        &desk,
        &desk_csrf,
        &id,
        &[
            ("action", "request_supplement"),
            (
                "reasons",
                "Thiếu bản sao căn cước của chủ hộ\nGiấy đề nghị chưa có chữ ký",
            ),
        ],
    )
    .await;
    let (_, page) = get(&desk, t.url(&format!("/ho-so/{id}"))).await;
    assert!(page.contains("<li>Thiếu bản sao căn cước của chủ hộ</li>"));
    assert!(page.contains("<li>Giấy đề nghị chưa có chữ ký</li>"));
    assert!(page.contains("Chờ bổ sung hồ sơ"));
    assert!(
        !page.contains("value=\"accept\""),
        "not while waiting for the supplement"
    );

    // The citizen (linked by the account) answers online with the missing papers.
    let (citizen, csrf) = t.login("congdan@tayninh.demo").await;
    let (_, mine) = get(&citizen, t.url("/ho-so-cua-toi")).await;
    assert!(mine.contains(&format!("/ho-so/{id}")) && mine.contains("Chờ bổ sung hồ sơ"));
    let (_, page) = get(&citizen, t.url(&format!("/ho-so/{id}"))).await;
    assert_labelled(&page);
    assert!(page.contains("value=\"answer_supplement\""));
    assert!(page.contains("value=\"withdraw\""));
    assert!(!page.contains("value=\"accept\""));
    let r = post_multipart(
        &citizen,
        t.url(&format!("/ho-so/{id}/thao-tac")),
        &[
            ("_csrf", csrf.as_str()),
            ("action", "answer_supplement"),
            (
                "note",
                "Đã bổ sung bản sao căn cước và giấy đề nghị có chữ ký",
            ),
        ],
        &[("files", "can-cuoc.pdf", PDF)],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, page) = get(
        &citizen,
        t.url(&format!("/ho-so/{id}?msg=answer_supplement")),
    )
    .await;
    assert!(page.contains("Đã ghi nhận việc bổ sung hồ sơ."));
    assert!(page.contains("Chờ tiếp nhận"));
    assert!(page.contains("can-cuoc.pdf"));

    // Back at the desk: accept now; a second supplement request is not offered.
    let (_, page) = get(&desk, t.url(&format!("/ho-so/{id}"))).await;
    assert!(page.contains("value=\"accept\""));
    assert!(!page.contains("value=\"request_supplement\""));
    assert!(page.contains("Đã bổ sung hồ sơ"));
    act(&t, &desk, &desk_csrf, &id, &[("action", "accept")]).await;
    let (_, page) = get(&desk, t.url(&format!("/ho-so/{id}"))).await;
    assert!(page.contains("Đã tiếp nhận, chờ chuyển xử lý"));
    assert!(
        page.contains("/slips/02"),
        "the supplement slip stays linked"
    );
    // The desk worklist counts by state.
    let (_, list) = get(&desk, t.url("/mot-cua?hang-doi=mot-cua")).await;
    assert!(
        list.contains("Đã tiếp nhận, chờ chuyển xử lý</a>: <strong>1</strong>"),
        "{list}"
    );
    t.stop().await;
}
