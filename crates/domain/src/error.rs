//! The one list of stable error codes. Messages live in the web layer's message catalogues
//! (`crates/web/locales/*.toml`); a test fails when a code has no message there.

use serde::Serialize;

macro_rules! error_codes {
    ($( $variant:ident = ($code:literal, $status:literal) ),* $(,)?) => {
        /// A stable machine code. The string form never changes once released.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(into = "&'static str")]
        pub enum ErrorCode { $( $variant ),* }

        impl ErrorCode {
            /// Every code, for catalogue completeness tests and documentation.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant ),* ];

            /// The stable machine code, e.g. `agency.identifier_invalid`.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code ),* }
            }

            /// The HTTP status the API answers with.
            pub fn http_status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status ),* }
            }

            /// Parse a code back from its string form.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $( $code => Some(ErrorCode::$variant), )* _ => None }
            }
        }
    };
}

error_codes! {
    Required = ("validation.required", 422),
    TooLong = ("validation.too_long", 422),
    InvalidFormat = ("validation.invalid_format", 422),
    InvalidEmail = ("validation.invalid_email", 422),
    InvalidPhone = ("validation.invalid_phone", 422),
    InvalidIdNumber = ("validation.invalid_id_number", 422),
    InvalidDate = ("validation.invalid_date", 422),
    PasswordTooShort = ("validation.password_too_short", 422),
    PasswordMismatch = ("validation.password_mismatch", 422),
    InvalidChoice = ("validation.invalid_choice", 422),
    MalformedJson = ("request.malformed_json", 400),
    InvalidUtf8 = ("request.invalid_utf8", 400),
    UnsupportedMediaType = ("request.unsupported_media_type", 415),
    BodyTooLarge = ("request.body_too_large", 413),
    UnknownField = ("request.unknown_field", 400),
    MissingField = ("request.missing_field", 400),
    InvalidQuery = ("request.invalid_query", 400),
    RouteNotFound = ("request.not_found", 404),
    MethodNotAllowed = ("request.method_not_allowed", 405),
    Unauthenticated = ("auth.unauthenticated", 401),
    InvalidCredentials = ("auth.invalid_credentials", 401),
    Throttled = ("auth.throttled", 429),
    Forbidden = ("auth.forbidden", 403),
    CsrfFailed = ("auth.csrf_failed", 403),
    AccountDisabled = ("auth.account_disabled", 403),
    AgencyIdentifierInvalid = ("agency.identifier_invalid", 422),
    AgencyIdentifierTaken = ("agency.identifier_taken", 409),
    AgencyParentNotFound = ("agency.parent_not_found", 422),
    AgencyParentLevel = ("agency.parent_level", 422),
    AgencyCycle = ("agency.cycle", 422),
    AgencyNotFound = ("agency.not_found", 404),
    AgencyHasChildren = ("agency.has_children", 409),
    AgencyValidity = ("agency.validity", 422),
    ImportFailed = ("import.failed", 422),
    ImportFormat = ("import.format", 422),
    UserLoginTaken = ("user.login_taken", 409),
    UserNotFound = ("user.not_found", 404),
    RoleInvalid = ("user.role_invalid", 422),
    GrantNotFound = ("user.grant_not_found", 404),
    ApiKeyNotFound = ("apikey.not_found", 404),
    ApiKeyScopeInvalid = ("apikey.scope_invalid", 422),
    CalendarYearOutOfRange = ("calendar.year_out_of_range", 422),
    CalendarInvalid = ("calendar.invalid", 422),
    CalendarInstantOutOfRange = ("calendar.instant_out_of_range", 422),
    CalendarInvalidNotice = ("calendar.invalid_notice", 422),
    CalendarNoticeConflict = ("calendar.notice_conflict", 422),
    CalendarNoticeNotFound = ("calendar.notice_not_found", 404),
    CalendarYearMismatch = ("calendar.year_mismatch", 422),
    CalendarInvalidWorkingHours = ("calendar.invalid_working_hours", 422),
    CalendarAllotmentMismatch = ("calendar.allotment_mismatch", 422),
    CalendarInvalidPause = ("calendar.invalid_pause", 422),
    CalendarInvalidExtension = ("calendar.invalid_extension", 422),
    CalendarNotAWorkingDay = ("calendar.not_a_working_day", 422),
    // The procedure catalogue (`procedure::ProcedureError::CODES`, then the application's own).
    ProcedureParse = ("procedure.parse", 422),
    ProcedureInvalidNationalCode = ("procedure.invalid_national_code", 422),
    ProcedureInvalidLocalCode = ("procedure.invalid_local_code", 422),
    ProcedureRequired = ("procedure.required", 422),
    ProcedureTooLong = ("procedure.too_long", 422),
    ProcedureInvalid = ("procedure.invalid", 422),
    ProcedureDuplicateKey = ("procedure.duplicate_key", 422),
    ProcedureNoAgency = ("procedure.no_agency", 422),
    ProcedureAllotmentMismatch = ("procedure.allotment_mismatch", 422),
    ProcedureAllotmentUnitMismatch = ("procedure.allotment_unit_mismatch", 422),
    ProcedureInvalidDates = ("procedure.invalid_dates", 422),
    ProcedureInvalidVersion = ("procedure.invalid_version", 422),
    ProcedureNotFound = ("procedure.not_found", 404),
    ProcedureNotInEffect = ("procedure.not_in_effect", 409),
    ProcedureNotOfferedByAgency = ("procedure.not_offered_by_agency", 422),
    // Dossiers (`dossier::DossierError::CODES`, then the application's own).
    DossierIllegalTransition = ("dossier.illegal_transition", 409),
    DossierSupplementAlreadyRequested = ("dossier.supplement_already_requested", 409),
    DossierApologyAlreadyIssued = ("dossier.apology_already_issued", 409),
    DossierApologyNotLate = ("dossier.apology_not_late", 409),
    DossierClockPaused = ("dossier.clock_paused", 409),
    DossierReasonsRequired = ("dossier.reasons_required", 422),
    DossierTextRequired = ("dossier.text_required", 422),
    DossierInvalidStep = ("dossier.invalid_step", 422),
    DossierStepsRemaining = ("dossier.steps_remaining", 409),
    DossierOnlineNotAllowed = ("dossier.online_not_allowed", 409),
    DossierReturnMethodNotAllowed = ("dossier.return_method_not_allowed", 422),
    DossierAlreadyEvaluated = ("dossier.already_evaluated", 409),
    DossierInvalidEvaluation = ("dossier.invalid_evaluation", 422),
    DossierTimeWentBackwards = ("dossier.time_went_backwards", 409),
    DossierCodeDateMismatch = ("dossier.code_date_mismatch", 409),
    DossierInvalidCode = ("dossier.invalid_code", 422),
    DossierCodeSequenceOutOfRange = ("dossier.code_sequence_out_of_range", 409),
    DossierInvalidAppointment = ("dossier.invalid_appointment", 422),
    DossierDeadline = ("dossier.deadline", 422),
    DossierInvalidReportPeriod = ("dossier.invalid_report_period", 422),
    DossierNotFound = ("dossier.not_found", 404),
    DossierLookupFailed = ("dossier.lookup_failed", 404),
    // Files (uploads) and drafts.
    UploadEmpty = ("upload.empty", 422),
    UploadTypeNotAllowed = ("upload.type_not_allowed", 415),
    UploadTypeMismatch = ("upload.type_mismatch", 422),
    UploadNameInvalid = ("upload.name_invalid", 422),
    UploadTooLarge = ("upload.too_large", 413),
    UploadDossierFull = ("upload.dossier_full", 413),
    UploadInfected = ("upload.infected", 422),
    UploadScanFailed = ("upload.scan_failed", 503),
    UploadPartUnknown = ("upload.part_unknown", 422),
    UploadNotAllowedNow = ("upload.not_allowed_now", 409),
    UploadRequiredPartMissing = ("upload.required_part_missing", 422),
    FileNotFound = ("file.not_found", 404),
    DraftNotFound = ("draft.not_found", 404),
    DraftAlreadySubmitted = ("draft.already_submitted", 409),
    SlipNotAvailable = ("slip.not_available", 409),
    // Electronic documents (issue 5).
    DocumentNotFound = ("document.not_found", 404),
    DocumentIllegalTransition = ("document.illegal_transition", 409),
    DocumentTypeUnknown = ("document.type_unknown", 422),
    DocumentTypeNotInEffect = ("document.type_not_in_effect", 422),
    DocumentTypesInvalid = ("document.types_invalid", 422),
    DocumentReasonRequired = ("document.reason_required", 422),
    DocumentNotSigned = ("document.not_signed", 409),
    DocumentNoMainFile = ("document.no_main_file", 409),
    DocumentNumberOutOfRange = ("document.number_out_of_range", 409),
    DocumentInvalidStatus = ("document.invalid_status", 422),
    DocumentInvalidDeadline = ("document.invalid_deadline", 422),
    DocumentInvalidReply = ("document.invalid_reply", 422),
    DocumentInvalidReplacement = ("document.invalid_replacement", 422),
    DocumentSecret = ("document.secret", 403),
    DocumentInvalidRecipient = ("document.invalid_recipient", 422),
    DocumentInvalidAbbreviation = ("document.invalid_abbreviation", 422),
    DocumentHandlerRequired = ("document.handler_required", 422),
    DocumentSigningFailed = ("document.signing_failed", 503),
    ExchangeHeaderMalformed = ("exchange.header_malformed", 400),
    ExchangeSystemUnknown = ("exchange.system_unknown", 401),
    ExchangeSignatureInvalid = ("exchange.signature_invalid", 401),
    ExchangeTimestampStale = ("exchange.timestamp_stale", 401),
    ExchangeRequestReplayed = ("exchange.request_replayed", 409),
    EdxmlMalformed = ("edxml.malformed", 400),
    EdxmlTooLarge = ("edxml.too_large", 413),
    EdxmlNotSigned = ("edxml.not_signed", 422),
    EdxmlSignatureInvalid = ("edxml.signature_invalid", 422),
    EdxmlCertificateUntrusted = ("edxml.certificate_untrusted", 422),
    EdxmlRecipientUnknown = ("edxml.recipient_unknown", 422),
    EdxmlDocumentUnknown = ("edxml.document_unknown", 422),
    EdxmlUnavailable = ("edxml.unavailable", 503),
    SignatureUnreadable = ("signature.unreadable", 422),
    StorageConflict = ("storage.conflict", 409),
    StorageUnavailable = ("storage.unavailable", 503),
    BackupUnsupported = ("backup.unsupported", 422),
    Internal = ("internal.unexpected", 500),
}

