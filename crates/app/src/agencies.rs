//! Agency use cases: read the tree, create, change, delete, import and export.

use crate::error::{AppError, AppResult, LineError};
use crate::store::NewAgency;
use crate::{App, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyFields, AgencyIdentifier, AgencyInput, topological_order};
use cqdt_domain::ids::AgencyId;
use cqdt_domain::policy::{Action, Target};
use std::collections::HashMap;

/// File formats for import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 13] = [
    "identifier",
    "parent_identifier",
    "level",
    "kind",
    "name",
    "short_name",
    "address",
    "phone",
    "email",
    "valid_from",
    "valid_to",
    "gso_code",
    "note",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: usize,
}

/// Sort agencies for display: parents before children, siblings by identifier.
pub fn tree_order(mut all: Vec<Agency>) -> Vec<Agency> {
    let mut children: HashMap<Option<AgencyId>, Vec<usize>> = HashMap::new();
    all.sort_by(|a, b| a.fields.identifier.cmp(&b.fields.identifier));
    for (i, a) in all.iter().enumerate() {
        children.entry(a.parent_id).or_default().push(i);
    }
    let mut out = Vec::with_capacity(all.len());
    let mut stack: Vec<usize> = children.get(&None).cloned().unwrap_or_default();
    stack.reverse();
    while let Some(i) = stack.pop() {
        out.push(i);
        if let Some(c) = children.get(&Some(all[i].id)) {
            stack.extend(c.iter().rev());
        }
    }
    let mut slots: Vec<Option<Agency>> = all.into_iter().map(Some).collect();
    out.into_iter().filter_map(|i| slots[i].take()).collect()
}

impl App {
    pub async fn agencies(&self, ctx: &Ctx) -> AppResult<Vec<Agency>> {
        self.authorize(ctx, Action::ViewAgencies, Target::Platform)?;
        Ok(tree_order(self.store.agencies_all().await?))
    }

