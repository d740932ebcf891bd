//! Embedded PDF signatures (PAdES baseline B-B, ETSI EN 319 142-1; ISO 32000-2 §12.8).
//!
//! [`sign_pdf`] appends an **incremental update** to any PDF (the original bytes stay as they
//! are at the start of the result): an invisible signature field and widget on the first page,
//! listed in the catalogue's `/AcroForm` with `/SigFlags 3`, and a signature dictionary
//! `/Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached` whose `/Contents` holds a detached
//! CMS over the file minus that `/Contents` (its `/ByteRange`). The update uses a classic
//! cross-reference table, or an xref stream when the file's newest section is one.
//! Signing twice keeps the first signature valid: it covers the first revision, the second
//! covers the whole file ([`sign_issued_pdf`]).
//!
//! [`verify_pdf`] finds every signature field, checks its ByteRange (it must leave out exactly
//! its own `/Contents`, and end at the end of the file or of an earlier revision) and verifies
//! the CMS with [`super::verify`]'s checks.

use super::appearance::{self, VisibleSignature, write_stream};
use super::pdf_read::{
    Dict, Obj, PdfDoc, decode_text, dict_spans_at, text_string, write_dict, write_hex, write_obj,
};
use super::verify::verify_with_claimed_time;
use super::{SignError, Signer, SignerReport};
use const_oid::db::rfc4519::{CN, ST};
use der::asn1::GeneralizedTime;
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use x509_cert::Certificate;
use x509_cert::time::Time;

/// The largest `/Contents` [`verify_pdf`] accepts (hex digits); anything bigger is hostile.
const MAX_CONTENTS_HEX: usize = 4 * 1024 * 1024;

/// Vietnam's time zone, UTC+07:00 all year.
const VN_OFFSET_SECS: i64 = 7 * 3600;

/// What goes into the signature dictionary besides the signature.
#[derive(Debug, Clone)]
pub struct PdfSignOptions {
    /// The field's name (`/T`); by default the first free `SignatureN`.
    pub field_name: Option<String>,
    /// `/Name`; by default the certificate's common name.
    pub name: Option<String>,
    /// `/Reason`, e.g. "Ký ban hành văn bản".
    pub reason: Option<String>,
    /// `/Location`; by default the certificate's province (stateOrProvinceName).
    pub location: Option<String>,
    /// `/ContactInfo`.
    pub contact_info: Option<String>,
    /// `/M`, the claimed signing time; by default the signer's clock.
    pub signing_time: Option<SystemTime>,
    /// Bytes reserved for the CMS in `/Contents` (written as twice as many hex digits).
    pub contents_size: usize,
    /// A visible box on the first page (name, position, signing time); invisible when None.
    pub visible: Option<VisibleSignature>,
}

impl Default for PdfSignOptions {
    fn default() -> Self {
        PdfSignOptions {
            field_name: None,
            name: None,
            reason: None,
            location: None,
            contact_info: None,
            signing_time: None,
            contents_size: 16 * 1024,
            visible: None,
        }
    }
}

/// What the verification page shows for one embedded signature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PdfSignatureReport {
    /// The signature field's full name.
    pub field: String,
    /// `/SubFilter` (`ETSI.CAdES.detached`, `adbe.pkcs7.detached`).
    pub sub_filter: String,
    /// `/ByteRange` as read.
    pub byte_range: Vec<u64>,
    /// The signature covers the whole file. When false it covers an earlier revision
    /// (`signed_length` bytes) and the file was updated after it — normal for the first of
    /// two signatures, but the later revisions are not covered by this signature.
    pub covers_whole_file: bool,
    /// Length of the revision the signature covers.
    pub signed_length: u64,
    /// Which revision that is (1 = the original file; each incremental update adds one),
    /// counted by the `%%EOF` markers up to `signed_length`.
    pub revision: u32,
    /// How many revisions the file has (`%%EOF` markers).
    pub revisions: u32,
    /// `/Name`, `/Reason`, `/Location` of the signature dictionary.
    pub name: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// `/M` in ISO 8601 in Vietnamese time (`2026-11-27T21:15:00+07:00`), as NĐ 30/2020 asks.
    pub signing_time_vn: Option<String>,
    /// The CMS checks (digest over the byte ranges, signature, chain, validity at `/M` or at
    /// the signing-time attribute); None when the CMS could not be read.
    pub signer: Option<SignerReport>,
    /// Problems with the PDF side of the signature (ByteRange, Contents, structure), and a
    /// CMS that could not be read.
    pub problems: Vec<String>,
}

impl PdfSignatureReport {
    /// The signature and its ByteRange are valid and the signer's checks all pass (trusted
    /// chain included). Says nothing about revisions after a signature that does not cover
    /// the whole file.
    pub fn valid(&self) -> bool {
        self.problems.is_empty() && self.signer.as_ref().is_some_and(SignerReport::valid)
    }
}

fn invalid(msg: impl Into<String>) -> SignError {
    SignError::Invalid(msg.into())
}