impl From<ErrorCode> for &'static str {
    fn from(c: ErrorCode) -> Self {
        c.as_str()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain rule was broken: a code, the field it concerns (if any) and a detail for logs
/// (never shown instead of the catalogue message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}{}", field.as_ref().map(|f| format!(" ({f})")).unwrap_or_default())]
pub struct DomainError {
    pub code: ErrorCode,
    pub field: Option<String>,
}

impl DomainError {
    pub fn new(code: ErrorCode) -> Self {
        Self { code, field: None }
    }
    pub fn field(code: ErrorCode, field: impl Into<String>) -> Self {
        Self {
            code,
            field: Some(field.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            assert!((400..600).contains(&c.http_status()));
        }
    }
}

#[cfg(test)]
mod catalogue_tests {
    use super::ErrorCode;
    use crate::dossier::DossierError;
    use crate::procedure::ProcedureError;

    /// Every machine code the catalogue and dossier domains answer with is an `ErrorCode`, so
    /// the API can render it (with its messages) and the application can map it by its text.
    #[test]
    fn procedure_and_dossier_codes_are_error_codes() {
        for code in ProcedureError::CODES.iter().chain(DossierError::CODES) {
            let c = ErrorCode::parse(code).unwrap_or_else(|| panic!("{code} is not an ErrorCode"));
            let expected = match *code {
                "dossier.illegal_transition"
                | "dossier.supplement_already_requested"
                | "dossier.apology_already_issued"
                | "dossier.apology_not_late"
                | "dossier.clock_paused"
                | "dossier.steps_remaining"
                | "dossier.online_not_allowed"
                | "dossier.already_evaluated"
                | "dossier.time_went_backwards"
                | "dossier.code_date_mismatch"
                | "dossier.code_sequence_out_of_range" => 409,
                _ => 422,
            };
            assert_eq!(c.http_status(), expected, "{code}");
        }
    }
}
