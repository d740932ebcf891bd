//! National code tables (standards §0, §1.2) and the names of the internal states, with the
//! total mapping from the latter onto the former.

use serde::{Deserialize, Serialize};

/// The national dossier status (`TrangThaiHoSo`, DVCQG `DongBoHoSoMC`), codes 1–10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum NationalStatus {
    /// 1 Mới đăng ký.
    NewlyRegistered,
    /// 2 Được tiếp nhận.
    Received,
    /// 3 Không được tiếp nhận.
    NotReceived,
    /// 4 Đang xử lý.
    InProgress,
    /// 5 Yêu cầu bổ sung giấy tờ.
    SupplementRequested,
    /// 6 Yêu cầu thực hiện nghĩa vụ tài chính.
    FinancialObligationRequested,
    /// 7 Công dân yêu cầu rút hồ sơ.
    WithdrawalRequested,
    /// 8 Dừng xử lý.
    Stopped,
    /// 9 Đã xử lý xong.
    Processed,
    /// 10 Đã trả kết quả.
    ResultReturned,
}

impl NationalStatus {
    /// Every status, in code order.
    pub const ALL: [NationalStatus; 10] = [
        NationalStatus::NewlyRegistered,
        NationalStatus::Received,
        NationalStatus::NotReceived,
        NationalStatus::InProgress,
        NationalStatus::SupplementRequested,
        NationalStatus::FinancialObligationRequested,
        NationalStatus::WithdrawalRequested,
        NationalStatus::Stopped,
        NationalStatus::Processed,
        NationalStatus::ResultReturned,
    ];

    /// The code, 1–10.
    pub fn code(self) -> u8 {
        match self {
            NationalStatus::NewlyRegistered => 1,
            NationalStatus::Received => 2,
            NationalStatus::NotReceived => 3,
            NationalStatus::InProgress => 4,
            NationalStatus::SupplementRequested => 5,
            NationalStatus::FinancialObligationRequested => 6,
            NationalStatus::WithdrawalRequested => 7,
            NationalStatus::Stopped => 8,
            NationalStatus::Processed => 9,
            NationalStatus::ResultReturned => 10,
        }
    }

    /// From a code.
    pub fn from_code(code: u8) -> Option<NationalStatus> {
        NationalStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The national label.
    pub fn label_vi(self) -> &'static str {
        match self {
            NationalStatus::NewlyRegistered => "Mới đăng ký",
            NationalStatus::Received => "Được tiếp nhận",
            NationalStatus::NotReceived => "Không được tiếp nhận",
            NationalStatus::InProgress => "Đang xử lý",
            NationalStatus::SupplementRequested => "Yêu cầu bổ sung giấy tờ",
            NationalStatus::FinancialObligationRequested => "Yêu cầu thực hiện nghĩa vụ tài chính",
            NationalStatus::WithdrawalRequested => "Công dân yêu cầu rút hồ sơ",
            NationalStatus::Stopped => "Dừng xử lý",
            NationalStatus::Processed => "Đã xử lý xong",
            NationalStatus::ResultReturned => "Đã trả kết quả",
        }
    }
}

impl From<NationalStatus> for u8 {
    fn from(s: NationalStatus) -> u8 {
        s.code()
    }
}

impl TryFrom<u8> for NationalStatus {
    type Error = String;
    fn try_from(code: u8) -> Result<Self, Self::Error> {
        NationalStatus::from_code(code).ok_or_else(|| format!("unknown national status {code}"))
    }
}

/// How the dossier was submitted (`KenhThucHien`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 1 Trực tiếp: at the one-stop desk.
    Direct,
    /// 2 Trực tuyến: on the public-service portal.
    Online,
    /// 3 Qua bưu chính công ích (BCCI).
    Post,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Direct, Channel::Online, Channel::Post];

    /// The national code, 1–3.
    pub fn code(self) -> u8 {
        match self {
            Channel::Direct => 1,
            Channel::Online => 2,
            Channel::Post => 3,
        }
    }

    /// From a national code.
    pub fn from_code(code: u8) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Channel::Direct => "Trực tiếp",
            Channel::Online => "Trực tuyến",
            Channel::Post => "Qua dịch vụ bưu chính công ích",
        }
    }
}

/// How the result is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethod {
    /// At the one-stop desk.
    Desk,
    /// By the public postal service.
    Post,
    /// Online (electronic result; fully online procedures).
    Online,
}

impl ReturnMethod {
    /// Every method.
    pub const ALL: [ReturnMethod; 3] =
        [ReturnMethod::Desk, ReturnMethod::Post, ReturnMethod::Online];

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            ReturnMethod::Desk => "Trả trực tiếp tại Bộ phận Một cửa",
            ReturnMethod::Post => "Trả qua dịch vụ bưu chính công ích",
            ReturnMethod::Online => "Trả kết quả trực tuyến",
        }
    }
}

