//! Small code tables of documents: urgency (with the edXML `Priority`), secrecy, the incoming
//! channel, the edXML handling status codes and the administrative tier of an agency.

use serde::{Deserialize, Serialize};

/// Mức độ khẩn (NĐ 30/2020 Điều 8, Phụ lục I) and the edXML `OtherInfo/Priority` 0–4
/// (standards.md §0; "hỏa tốc hẹn giờ" survives only in edXML and older practice).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Thường.
    #[default]
    Normal,
    /// Khẩn.
    Urgent,
    /// Thượng khẩn.
    VeryUrgent,
    /// Hỏa tốc.
    Flash,
    /// Hỏa tốc hẹn giờ.
    FlashTimed,
}

impl Urgency {
    pub const ALL: [Urgency; 5] = [
        Urgency::Normal,
        Urgency::Urgent,
        Urgency::VeryUrgent,
        Urgency::Flash,
        Urgency::FlashTimed,
    ];
    /// The edXML `Priority`.
    pub fn priority(self) -> u8 {
        match self {
            Urgency::Normal => 0,
            Urgency::Urgent => 1,
            Urgency::VeryUrgent => 2,
            Urgency::Flash => 3,
            Urgency::FlashTimed => 4,
        }
    }
    pub fn from_priority(p: u8) -> Option<Urgency> {
        Urgency::ALL.into_iter().find(|u| u.priority() == p)
    }
    /// Khẩn or more: registered, presented and handed over at once (NĐ 30/2020 Điều 22–24).
    pub fn is_urgent(self) -> bool {
        self != Urgency::Normal
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Urgency::Normal => "Thường",
            Urgency::Urgent => "Khẩn",
            Urgency::VeryUrgent => "Thượng khẩn",
            Urgency::Flash => "Hỏa tốc",
            Urgency::FlashTimed => "Hỏa tốc hẹn giờ",
        }
    }
}

/// Độ mật (Luật Bảo vệ bí mật nhà nước 2018). Secret documents have their own number series.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Secrecy {
    /// Không mật.
    #[default]
    None,
    /// Mật.
    Confidential,
    /// Tối mật.
    Secret,
    /// Tuyệt mật.
    TopSecret,
}

impl Secrecy {
    pub const ALL: [Secrecy; 4] = [
        Secrecy::None,
        Secrecy::Confidential,
        Secrecy::Secret,
        Secrecy::TopSecret,
    ];
    /// 0–3, as stored.
    pub fn level(self) -> u8 {
        match self {
            Secrecy::None => 0,
            Secrecy::Confidential => 1,
            Secrecy::Secret => 2,
            Secrecy::TopSecret => 3,
        }
    }
    pub fn from_level(l: u8) -> Option<Secrecy> {
        Secrecy::ALL.into_iter().find(|s| s.level() == l)
    }
    pub fn is_secret(self) -> bool {
        self != Secrecy::None
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Secrecy::None => "Không mật",
            Secrecy::Confidential => "Mật",
            Secrecy::Secret => "Tối mật",
            Secrecy::TopSecret => "Tuyệt mật",
        }
    }
}

/// How an incoming document came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InChannel {
    /// An edXML package through the document exchange.
    Electronic,
    /// Paper, registered with its scan.
    Paper,
}

impl InChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            InChannel::Electronic => "electronic",
            InChannel::Paper => "paper",
        }
    }
}

/// The edXML status codes of a received document (QCVN 102:2016 status message,
/// standards.md §5.3): what the receiver reports back to the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdxmlStatus {
    /// 01 Đã đến.
    Arrived,
    /// 02 Từ chối tiếp nhận.
    Refused,
    /// 03 Tiếp nhận, vào sổ văn bản đến.
    Registered,
    /// 04 Lãnh đạo phân công xử lý.
    Assigned,
    /// 05 Đang xử lý.
    InProgress,
    /// 06 Hoàn thành.
    Done,
    /// 13 Yêu cầu lấy lại văn bản (from the sender, with its reason).
    RecallRequested,
    /// 15 Đồng ý yêu cầu cập nhật / lấy lại.
    RequestAgreed,
    /// 16 Từ chối yêu cầu cập nhật / lấy lại.
    RequestRefused,
}

impl EdxmlStatus {
    pub const ALL: [EdxmlStatus; 9] = [
        EdxmlStatus::Arrived,
        EdxmlStatus::Refused,
        EdxmlStatus::Registered,
        EdxmlStatus::Assigned,
        EdxmlStatus::InProgress,
        EdxmlStatus::Done,
        EdxmlStatus::RecallRequested,
        EdxmlStatus::RequestAgreed,
        EdxmlStatus::RequestRefused,
    ];
    pub fn code(self) -> u8 {
        match self {
            EdxmlStatus::Arrived => 1,
            EdxmlStatus::Refused => 2,
            EdxmlStatus::Registered => 3,
            EdxmlStatus::Assigned => 4,
            EdxmlStatus::InProgress => 5,
            EdxmlStatus::Done => 6,
            EdxmlStatus::RecallRequested => 13,
            EdxmlStatus::RequestAgreed => 15,
            EdxmlStatus::RequestRefused => 16,
        }
    }
    /// The two-digit form of the status message (`03`).
    pub fn code_str(self) -> String {
        format!("{:02}", self.code())
    }
    pub fn from_code(c: u8) -> Option<EdxmlStatus> {
        EdxmlStatus::ALL.into_iter().find(|s| s.code() == c)
    }
}

/// Administrative tier of an agency (for the province → district figures): the province's
/// committee and its departments are province level, a district committee and its units are
/// district level, a commune committee commune level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Province,
    District,
    Commune,
    Other,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Province => "province",
            Tier::District => "district",
            Tier::Commune => "commune",
            Tier::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Tier> {
        [Tier::Province, Tier::District, Tier::Commune, Tier::Other]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
    /// The tier of an agency of `kind`, or `None` when it takes its parent's (units, others).
    pub fn of_kind(kind: crate::agency::AgencyKind) -> Option<Tier> {
        use crate::agency::AgencyKind as K;
        match kind {
            K::ProvinceCommittee | K::Department => Some(Tier::Province),
            K::DistrictCommittee => Some(Tier::District),
            K::CommuneCommittee => Some(Tier::Commune),
            K::Unit | K::Other => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for u in Urgency::ALL {
            assert_eq!(Urgency::from_priority(u.priority()), Some(u));
        }
        assert_eq!(Urgency::FlashTimed.priority(), 4);
        for s in Secrecy::ALL {
            assert_eq!(Secrecy::from_level(s.level()), Some(s));
        }
        for s in EdxmlStatus::ALL {
            assert_eq!(EdxmlStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(EdxmlStatus::Registered.code_str(), "03");
        assert_eq!(EdxmlStatus::from_code(7), None);
    }
}
