//! Demo data of Tây Ninh (2019): the agency tree, the procedure catalogue and one account per
//! role. Loaded only when `cqdt serve` starts with no configuration, or by `cqdt seed --demo`.

use crate::accounts::{RegisterInput, StaffInput};
use crate::agencies::Format;
use crate::{App, AppResult, Ctx};

/// The 2019 agency tree: UBND tỉnh, 19 departments, 9 districts, 95 communes.
pub const AGENCIES_CSV: &str = include_str!("../../../data/demo/tay-ninh/agencies.csv");

/// The password of every demo account (printed at start-up; demo mode only).
pub const DEMO_PASSWORD: &str = "TayNinh@2019";

/// A demo login to print.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub login: String,
    pub role: &'static str,
    pub agency: &'static str,
}

/// The demo staff accounts: (e-mail, full name, agency identifier, role).
pub const STAFF: &[(&str, &str, &str, &str)] = &[
    (
        "quantri@tayninh.demo",
        "Nguyễn Văn Quản",
        "000.00.00.H53",
        "administrator",
    ),
    (
        "motcua@tayninh.demo",
        "Trần Thị Một",
        "000.00.20.H53",
        "one_stop_officer",
    ),
    (
        "chuyenvien@tayninh.demo",
        "Lê Văn Chuyên",
        "000.00.20.H53",
        "specialist",
    ),
    (
        "lanhdao@tayninh.demo",
        "Phạm Thị Lãnh",
        "000.00.20.H53",
        "leader",
    ),
    (
        "vanthu@tayninh.demo",
        "Võ Thị Thư",
        "000.00.01.H53",
        "clerk",
    ),
    // Electronic documents (issue 5): the office of UBND tỉnh (clerk, leader, specialist) and
    // the clerk of UBND huyện Tân Biên, to send documents from one agency to the other.
    (
        "vanthutinh@tayninh.demo",
        "Trương Thị Văn",
        "000.00.00.H53",
        "clerk",
    ),
    (
        "lanhdaotinhvp@tayninh.demo",
        "Hồ Văn Đạo",
        "000.00.00.H53",
        "leader",
    ),
    (
        "chuyenvientinh@tayninh.demo",
        "Mai Thị Viên",
        "000.00.00.H53",
        "specialist",
    ),
    (
        "vanthutanbien@tayninh.demo",
        "Lý Thị Biên",
        "000.00.21.H53",
        "clerk",
    ),
    (
        "thuky@tayninh.demo",
        "Đặng Văn Ký",
        "000.00.01.H53",
        "meeting_secretary",
    ),
    (
        "thongke@tayninh.demo",
        "Huỳnh Thị Kê",
        "000.00.04.H53",
        "statistics_officer",
    ),
    (
        "lanhdaotinh@tayninh.demo",
        "Bùi Văn Tỉnh",
        "000.00.00.H53",
        "province_viewer",
    ),
];

pub const CITIZEN_LOGIN: &str = "congdan@tayninh.demo";

impl App {
    /// Load the demo agencies and accounts into an empty database.
    pub async fn seed_demo(&self) -> AppResult<Vec<DemoAccount>> {
        let ctx = Ctx::cli();
        self.agencies_import(&ctx, Format::Csv, AGENCIES_CSV.as_bytes())
            .await?;
        self.seed_demo_procedures().await?;
        let mut out = Vec::new();
        for (email, name, agency, role) in STAFF {
            let input = StaffInput {
                full_name: (*name).into(),
                email: (*email).into(),
                phone: None,
                agency_identifier: (*agency).into(),
                password: DEMO_PASSWORD.into(),
                roles: vec![(*role).into()],
            };
            if *role == "administrator" {
                // The demo administrator administers the whole platform.
                let u = self
                    .create_platform_admin(name, email, DEMO_PASSWORD)
                    .await?;
                let _ = u;
            } else {
                self.create_staff(&ctx, &input).await?;
            }
            out.push(DemoAccount {
                login: (*email).into(),
                role,
                agency,
            });
        }
        self.register(
            &ctx,
            &RegisterInput {
                full_name: "Ngô Thị Dân".into(),
                login: CITIZEN_LOGIN.into(),
                password: DEMO_PASSWORD.into(),
                password_confirm: None,
                id_number: Some("072190000001".into()),
                kind: None,
            },
        )
        .await?;
        out.push(DemoAccount {
            login: CITIZEN_LOGIN.into(),
            role: "citizen",
            agency: "",
        });
        Ok(out)
    }
}

/// A one-page PDF standing in for the scan of a demo document.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

impl App {
    /// Two paper incoming documents registered at UBND tỉnh, so the incoming register is not
    /// empty on first start (`cqdt seed --demo`, `cqdt serve` with the demo). Separate from
    /// [`App::seed_demo`] so tests start from empty registers.
    pub async fn seed_demo_documents(&self) -> AppResult<()> {
        use crate::documents::PaperIncoming;
        use crate::files::Upload;
        use cqdt_domain::document::{Secrecy, Urgency};
        use cqdt_domain::files::FileKind;
        let ctx = Ctx::cli();
        let Some(province) = self.store.agency_by_identifier("000.00.00.H53").await? else {
            return Ok(());
        };
        let docs = [
            (
                "cong_van",
                "Về việc báo cáo tình hình cải cách hành chính quý IV",
                "Bộ Nội vụ",
                "125/BNV-CCHC",
                Urgency::Normal,
            ),
            (
                "quyet_dinh",
                "Quyết định ban hành Kế hoạch chuyển đổi số năm 2020",
                "Bộ Thông tin và Truyền thông",
                "09/QĐ-BTTTT",
                Urgency::Urgent,
            ),
        ];
        for (ty, subject, sender, number, urgency) in docs {
            self.document_register_paper(
                &ctx,
                PaperIncoming {
                    agency_id: province.id,
                    type_code: ty.into(),
                    subject: subject.into(),
                    sender_name: sender.into(),
                    sender_identifier: None,
                    sender_number: Some(number.into()),
                    sender_date: None,
                    signer: None,
                    urgency,
                    secrecy: Secrecy::None,
                    handling_days: None,
                    scans: vec![Upload::of_kind(
                        FileKind::Working,
                        "ban-quet.pdf",
                        DEMO_PDF.to_vec(),
                    )],
                },
            )
            .await?;
        }
        Ok(())
    }
}