/// The name of an internal state, without its data (see [`super::DossierState`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateName {
    /// Being filled in (online by the applicant); not yet sent to anyone.
    Draft,
    /// In the system, awaiting the desk's check (online, desk or post).
    Submitted,
    /// The one supplement request is open (at reception, or during processing: clock paused).
    SupplementRequested,
    /// Not received (Phiếu từ chối, form 03).
    Refused,
    /// Received (form 01 issued, clock running), not yet handed over.
    Received,
    /// At a processing step of the route.
    Processing,
    /// Sent back to an earlier step.
    ReturnedToStep,
    /// Another agency is consulted (sub-route with its own clock).
    Consulting,
    /// At an approval step (a leader decides).
    AwaitingApproval,
    /// Waiting for the applicant's financial obligation (clock paused).
    AwaitingFinancialObligation,
    /// Processing finished; the result is at the desk.
    ResultReady,
    /// Result handed over.
    Returned,
    /// Withdrawn at the applicant's request.
    Withdrawn,
    /// Processing stopped (not eligible; written notice with reasons).
    Stopped,
}

impl StateName {
    /// Every internal state.
    pub const ALL: [StateName; 14] = [
        StateName::Draft,
        StateName::Submitted,
        StateName::SupplementRequested,
        StateName::Refused,
        StateName::Received,
        StateName::Processing,
        StateName::ReturnedToStep,
        StateName::Consulting,
        StateName::AwaitingApproval,
        StateName::AwaitingFinancialObligation,
        StateName::ResultReady,
        StateName::Returned,
        StateName::Withdrawn,
        StateName::Stopped,
    ];

    /// The national status this state is reported as (total; see docs/dossiers.md).
    pub fn national_status(self) -> NationalStatus {
        match self {
            StateName::Draft | StateName::Submitted => NationalStatus::NewlyRegistered,
            StateName::Received => NationalStatus::Received,
            StateName::Refused => NationalStatus::NotReceived,
            StateName::Processing
            | StateName::ReturnedToStep
            | StateName::Consulting
            | StateName::AwaitingApproval => NationalStatus::InProgress,
            StateName::SupplementRequested => NationalStatus::SupplementRequested,
            StateName::AwaitingFinancialObligation => NationalStatus::FinancialObligationRequested,
            StateName::Withdrawn => NationalStatus::WithdrawalRequested,
            StateName::Stopped => NationalStatus::Stopped,
            StateName::ResultReady => NationalStatus::Processed,
            StateName::Returned => NationalStatus::ResultReturned,
        }
    }

    /// Machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            StateName::Draft => "draft",
            StateName::Submitted => "submitted",
            StateName::SupplementRequested => "supplement_requested",
            StateName::Refused => "refused",
            StateName::Received => "received",
            StateName::Processing => "processing",
            StateName::ReturnedToStep => "returned_to_step",
            StateName::Consulting => "consulting",
            StateName::AwaitingApproval => "awaiting_approval",
            StateName::AwaitingFinancialObligation => "awaiting_financial_obligation",
            StateName::ResultReady => "result_ready",
            StateName::Returned => "returned",
            StateName::Withdrawn => "withdrawn",
            StateName::Stopped => "stopped",
        }
    }

    /// Vietnamese label for worklists and the timeline.
    pub fn label_vi(self) -> &'static str {
        match self {
            StateName::Draft => "Đang soạn",
            StateName::Submitted => "Chờ tiếp nhận",
            StateName::SupplementRequested => "Chờ bổ sung hồ sơ",
            StateName::Refused => "Từ chối tiếp nhận",
            StateName::Received => "Đã tiếp nhận, chờ chuyển xử lý",
            StateName::Processing => "Đang xử lý",
            StateName::ReturnedToStep => "Trả lại để xử lý lại",
            StateName::Consulting => "Đang lấy ý kiến cơ quan khác",
            StateName::AwaitingApproval => "Chờ phê duyệt",
            StateName::AwaitingFinancialObligation => "Chờ thực hiện nghĩa vụ tài chính",
            StateName::ResultReady => "Đã có kết quả, chờ trả",
            StateName::Returned => "Đã trả kết quả",
            StateName::Withdrawn => "Đã rút hồ sơ",
            StateName::Stopped => "Dừng xử lý",
        }
    }

    /// No command changes the state any more (a returned dossier still takes its evaluation,
    /// which leaves it returned).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            StateName::Refused | StateName::Returned | StateName::Withdrawn | StateName::Stopped
        )
    }

    /// Received and not yet finished, withdrawn or stopped: counted "đang giải quyết".
    pub fn is_open(self) -> bool {
        matches!(
            self,
            StateName::SupplementRequested
                | StateName::Received
                | StateName::Processing
                | StateName::ReturnedToStep
                | StateName::Consulting
                | StateName::AwaitingApproval
                | StateName::AwaitingFinancialObligation
        )
    }
}