use super::verify::subject_attr;

fn vn_parts(at: SystemTime) -> Option<(i32, u8, u8, u8, u8, u8)> {
    let secs = i64::try_from(at.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    let t = time::OffsetDateTime::from_unix_timestamp(secs.checked_add(VN_OFFSET_SECS)?).ok()?;
    Some((
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    ))
}

/// `D:YYYYMMDDHHmmSS+07'00'`, the PDF date of `at` in Vietnamese time.
fn pdf_date(at: SystemTime) -> Result<String, SignError> {
    let (y, mo, d, h, mi, s) = vn_parts(at).ok_or_else(|| invalid("signing time out of range"))?;
    Ok(format!("D:{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}+07'00'"))
}

/// ISO 8601 in Vietnamese time, `2026-11-27T21:15:00+07:00`.
fn iso_vn(at: SystemTime) -> Option<String> {
    let (y, mo, d, h, mi, s) = vn_parts(at)?;
    Some(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+07:00"))
}

/// A PDF date (`D:YYYY[MM[DD[HH[mm[SS[O[HH['mm']]]]]]]]`) as a time.
fn parse_pdf_date(s: &[u8]) -> Option<SystemTime> {
    let s = s.strip_prefix(b"D:").unwrap_or(s);
    let digits = |from: usize, len: usize| -> Option<u32> {
        let part = s.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = i32::try_from(digits(0, 4)?).ok()?;
    let opt = |from: usize, default: u32| digits(from, 2).unwrap_or(default);
    let (month, day, hour, minute, second) =
        (opt(4, 1), opt(6, 1), opt(8, 0), opt(10, 0), opt(12, 0));
    let date = time::Date::from_calendar_date(
        year,
        time::Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let tod = time::Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    let mut offset = 0i64;
    if let Some(&sign) = s.get(14)
        && (sign == b'+' || sign == b'-')
    {
        let oh = i64::from(digits(15, 2).unwrap_or(0));
        let om = i64::from(digits(18, 2).or_else(|| digits(17, 2)).unwrap_or(0));
        offset = (oh * 3600 + om * 60) * if sign == b'-' { -1 } else { 1 };
    }
    let local = time::PrimitiveDateTime::new(date, tod)
        .assume_utc()
        .unix_timestamp();
    let utc = u64::try_from(local.checked_sub(offset)?).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(utc))
}

fn to_x509_time(t: SystemTime) -> Option<Time> {
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    GeneralizedTime::from_unix_duration(d)
        .ok()
        .map(Time::GeneralTime)
}

/// Where the object update goes.
enum FormAt {
    Indirect(u32, u16),
    InCatalog,
    New,
}

/// Add an embedded signature to `pdf` as an incremental update (see the module docs).
pub fn sign_pdf(
    pdf: &[u8],
    signer: &dyn Signer,
    opts: &PdfSignOptions,
) -> Result<Vec<u8>, SignError> {
    let doc = PdfDoc::load(pdf)?;
    if doc.trailer.get(b"Encrypt").is_some() {
        return Err(invalid("encrypted PDFs cannot be signed here"));
    }
    let size = doc
        .trailer
        .int(b"Size")
        .and_then(|s| u32::try_from(s).ok())
        .filter(|s| *s > 0 && *s < 8_000_000)
        .ok_or_else(|| invalid("PDF: trailer without a valid /Size"))?
        // A /Size too small (a sloppy writer) must not make new objects replace old ones.
        .max(doc.next_free_number());
    let (cat_n, cat_g, mut catalog) = doc.catalog()?;
    let (page_n, page_g, mut page) = doc.first_page(&catalog)?;
    if catalog.get(b"Perms").is_some() {
        return Err(invalid(
            "the PDF is certified (/Perms): adding a signature could break its certification",
        ));
    }

    let (mut form, form_at) = match catalog.get(b"AcroForm") {
        Some(Obj::Ref(n, g)) => match doc.get(*n)? {
            Obj::Dict(d) => (d, FormAt::Indirect(*n, *g)),
            _ => (Dict::default(), FormAt::New),
        },
        Some(Obj::Dict(d)) => (d.clone(), FormAt::InCatalog),
        _ => (Dict::default(), FormAt::New),
    };
    let mut fields = match form.get(b"Fields") {
        Some(o) => match doc.resolve(o)? {
            Obj::Array(a) => a,
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    let mut names = Vec::new();
    for f in fields.iter().take(10_000) {
        if let Ok(Obj::Dict(d)) = doc.resolve(f)
            && let Some(Obj::Str(t)) = d.get(b"T")
        {
            names.push(decode_text(t));
        }
    }
    let field_name = match &opts.field_name {
        Some(n) if names.contains(n) => {
            return Err(invalid(format!("the PDF already has a field named {n}")));
        }
        Some(n) => n.clone(),
        None => (1..)
            .map(|i| format!("Signature{i}"))
            .find(|n| !names.contains(n))
            .unwrap_or_default(),
    };

    let cert = signer.certificate();
    let at = opts.signing_time.unwrap_or_else(|| signer.signing_time());
    let name = opts.name.clone().or_else(|| subject_attr(&cert, CN));
    let location = opts.location.clone().or_else(|| subject_attr(&cert, ST));

    // Object numbers of the update.
    let field_n = size;
    let sig_n = size + 1;
    let mut next = size + 2;
    let form_n = match form_at {
        FormAt::New => {
            next += 1;
            Some(next - 1)
        }
        _ => None,
    };

    // The visible box's objects.
    let visible = match &opts.visible {
        Some(v) => {
            let [x1, y1, x2, y2] = v.rect;
            let mut lines = vec![format!("Ký bởi: {}", name.clone().unwrap_or_default())];
            lines.extend(v.position.clone());
            lines.push(format!("Thời gian ký: {}", iso_vn(at).unwrap_or_default()));
            let app = appearance::build((x2 - x1).abs(), (y2 - y1).abs(), &lines, next)?;
            next += app.objects.len() as u32;
            Some((v.rect, app))
        }
        None => None,
    };

    // The signature field, merged with its widget annotation; printable and locked.
    let mut field = Dict::default();
    field.set(b"Type", Obj::Name(b"Annot".to_vec()));
    field.set(b"Subtype", Obj::Name(b"Widget".to_vec()));
    field.set(b"FT", Obj::Name(b"Sig".to_vec()));
    field.set(b"T", text_string(&field_name));
    field.set(b"V", Obj::Ref(sig_n, 0));
    field.set(b"P", Obj::Ref(page_n, page_g));
    match &visible {
        Some((rect, app)) => {
            field.set(
                b"Rect",
                Obj::Array(
                    rect.iter()
                        .map(|v| Obj::Real(format!("{v:.2}").into_bytes()))
                        .collect(),
                ),
            );
            let mut ap = Dict::default();
            ap.set(b"N", Obj::Ref(app.first, 0));
            field.set(b"AP", Obj::Dict(ap));
        }
        None => field.set(
            b"Rect",
            Obj::Array(vec![Obj::Int(0), Obj::Int(0), Obj::Int(0), Obj::Int(0)]),
        ),
    }
    field.set(b"F", Obj::Int(132));

    // The page lists the widget.
    let mut annots = match page.get(b"Annots") {
        Some(o) => match doc.resolve(o)? {
            Obj::Array(a) => a,
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    annots.push(Obj::Ref(field_n, 0));
    page.set(b"Annots", Obj::Array(annots));

    // The form lists the field.
    fields.push(Obj::Ref(field_n, 0));
    form.set(b"Fields", Obj::Array(fields));
    form.set(b"SigFlags", Obj::Int(3));

    // The catalogue: the form, and the PAdES extension (ESIC, ISO 32000-1 based files).
    let mut extensions = match catalog.get(b"Extensions") {
        Some(o) => match doc.resolve(o)? {
            Obj::Dict(d) => d,
            _ => Dict::default(),
        },
        None => Dict::default(),
    };
    if extensions.get(b"ESIC").is_none() {
        let mut esic = Dict::default();
        esic.set(b"BaseVersion", Obj::Name(b"1.7".to_vec()));
        esic.set(b"ExtensionLevel", Obj::Int(2));
        extensions.set(b"ESIC", Obj::Dict(esic));
    }
    catalog.set(b"Extensions", Obj::Dict(extensions));
    match form_at {
        FormAt::InCatalog => catalog.set(b"AcroForm", Obj::Dict(form.clone())),
        FormAt::New => {
            if let Some(n) = form_n {
                catalog.set(b"AcroForm", Obj::Ref(n, 0));
            }
        }
        FormAt::Indirect(..) => {}
    }

    // Write the update.
    let mut out = pdf.to_vec();
    if !matches!(out.last(), Some(b'\n' | b'\r')) {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u32, u16, usize)> = Vec::new();
    let begin = |out: &mut Vec<u8>, offsets: &mut Vec<(u32, u16, usize)>, n: u32, g: u16| {
        offsets.push((n, g, out.len()));
        out.extend_from_slice(format!("{n} {g} obj\n").as_bytes());
    };
    let end = |out: &mut Vec<u8>| out.extend_from_slice(b"\nendobj\n");

    begin(&mut out, &mut offsets, field_n, 0);
    write_dict(&mut out, &field);
    end(&mut out);

    // The signature dictionary, with placeholders.
    begin(&mut out, &mut offsets, sig_n, 0);
    out.extend_from_slice(
        b"<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M ",
    );
    write_obj(&mut out, &Obj::Str(pdf_date(at)?.into_bytes()));
    for (key, value) in [
        (&b"Name"[..], &name),
        (b"Reason", &opts.reason),
        (b"Location", &location),
        (b"ContactInfo", &opts.contact_info),
    ] {
        if let Some(v) = value {
            out.push(b'/');
            out.extend_from_slice(key);
            out.push(b' ');
            write_obj(&mut out, &text_string(v));
            out.push(b' ');
        }
    }
    out.extend_from_slice(b"/ByteRange ");
    let byte_range_at = out.len();
    const BYTE_RANGE_WIDTH: usize = 36; // "[0 " + 3 × 10 digits + 2 spaces + "]"
    out.extend_from_slice(&[b' '; BYTE_RANGE_WIDTH]);
    out.extend_from_slice(b" /Contents ");
    let contents_at = out.len();
    let hex_len = opts
        .contents_size
        .checked_mul(2)
        .ok_or_else(|| invalid("contents_size too large"))?;
    out.push(b'<');
    out.resize(out.len() + hex_len, b'0');
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(b">>");
    end(&mut out);

    begin(&mut out, &mut offsets, page_n, page_g);
    write_dict(&mut out, &page);
    end(&mut out);
    if page_n != cat_n {
        begin(&mut out, &mut offsets, cat_n, cat_g);
        write_dict(&mut out, &catalog);
        end(&mut out);
    }
    match (form_at, form_n) {
        (FormAt::Indirect(n, g), _) => {
            begin(&mut out, &mut offsets, n, g);
            write_dict(&mut out, &form);
            end(&mut out);
        }
        (FormAt::New, Some(n)) => {
            begin(&mut out, &mut offsets, n, 0);
            write_dict(&mut out, &form);
            end(&mut out);
        }
        _ => {}
    }

    if let Some((_, app)) = &visible {
        for (i, (dict, data)) in app.objects.iter().enumerate() {
            begin(&mut out, &mut offsets, app.first + i as u32, 0);
            match data {
                Some(data) => write_stream(&mut out, dict, data),
                None => write_dict(&mut out, dict),
            }
            end(&mut out);
        }
    }

    let mut seed = pdf_date(at)?.into_bytes();
    seed.extend_from_slice(field_name.as_bytes());
    finish_update(&mut out, &doc, pdf, (cat_n, cat_g), offsets, next, &seed);

    // ByteRange, then the CMS over it.
    let tail = out.len() - contents_end;
    let br = format!("[0 {contents_at} {contents_end} {tail}]");
    if br.len() > BYTE_RANGE_WIDTH {
        return Err(invalid("file too large for the ByteRange placeholder"));
    }
    out[byte_range_at..byte_range_at + br.len()].copy_from_slice(br.as_bytes());
    let mut signed = Vec::with_capacity(out.len() - hex_len);
    signed.extend_from_slice(&out[..contents_at]);
    signed.extend_from_slice(&out[contents_end..]);
    let cms = signer.sign_pades(&signed)?;
    if cms.len() > opts.contents_size {
        return Err(invalid(format!(
            "the signature ({} bytes) does not fit the {} bytes reserved: raise contents_size",
            cms.len(),
            opts.contents_size
        )));
    }
    let mut hex = Vec::with_capacity(cms.len() * 2 + 2);
    write_hex(&mut hex, &cms);
    // `hex` is `<…>`: copy the digits only, the zero padding stays.
    let digits = &hex[1..hex.len() - 1];
    out[contents_at + 1..contents_at + 1 + digits.len()].copy_from_slice(digits);
    Ok(out)
}

/// Write the cross-reference section (a table, or an xref stream when the newest section of
/// `pdf` is one) and the trailer of an incremental update whose objects start at the given
/// offsets in `out` (which begins with `pdf`). `next` is the first unused object number;
/// `id_seed` makes the second /ID of the new revision.
fn finish_update(
    out: &mut Vec<u8>,
    doc: &PdfDoc<'_>,
    pdf: &[u8],
    root: (u32, u16),
    mut offsets: Vec<(u32, u16, usize)>,
    mut next: u32,
    id_seed: &[u8],
) {
    let (cat_n, cat_g) = root;
    // Trailer entries carried over; the second /ID changes with every revision.
    let mut trailer = Dict::default();
    trailer.set(b"Root", Obj::Ref(cat_n, cat_g));
    if let Some(info) = doc.trailer.get(b"Info") {
        trailer.set(b"Info", info.clone());
    }
    let mut hasher = Sha256::new();
    hasher.update(pdf);
    hasher.update(id_seed);
    let new_id = hasher.finalize()[..16].to_vec();
    let first_id = match doc.trailer.get(b"ID") {
        Some(Obj::Array(a)) => match a.first() {
            Some(Obj::Str(s)) => s.clone(),
            _ => new_id.clone(),
        },
        _ => new_id.clone(),
    };
    trailer.set(
        b"ID",
        Obj::Array(vec![Obj::Str(first_id), Obj::Str(new_id)]),
    );
    trailer.set(b"Prev", Obj::Int(doc.startxref as i64));

    let xref_at = out.len();
    if doc.xref_stream {
        let xs_n = next;
        next += 1;
        offsets.push((xs_n, 0, xref_at));
        offsets.sort_by_key(|(n, _, _)| *n);
        let max_off = offsets.iter().map(|(_, _, o)| *o).max().unwrap_or(0);
        let ow: usize = if u32::try_from(max_off).is_ok() { 4 } else { 8 };
        let mut index = Vec::new();
        let mut rows = Vec::new();
        for run in runs(&offsets) {
            index.push(Obj::Int(i64::from(run[0].0)));
            index.push(Obj::Int(run.len() as i64));
            for (_, g, o) in run {
                rows.push(1u8);
                rows.extend_from_slice(&(*o as u64).to_be_bytes()[8 - ow..]);
                rows.extend_from_slice(&g.to_be_bytes());
            }
        }
        let mut d = trailer;
        d.set(b"Type", Obj::Name(b"XRef".to_vec()));
        d.set(b"Size", Obj::Int(i64::from(next)));
        d.set(b"Index", Obj::Array(index));
        d.set(
            b"W",
            Obj::Array(vec![Obj::Int(1), Obj::Int(ow as i64), Obj::Int(2)]),
        );
        d.set(b"Length", Obj::Int(rows.len() as i64));
        out.extend_from_slice(format!("{xs_n} 0 obj\n").as_bytes());
        write_dict(out, &d);
        out.extend_from_slice(b"\nstream\n");
        out.extend_from_slice(&rows);
        out.extend_from_slice(b"\nendstream\nendobj\n");
    } else {
        offsets.sort_by_key(|(n, _, _)| *n);
        out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n");
        for run in runs(&offsets) {
            out.extend_from_slice(format!("{} {}\n", run[0].0, run.len()).as_bytes());
            for (_, g, o) in run {
                out.extend_from_slice(format!("{o:010} {g:05} n \n").as_bytes());
            }
        }
        trailer.set(b"Size", Obj::Int(i64::from(next)));
        out.extend_from_slice(b"trailer\n");
        write_dict(out, &trailer);
        out.push(b'\n');
    }
    out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
}

/// Contiguous runs of object numbers (sorted input) for the cross-reference subsections.
fn runs(sorted: &[(u32, u16, usize)]) -> Vec<&[(u32, u16, usize)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=sorted.len() {
        if i == sorted.len() || sorted[i].0 != sorted[i - 1].0 + 1 {
            out.push(&sorted[start..i]);
            start = i;
        }
    }
    out
}

/// The two signatures of an issued document, embedded: the signer's (personal certificate)
/// first, then the agency's (organisation certificate) over the signed file. The first
/// signature then covers the first revision, the second the whole file.
pub fn sign_issued_pdf(
    pdf: &[u8],
    person: &dyn Signer,
    agency: &dyn Signer,
) -> Result<Vec<u8>, SignError> {
    let signed = sign_pdf(
        pdf,
        person,
        &PdfSignOptions {
            reason: Some("Ký văn bản (người có thẩm quyền)".into()),
            ..PdfSignOptions::default()
        },
    )?;
    sign_pdf(
        &signed,
        agency,
        &PdfSignOptions {
            reason: Some("Ký số của cơ quan, tổ chức khi ban hành".into()),
            ..PdfSignOptions::default()
        },
    )
}

/// Whether `pdf` can take an embedded signature or a stamp here: it is read by our bounded
/// reader, is not encrypted, not certified (/Perms) and has a first page. An error says why
/// not; the callers then keep detached signatures only.
pub fn pdf_can_be_signed(pdf: &[u8]) -> Result<(), SignError> {
    let doc = PdfDoc::load(pdf)?;
    if doc.trailer.get(b"Encrypt").is_some() {
        return Err(invalid("encrypted PDFs cannot be signed here"));
    }
    let (_, _, catalog) = doc.catalog()?;
    if catalog.get(b"Perms").is_some() {
        return Err(invalid(
            "the PDF is certified (/Perms): adding a signature could break its certification",
        ));
    }
    doc.first_page(&catalog)?;
    Ok(())
}

/// A page attribute, looked up on the page and then up its /Parent chain (ISO 32000-1
/// §7.7.3.4: /Resources, /MediaBox, /CropBox and /Rotate are inheritable).
fn inherited(doc: &PdfDoc<'_>, page: &Dict, key: &[u8]) -> Result<Option<Obj>, SignError> {
    let mut node = page.clone();
    for _ in 0..32 {
        if let Some(v) = node.get(key) {
            return Ok(Some(doc.resolve(v)?));
        }
        match node.get(b"Parent") {
            Some(p @ Obj::Ref(..)) => match doc.resolve(p)? {
                Obj::Dict(d) => node = d,
                _ => return Ok(None),
            },
            _ => return Ok(None),
        }
    }
    Ok(None)
}

fn number(o: &Obj) -> Option<f32> {
    match o {
        Obj::Int(i) => Some(*i as f32),
        Obj::Real(r) => std::str::from_utf8(r).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Stamp `lines` (the number and notation, the date of issue) in black at the top left of
/// the first page, in the top margin, as an **incremental update**: the original bytes stay
/// as they are, so a signature made before (the signer's) still verifies; a signature made
/// after (the agency's) covers the stamp. The text is Liberation Serif with a ToUnicode map,
/// so `pdftotext` and search find it. The page's earlier content is wrapped in `q … Q` so that
/// its graphics state cannot move the stamp.
pub fn stamp_pdf(pdf: &[u8], lines: &[String]) -> Result<Vec<u8>, SignError> {
    if lines.is_empty() || lines.len() > 8 {
        return Err(invalid("a stamp has 1 to 8 lines"));
    }
    let doc = PdfDoc::load(pdf)?;
    if doc.trailer.get(b"Encrypt").is_some() {
        return Err(invalid("encrypted PDFs cannot be stamped here"));
    }
    let size = doc
        .trailer
        .int(b"Size")
        .and_then(|s| u32::try_from(s).ok())
        .filter(|s| *s > 0 && *s < 8_000_000)
        .ok_or_else(|| invalid("PDF: trailer without a valid /Size"))?
        .max(doc.next_free_number());
    let (cat_n, cat_g, catalog) = doc.catalog()?;
    if catalog.get(b"Perms").is_some() {
        return Err(invalid(
            "the PDF is certified (/Perms): it cannot be stamped",
        ));
    }
    let (page_n, page_g, mut page) = doc.first_page(&catalog)?;

    // Where: the page's crop box (else media box), top left, inside the top margin.
    let bx = match inherited(&doc, &page, b"CropBox")? {
        Some(b) => Some(b),
        None => inherited(&doc, &page, b"MediaBox")?,
    };
    let [x0, y0, x1, y1] = match bx {
        Some(Obj::Array(a)) if a.len() == 4 => {
            let v: Vec<f32> = a.iter().filter_map(number).collect();
            if v.len() == 4 {
                [
                    v[0].min(v[2]),
                    v[1].min(v[3]),
                    v[0].max(v[2]),
                    v[1].max(v[3]),
                ]
            } else {
                [0.0, 0.0, 595.0, 842.0]
            }
        }
        _ => [0.0, 0.0, 595.0, 842.0],
    };
    let (w, h) = (x1 - x0, y1 - y0);
    if !(w > 100.0 && h > 100.0) {
        return Err(invalid("the first page is too small for a stamp"));
    }
    let box_w = (w * 0.55).min(320.0);
    let box_h = (lines.len() as f32 * 13.0 * 1.2 + 6.0).min(h / 4.0);
    let (sx, sy) = (x0 + (w * 0.08).min(56.0), y1 - 8.0 - box_h);

    // Resources: the page's own or inherited ones, with the stamp as a new XObject.
    let mut resources = match inherited(&doc, &page, b"Resources")? {
        Some(Obj::Dict(d)) => d,
        _ => Dict::default(),
    };
    let mut xobjects = match resources.get(b"XObject") {
        Some(o) => match doc.resolve(o)? {
            Obj::Dict(d) => d,
            _ => Dict::default(),
        },
        None => Dict::default(),
    };
    let xname = (1..1000)
        .map(|i| format!("CqdtStamp{i}"))
        .find(|n| xobjects.get(n.as_bytes()).is_none())
        .ok_or_else(|| invalid("too many stamps on the page"))?;

    let (prefix_n, suffix_n, first) = (size, size + 1, size + 2);
    let app = appearance::build_styled(box_w, box_h, lines, first, false)?;
    let next = first + app.objects.len() as u32;
    xobjects.set(xname.as_bytes(), Obj::Ref(app.first, 0));
    resources.set(b"XObject", Obj::Dict(xobjects));
    page.set(b"Resources", Obj::Dict(resources));

    let mut contents = vec![Obj::Ref(prefix_n, 0)];
    match page.get(b"Contents") {
        Some(Obj::Ref(n, g)) => match doc.get(*n)? {
            Obj::Array(a) => contents.extend(a),
            _ => contents.push(Obj::Ref(*n, *g)),
        },
        Some(Obj::Array(a)) => contents.extend(a.iter().cloned()),
        _ => {}
    }
    contents.push(Obj::Ref(suffix_n, 0));
    page.set(b"Contents", Obj::Array(contents));

    let mut out = pdf.to_vec();
    if !matches!(out.last(), Some(b'\n' | b'\r')) {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u32, u16, usize)> = Vec::new();
    let mut object = |out: &mut Vec<u8>, n: u32, g: u16, write: &dyn Fn(&mut Vec<u8>)| {
        offsets.push((n, g, out.len()));
        out.extend_from_slice(format!("{n} {g} obj\n").as_bytes());
        write(out);
        out.extend_from_slice(b"\nendobj\n");
    };
    object(&mut out, page_n, page_g, &|o| write_dict(o, &page));
    object(&mut out, prefix_n, 0, &|o| {
        write_stream(o, &Dict::default(), b"q\n")
    });
    let draw = format!("\nQ\nq 1 0 0 1 {sx:.2} {sy:.2} cm /{xname} Do Q\n");
    object(&mut out, suffix_n, 0, &|o| {
        write_stream(o, &Dict::default(), draw.as_bytes())
    });
    for (i, (dict, data)) in app.objects.iter().enumerate() {
        object(&mut out, app.first + i as u32, 0, &|o| match data {
            Some(data) => write_stream(o, dict, data),
            None => write_dict(o, dict),
        });
    }
    let seed = lines.join("\n").into_bytes();
    finish_update(&mut out, &doc, pdf, (cat_n, cat_g), offsets, next, &seed);
    Ok(out)
}

/// The length of the DER value at the start of `data` (tag, length, content), which drops the
/// zero padding of `/Contents`.
fn der_total_len(data: &[u8]) -> Option<usize> {
    let first = *data.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = data.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b)),
            2 + n,
        )
    };
    let total = header.checked_add(len)?;
    (total <= data.len()).then_some(total)
}

/// Every embedded signature of `pdf`, verified against `trust_roots`. Errors only when the PDF
/// cannot be read at all; a PDF without signatures gives an empty list; every problem with a
/// signature is in its report.
pub fn verify_pdf(
    pdf: &[u8],
    trust_roots: &[Certificate],
) -> Result<Vec<PdfSignatureReport>, SignError> {
    let doc = PdfDoc::load(pdf)?;
    let (_, _, catalog) = doc.catalog()?;
    let Some(form) = catalog.get(b"AcroForm") else {
        return Ok(Vec::new());
    };
    let Obj::Dict(form) = doc.resolve(form)? else {
        return Ok(Vec::new());
    };
    let fields = match form.get(b"Fields") {
        Some(o) => match doc.resolve(o)? {
            Obj::Array(a) => a,
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    // Walk the field tree (inheriting /FT, building full names), bounded.
    let mut stack: Vec<(Obj, Option<Vec<u8>>, String)> = fields
        .into_iter()
        .rev()
        .map(|f| (f, None, String::new()))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut reports = Vec::new();
    let mut steps = 0usize;
    while let Some((f, inherited_ft, parent)) = stack.pop() {
        steps += 1;
        if steps > 100_000 {
            return Err(invalid("PDF: too many form fields"));
        }
        if let Obj::Ref(n, _) = f
            && !seen.insert(n)
        {
            continue;
        }
        let Ok(Obj::Dict(d)) = doc.resolve(&f) else {
            continue;
        };
        let ft = d.name(b"FT").map(<[u8]>::to_vec).or(inherited_ft);
        let partial = match d.get(b"T") {
            Some(Obj::Str(t)) => decode_text(t),
            _ => String::new(),
        };
        let full = match (parent.is_empty(), partial.is_empty()) {
            (true, _) => partial,
            (false, true) => parent.clone(),
            (false, false) => format!("{parent}.{partial}"),
        };
        if let Some(Obj::Array(kids)) = d.get(b"Kids").map(|k| doc.resolve(k)).transpose()? {
            for k in kids.into_iter().rev() {
                stack.push((k, ft.clone(), full.clone()));
            }
            continue;
        }
        if ft.as_deref() != Some(b"Sig") {
            continue;
        }
        match d.get(b"V") {
            Some(Obj::Ref(n, _)) => reports.push(check_signature(&doc, *n, full, trust_roots)),
            Some(Obj::Dict(_)) => reports.push(PdfSignatureReport {
                problems: vec!["the signature dictionary is not an indirect object".into()],
                ..empty_report(full)
            }),
            _ => {} // an empty signature field
        }
    }
    let eofs: Vec<u64> = pdf
        .windows(5)
        .enumerate()
        .filter(|(_, w)| *w == b"%%EOF")
        .map(|(i, _)| i as u64 + 5)
        .collect();
    for r in &mut reports {
        r.revisions = u32::try_from(eofs.len()).unwrap_or(u32::MAX);
        if r.signed_length > 0 {
            let n = eofs.iter().filter(|e| **e <= r.signed_length).count();
            r.revision = u32::try_from(n).unwrap_or(u32::MAX);
        }
    }
    Ok(reports)
}

fn empty_report(field: String) -> PdfSignatureReport {
    PdfSignatureReport {
        field,
        sub_filter: String::new(),
        byte_range: Vec::new(),
        covers_whole_file: false,
        signed_length: 0,
        revision: 0,
        revisions: 0,
        name: None,
        reason: None,
        location: None,
        signing_time_vn: None,
        signer: None,
        problems: Vec::new(),
    }
}

fn check_signature(
    doc: &PdfDoc<'_>,
    sig_n: u32,
    field: String,
    roots: &[Certificate],
) -> PdfSignatureReport {
    let mut r = empty_report(field);
    let pdf = doc.data;
    let sig = match doc.get(sig_n) {
        Ok(Obj::Dict(d)) => d,
        Ok(_) => {
            r.problems
                .push("the signature value is not a dictionary".into());
            return r;
        }
        Err(e) => {
            r.problems.push(e.to_string());
            return r;
        }
    };
    let text = |k: &[u8]| match sig.get(k) {
        Some(Obj::Str(s)) => Some(decode_text(s)),
        _ => None,
    };
    r.name = text(b"Name");
    r.reason = text(b"Reason");
    r.location = text(b"Location");
    r.sub_filter = sig
        .name(b"SubFilter")
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let claimed = match sig.get(b"M") {
        Some(Obj::Str(m)) => parse_pdf_date(m),
        _ => None,
    };
    r.signing_time_vn = claimed.and_then(iso_vn);
    if r.sub_filter != "ETSI.CAdES.detached" && r.sub_filter != "adbe.pkcs7.detached" {
        r.problems
            .push(format!("unsupported /SubFilter {:?}", r.sub_filter));
        return r;
    }

    // ByteRange: [0 a b c], the gap [a, b) being exactly this dictionary's /Contents.
    let br: Option<Vec<u64>> = match sig.get(b"ByteRange") {
        Some(Obj::Array(a)) => a
            .iter()
            .map(|o| match o {
                Obj::Int(i) => u64::try_from(*i).ok(),
                _ => None,
            })
            .collect(),
        _ => None,
    };
    let Some(br) = br.filter(|v| v.len() == 4) else {
        r.problems.push("missing or malformed /ByteRange".into());
        return r;
    };
    r.byte_range = br.clone();
    let len = pdf.len() as u64;
    let (a, b, c) = (br[1], br[2], br[3]);
    let end = b.checked_add(c);
    if br[0] != 0 || a >= b || end.is_none_or(|e| e > len) {
        r.problems
            .push("the /ByteRange does not fit the file".into());
        return r;
    }
    let end = end.unwrap_or(len);
    let (Ok(a), Ok(b), Ok(end_u)) = (usize::try_from(a), usize::try_from(b), usize::try_from(end))
    else {
        r.problems
            .push("the /ByteRange does not fit the file".into());
        return r;
    };
    if b - a > MAX_CONTENTS_HEX + 2 {
        r.problems.push("the /Contents is implausibly large".into());
        return r;
    }
    let contents_span = doc
        .offset_of(sig_n)
        .and_then(|off| dict_spans_at(pdf, off).ok())
        .and_then(|spans| {
            spans
                .into_iter()
                .find(|(k, _, _)| k == b"Contents")
                .map(|(_, s, e)| (s, e))
        });
    match contents_span {
        Some((s, e)) if s == a && e == b && pdf.get(a) == Some(&b'<') => {}
        Some(_) => r
            .problems
            .push("the /ByteRange does not leave out exactly this signature's /Contents".into()),
        None => r
            .problems
            .push("the signature dictionary cannot be located in the file".into()),
    }
    r.signed_length = end;
    r.covers_whole_file = end == len;
    if !r.covers_whole_file {
        let head = &pdf[..end_u];
        let trimmed = head
            .iter()
            .rposition(|c| !matches!(c, b'\r' | b'\n' | b' '))
            .map_or(&head[..0], |p| &head[..=p]);
        if !trimmed.ends_with(b"%%EOF") {
            r.problems
                .push("the signed range does not end at the end of a revision (%%EOF)".into());
        }
    }
    let Some(Obj::Str(contents)) = sig.get(b"Contents") else {
        r.problems.push("missing /Contents".into());
        return r;
    };
    let Some(cms_len) = der_total_len(contents) else {
        r.problems
            .push("the /Contents is not a DER signature".into());
        return r;
    };
    let mut signed = Vec::with_capacity(end_u - (b - a));
    signed.extend_from_slice(&pdf[..a]);
    signed.extend_from_slice(&pdf[b..end_u]);
    match verify_with_claimed_time(
        &signed,
        &contents[..cms_len],
        roots,
        claimed.and_then(to_x509_time),
    ) {
        Ok(report) => {
            if report.signers.len() != 1 {
                r.problems.push(format!(
                    "{} signers in one PDF signature (one expected)",
                    report.signers.len()
                ));
            }
            r.signer = report.signers.into_iter().next();
        }
        Err(e) => r.problems.push(format!("unreadable signature: {e}")),
    }
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pdf_dates_round_trip_in_vietnamese_time() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_900_000);
        let d = pdf_date(at).unwrap();
        assert!(d.ends_with("+07'00'"), "{d}");
        assert_eq!(parse_pdf_date(d.as_bytes()), Some(at));
        assert_eq!(
            parse_pdf_date(b"D:20261127141500Z"),
            parse_pdf_date(b"D:20261127211500+07'00'")
        );
        assert_eq!(iso_vn(at).unwrap().len(), 25);
        assert_eq!(parse_pdf_date(b"D:2026139"), None);
        assert_eq!(parse_pdf_date(b"garbage"), None);
    }

    #[test]
    fn der_length_ignores_padding() {
        assert_eq!(der_total_len(&[0x30, 0x03, 1, 2, 3, 0, 0]), Some(5));
        assert_eq!(der_total_len(&[0x30, 0x82, 0x01, 0x00, 0]), None);
        assert_eq!(der_total_len(&[0x30]), None);
    }
}