    pub async fn agency(&self, ctx: &Ctx, id: AgencyId) -> AppResult<Agency> {
        self.authorize(ctx, Action::ViewAgencies, Target::Platform)?;
        self.store
            .agency_get(id)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::AgencyNotFound))
    }

    pub async fn agency_by_identifier(&self, ctx: &Ctx, identifier: &str) -> AppResult<Agency> {
        self.authorize(ctx, Action::ViewAgencies, Target::Platform)?;
        let ident = AgencyIdentifier::parse(identifier)?;
        self.store
            .agency_by_identifier(ident.as_str())
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::AgencyNotFound))
    }

    async fn authorize_under_parent(&self, ctx: &Ctx, parent: Option<&Agency>) -> AppResult<()> {
        match parent {
            Some(p) => self.authorize(ctx, Action::ManageAgency, Target::Agency(&p.path)),
            None => self.authorize(ctx, Action::ManageRootAgency, Target::Platform),
        }
    }

    /// Check the stated level (if any) against the parent's depth.
    fn check_level(fields: &AgencyFields, parent_level: u8) -> Result<(), AppError> {
        match fields.level {
            Some(l) if l != parent_level + 1 => {
                Err(AppError::field(ErrorCode::AgencyParentLevel, "level"))
            }
            _ => Ok(()),
        }
    }

    pub async fn agency_create(&self, ctx: &Ctx, input: &AgencyInput) -> AppResult<Agency> {
        let fields = input.validate()?;
        let parent = match &fields.parent_identifier {
            Some(p) => Some(
                self.store
                    .agency_by_identifier(p.as_str())
                    .await?
                    .ok_or_else(|| {
                        AppError::field(ErrorCode::AgencyParentNotFound, "parent_identifier")
                    })?,
            ),
            None => None,
        };
        self.authorize_under_parent(ctx, parent.as_ref()).await?;
        Self::check_level(&fields, parent.as_ref().map(|p| p.level).unwrap_or(0))?;
        if self
            .store
            .agency_by_identifier(fields.identifier.as_str())
            .await?
            .is_some()
        {
            return Err(AppError::field(
                ErrorCode::AgencyIdentifierTaken,
                "identifier",
            ));
        }
        let id = AgencyId(self.ids.new_id());
        let new = NewAgency {
            id,
            parent_id: parent.as_ref().map(|p| p.id),
            fields: fields.clone(),
        };
        let audit = ctx.audit::<(), _>(
            self.now_us(),
            "agency.create",
            "agency",
            id,
            None,
            Some(&fields),
        );
        self.store.agencies_insert(&[new], &[audit]).await?;
        self.store
            .agency_get(id)
            .await?
            .ok_or_else(|| AppError::internal("agency vanished after insert"))
    }

    /// Change an agency's fields. Moving it elsewhere in the tree is not supported here.
    pub async fn agency_update(
        &self,
        ctx: &Ctx,
        id: AgencyId,
        input: &AgencyInput,
    ) -> AppResult<Agency> {
        let current = self.agency(ctx, id).await?;
        self.authorize(ctx, Action::ManageAgency, Target::Agency(&current.path))?;
        let fields = input.validate()?;
        if fields.parent_identifier != current.fields.parent_identifier {
            return Err(
                AppError::field(ErrorCode::InvalidChoice, "parent_identifier")
                    .with_detail("moving an agency is not supported"),
            );
        }
        if fields.identifier != current.fields.identifier
            && self
                .store
                .agency_by_identifier(fields.identifier.as_str())
                .await?
                .is_some()
        {
            return Err(AppError::field(
                ErrorCode::AgencyIdentifierTaken,
                "identifier",
            ));
        }
        let audit = ctx.audit(
            self.now_us(),
            "agency.update",
            "agency",
            id,
            Some(&current.fields),
            Some(&fields),
        );
        self.store.agency_update(id, &fields, &audit).await?;
        self.agency(ctx, id).await
    }

    pub async fn agency_delete(&self, ctx: &Ctx, id: AgencyId) -> AppResult<()> {
        let current = self.agency(ctx, id).await?;
        self.authorize(ctx, Action::ManageAgency, Target::Agency(&current.path))?;
        if self.store.agency_child_count(id).await? > 0 {
            return Err(AppError::new(ErrorCode::AgencyHasChildren));
        }
        let audit = ctx.audit::<_, ()>(
            self.now_us(),
            "agency.delete",
            "agency",
            id,
            Some(&current.fields),
            None,
        );
        self.store.agency_delete(id, &audit).await
    }

    /// Parse a file into inputs with their line numbers (1-based, the header is line 1).
    pub fn parse_agency_file(format: Format, bytes: &[u8]) -> AppResult<Vec<(usize, AgencyInput)>> {
        let text = std::str::from_utf8(bytes).map_err(|_| AppError::new(ErrorCode::InvalidUtf8))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match format {
            Format::Json => {
                let items: Vec<AgencyInput> = serde_json::from_str(text).map_err(|e| AppError {
                    code: ErrorCode::ImportFormat,
                    field: None,
                    lines: vec![LineError {
                        line: e.line(),
                        field: None,
                        code: ErrorCode::MalformedJson,
                    }],
                    detail: Some(e.to_string()),
                })?;
                // JSON items are numbered by position (1-based).
                Ok(items
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| (i + 1, a))
                    .collect())
            }
            Format::Csv => {
                let mut rdr = csv::ReaderBuilder::new()
                    .flexible(false)
                    .from_reader(text.as_bytes());
                let header: Vec<String> = rdr
                    .headers()
                    .map_err(|e| AppError::new(ErrorCode::ImportFormat).with_detail(e.to_string()))?
                    .iter()
                    .map(|h| h.trim().to_string())
                    .collect();
                let col = |name: &str| header.iter().position(|h| h == name);
                // A bad header is a bad file (422), reported like a bad row: on line 1, naming
                // the column.
                let bad_header = |column: &str, code: ErrorCode| AppError {
                    code: ErrorCode::ImportFormat,
                    field: None,
                    lines: vec![LineError {
                        line: 1,
                        field: Some(column.to_string()),
                        code,
                    }],
                    detail: Some(format!("{code} column {column}")),
                };
                for h in &header {
                    if !CSV_HEADER.contains(&h.as_str()) {
                        return Err(bad_header(h, ErrorCode::UnknownField));
                    }
                }
                for required in ["identifier", "kind", "name"] {
                    if col(required).is_none() {
                        return Err(bad_header(required, ErrorCode::MissingField));
                    }
                }
                let mut out = Vec::new();
                let mut errors = Vec::new();
                for rec in rdr.records() {
                    let rec = match rec {
                        Ok(r) => r,
                        Err(e) => {
                            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                            errors.push(LineError {
                                line,
                                field: None,
                                code: ErrorCode::ImportFormat,
                            });
                            continue;
                        }
                    };
                    let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
                    let get = |name: &str| col(name).and_then(|i| rec.get(i)).map(str::to_string);
                    let level = match get("level").filter(|s| !s.trim().is_empty()) {
                        None => None,
                        Some(s) => match s.trim().parse::<u8>() {
                            Ok(v) => Some(v),
                            Err(_) => {
                                errors.push(LineError {
                                    line,
                                    field: Some("level".into()),
                                    code: ErrorCode::InvalidFormat,
                                });
                                continue;
                            }
                        },
                    };
                    out.push((
                        line,
                        AgencyInput {
                            identifier: get("identifier").unwrap_or_default(),
                            parent_identifier: get("parent_identifier"),
                            kind: get("kind").unwrap_or_default(),
                            name: get("name").unwrap_or_default(),
                            short_name: get("short_name"),
                            address: get("address"),
                            phone: get("phone"),
                            email: get("email"),
                            valid_from: get("valid_from"),
                            valid_to: get("valid_to"),
                            gso_code: get("gso_code"),
                            level,
                            note: get("note"),
                        },
                    ));
                }
                if !errors.is_empty() {
                    return Err(AppError {
                        code: ErrorCode::ImportFailed,
                        field: None,
                        lines: errors,
                        detail: None,
                    });
                }
                Ok(out)
            }
        }
    }

    /// Import a file: every row is checked first; if any is bad, nothing is written and every
    /// bad row is reported with its line and reason.
    pub async fn agencies_import(
        &self,
        ctx: &Ctx,
        format: Format,
        bytes: &[u8],
    ) -> AppResult<ImportReport> {
        let rows = Self::parse_agency_file(format, bytes)?;
        let mut errors = Vec::new();
        let mut valid: Vec<(usize, AgencyFields)> = Vec::new();
        for (line, input) in &rows {
            match input.validate() {
                Ok(f) => valid.push((*line, f)),
                Err(e) => errors.push(LineError {
                    line: *line,
                    field: e.field,
                    code: e.code,
                }),
            }
        }
        let existing: HashMap<String, Agency> = self
            .store
            .agencies_all()
            .await?
            .into_iter()
            .map(|a| (a.fields.identifier.to_string(), a))
            .collect();
        for (line, f) in &valid {
            if existing.contains_key(f.identifier.as_str()) {
                errors.push(LineError {
                    line: *line,
                    field: Some("identifier".into()),
                    code: ErrorCode::AgencyIdentifierTaken,
                });
            }
        }
        if !errors.is_empty() {
            return Err(AppError {
                code: ErrorCode::ImportFailed,
                field: None,
                lines: errors,
                detail: None,
            });
        }
        let fields: Vec<AgencyFields> = valid.iter().map(|(_, f)| f.clone()).collect();
        let order = topological_order(&fields, &|p| existing.contains_key(p.as_str())).map_err(
            |(i, e)| AppError {
                code: ErrorCode::ImportFailed,
                field: None,
                lines: vec![LineError {
                    line: valid[i].0,
                    field: e.field,
                    code: e.code,
                }],
                detail: None,
            },
        )?;
        // Assign ids and levels, check the stated levels and the actor's rights per row.
        let mut ids: HashMap<String, (AgencyId, u8, Vec<AgencyId>)> = existing
            .values()
            .map(|a| {
                (
                    a.fields.identifier.to_string(),
                    (a.id, a.level, a.path.clone()),
                )
            })
            .collect();
        let mut news = Vec::with_capacity(order.len());
        let mut audits = Vec::with_capacity(order.len());
        let now = self.now_us();
        for i in order {
            let (line, f) = &valid[i];
            let (parent_id, parent_level, parent_path) = match &f.parent_identifier {
                Some(p) => match ids.get(p.as_str()) {
                    Some((pid, lvl, path)) => (Some(*pid), *lvl, path.clone()),
                    None => return Err(AppError::internal("parent resolved but missing")),
                },
                None => (None, 0, vec![]),
            };
            if let Err(e) = Self::check_level(f, parent_level) {
                errors.push(LineError {
                    line: *line,
                    field: e.field,
                    code: e.code,
                });
            }
            let allowed = match parent_id {
                None => self.authorize(ctx, Action::ManageRootAgency, Target::Platform),
                Some(_) => self.authorize(ctx, Action::ManageAgency, Target::Agency(&parent_path)),
            };
            if let Err(e) = allowed {
                errors.push(LineError {
                    line: *line,
                    field: None,
                    code: e.code,
                });
            }
            let id = AgencyId(self.ids.new_id());
            let mut path = parent_path;
            path.push(id);
            ids.insert(f.identifier.to_string(), (id, parent_level + 1, path));
            audits.push(ctx.audit::<(), _>(now, "agency.import", "agency", id, None, Some(f)));
            news.push(NewAgency {
                id,
                parent_id,
                fields: f.clone(),
            });
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(AppError {
                code: ErrorCode::ImportFailed,
                field: None,
                lines: errors,
                detail: None,
            });
        }
        self.store.agencies_insert(&news, &audits).await?;
        Ok(ImportReport {
            inserted: news.len(),
        })
    }

    /// Export the whole tree, parents first.
    pub async fn agencies_export(&self, ctx: &Ctx, format: Format) -> AppResult<Vec<u8>> {
        let all = self.agencies(ctx).await?;
        match format {
            Format::Json => {
                let items: Vec<AgencyInput> = all
                    .iter()
                    .map(|a| {
                        let mut i = AgencyInput::from(&a.fields);
                        i.level = Some(a.level);
                        i
                    })
                    .collect();
                serde_json::to_vec_pretty(&items).map_err(|e| AppError::internal(e.to_string()))
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                let fail = |e: csv::Error| AppError::internal(e.to_string());
                w.write_record(CSV_HEADER).map_err(fail)?;
                for a in &all {
                    let f = &a.fields;
                    let s = |v: &Option<String>| v.clone().unwrap_or_default();
                    w.write_record([
                        f.identifier.to_string(),
                        f.parent_identifier
                            .as_ref()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        a.level.to_string(),
                        f.kind.as_str().to_string(),
                        f.name.clone(),
                        s(&f.short_name),
                        s(&f.address),
                        s(&f.phone),
                        s(&f.email),
                        f.valid_from.map(|d| d.to_string()).unwrap_or_default(),
                        f.valid_to.map(|d| d.to_string()).unwrap_or_default(),
                        s(&f.gso_code),
                        s(&f.note),
                    ])
                    .map_err(fail)?;
                }
                w.into_inner()
                    .map_err(|e| AppError::internal(e.to_string()))
            }
        }
    }
}
