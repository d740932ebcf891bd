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

/// (e-mail, full name, agency identifier, role)
const STAFF: &[(&str, &str, &str, &str)] = &[
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
