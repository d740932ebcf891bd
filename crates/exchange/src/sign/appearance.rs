//! The visible appearance of a signature: a small box with the signer's name, position and
//! signing time, in Liberation Serif (the font `cqdt-outputs` prints with, which has the
//! Vietnamese letters), embedded as a subset (Type0 / CIDFontType2, Identity-H, ToUnicode).

use super::SignError;
use super::pdf_read::{Dict, Obj, write_dict};
use sha2::{Digest, Sha256};
use std::io::Write;

static FONT: &[u8] = include_bytes!("../../../outputs/fonts/LiberationSerif-Regular.ttf");
const FONT_NAME: &str = "LiberationSerif";

/// Where to show a signature and what to write in it.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibleSignature {
    /// The box on the first page, `[x1, y1, x2, y2]` in PDF points from the lower left corner.
    pub rect: [f32; 4],
    /// The signer's position (chức vụ), written under the name.
    pub position: Option<String>,
}

/// The appearance's objects, to be numbered from `first` by the caller: the form XObject is
/// object `first`.
pub(crate) struct Appearance {
    /// The form XObject's number; the other objects follow it.
    pub first: u32,
    /// (dictionary, stream data) for each object, in number order from `first`.
    pub objects: Vec<(Dict, Option<Vec<u8>>)>,
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, SignError> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data)
        .map_err(|e| SignError::Invalid(e.to_string()))?;
    enc.finish().map_err(|e| SignError::Invalid(e.to_string()))
}

fn real(v: f32) -> Obj {
    Obj::Real(format!("{v:.2}").into_bytes())
}

fn name(n: &str) -> Obj {
    Obj::Name(n.as_bytes().to_vec())
}

/// Build the box for `lines` in a `width` × `height` form; object numbers from `first`.
pub(crate) fn build(
    width: f32,
    height: f32,
    lines: &[String],
    first: u32,
) -> Result<Appearance, SignError> {
    build_styled(width, height, lines, first, true)
}

/// [`build`], with a blue frame and blue text (a signature box) or, without `frame`, black
/// text only (the number and date a clerk stamps on an issued document).
pub(crate) fn build_styled(
    width: f32,
    height: f32,
    lines: &[String],
    first: u32,
    frame: bool,
) -> Result<Appearance, SignError> {
    if !(width > 4.0 && height > 4.0 && width < 14_400.0 && height < 14_400.0) {
        return Err(SignError::Invalid(
            "the signature box is too small or too large".into(),
        ));
    }
    let face =
        ttf_parser::Face::parse(FONT, 0).map_err(|e| SignError::Invalid(format!("font: {e}")))?;
    let upem = f32::from(face.units_per_em());
    let mut remapper = subsetter::GlyphRemapper::new();
    // Per line: new glyph ids and the width in font units.
    let mut shaped: Vec<(Vec<u16>, f32)> = Vec::new();
    let mut to_unicode: Vec<(u16, char)> = Vec::new();
    for line in lines {
        let mut gids = Vec::new();
        let mut w = 0.0;
        for c in line.chars() {
            let gid = face.glyph_index(c).map_or(0, |g| g.0);
            w += f32::from(
                face.glyph_hor_advance(ttf_parser::GlyphId(gid))
                    .unwrap_or(0),
            );
            let new = remapper.remap(gid);
            if !to_unicode.iter().any(|(g, _)| *g == new) {
                to_unicode.push((new, c));
            }
            gids.push(new);
        }
        shaped.push((gids, w));
    }
    let subset = subsetter::subset(FONT, 0, &remapper)
        .map_err(|e| SignError::Invalid(format!("font subset: {e}")))?;

    // Font size: the lines fit the box with a 3 pt margin, at most 10 pt.
    let pad = 3.0f32;
    let n = lines.len().max(1) as f32;
    let mut size = ((height - 2.0 * pad) / (n * 1.2)).min(if frame { 10.0 } else { 13.0 });
    for (_, w) in &shaped {
        if *w > 0.0 {
            size = size.min((width - 2.0 * pad) * upem / w);
        }
    }
    let size = size.max(1.0);
    let ascent = f32::from(face.ascender()) / upem * size;

    // The form: a blue frame and the lines in dark blue, as signature images are blue (NĐ 30).
    let mut content = if frame {
        format!(
            "q 0 0 0.55 RG 0.8 w 0.4 0.4 {:.2} {:.2} re S Q\nBT 0 0 0.55 rg ",
            width - 0.8,
            height - 0.8,
        )
    } else {
        "BT 0 g ".to_string()
    };
    content.push_str(&format!(
        "/F1 {size:.2} Tf {:.2} TL {pad:.2} {:.2} Td\n",
        size * 1.2,
        height - pad - ascent
    ));
    for (i, (gids, _)) in shaped.iter().enumerate() {
        if i > 0 {
            content.push_str("T* ");
        }
        content.push('<');
        for g in gids {
            content.push_str(&format!("{g:04X}"));
        }
        content.push_str("> Tj\n");
    }
    content.push_str("ET\n");

    // Object numbers: the form is `first`, then the font's objects.
    let (type0_n, cid_n, desc_n, file_n, tu_n) =
        (first + 1, first + 2, first + 3, first + 4, first + 5);
    let digest = Sha256::digest(&subset);
    let tag: String = digest[..6]
        .iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect();
    let base_font = format!("{tag}+{FONT_NAME}");

    let mut font_res = Dict::default();
    font_res.set(b"F1", Obj::Ref(type0_n, 0));
    let mut resources = Dict::default();
    resources.set(b"Font", Obj::Dict(font_res));
    let mut form = Dict::default();
    form.set(b"Type", name("XObject"));
    form.set(b"Subtype", name("Form"));
    form.set(
        b"BBox",
        Obj::Array(vec![Obj::Int(0), Obj::Int(0), real(width), real(height)]),
    );
    form.set(b"Resources", Obj::Dict(resources));
    form.set(b"Filter", name("FlateDecode"));

    let mut type0 = Dict::default();
    type0.set(b"Type", name("Font"));
    type0.set(b"Subtype", name("Type0"));
    type0.set(b"BaseFont", name(&base_font));
    type0.set(b"Encoding", name("Identity-H"));
    type0.set(b"DescendantFonts", Obj::Array(vec![Obj::Ref(cid_n, 0)]));
    type0.set(b"ToUnicode", Obj::Ref(tu_n, 0));

    let widths: Vec<Obj> = remapper
        .remapped_gids()
        .map(|old| {
            let adv = face
                .glyph_hor_advance(ttf_parser::GlyphId(old))
                .unwrap_or(0);
            Obj::Int((f32::from(adv) * 1000.0 / upem).round() as i64)
        })
        .collect();
    let mut sysinfo = Dict::default();
    sysinfo.set(b"Registry", Obj::Str(b"Adobe".to_vec()));
    sysinfo.set(b"Ordering", Obj::Str(b"Identity".to_vec()));
    sysinfo.set(b"Supplement", Obj::Int(0));
    let mut cid = Dict::default();
    cid.set(b"Type", name("Font"));
    cid.set(b"Subtype", name("CIDFontType2"));
    cid.set(b"BaseFont", name(&base_font));
    cid.set(b"CIDSystemInfo", Obj::Dict(sysinfo));
    cid.set(b"FontDescriptor", Obj::Ref(desc_n, 0));
    cid.set(b"W", Obj::Array(vec![Obj::Int(0), Obj::Array(widths)]));
    cid.set(b"CIDToGIDMap", name("Identity"));

    let scale = |v: i16| Obj::Int((f32::from(v) * 1000.0 / upem).round() as i64);
    let bbox = face.global_bounding_box();
    let mut desc = Dict::default();
    desc.set(b"Type", name("FontDescriptor"));
    desc.set(b"FontName", name(&base_font));
    desc.set(b"Flags", Obj::Int(32 + 2)); // nonsymbolic, serif
    desc.set(
        b"FontBBox",
        Obj::Array(vec![
            scale(bbox.x_min),
            scale(bbox.y_min),
            scale(bbox.x_max),
            scale(bbox.y_max),
        ]),
    );
    desc.set(b"ItalicAngle", Obj::Int(0));
    desc.set(b"Ascent", scale(face.ascender()));
    desc.set(b"Descent", scale(face.descender()));
    desc.set(
        b"CapHeight",
        scale(face.capital_height().unwrap_or(face.ascender())),
    );
    desc.set(b"StemV", Obj::Int(80));
    desc.set(b"FontFile2", Obj::Ref(file_n, 0));

    let mut file = Dict::default();
    file.set(b"Length1", Obj::Int(subset.len() as i64));
    file.set(b"Filter", name("FlateDecode"));

    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for chunk in to_unicode.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (g, c) in chunk {
            let mut units = [0u16; 2];
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            cmap.push_str(&format!("<{g:04X}> <{hex}>\n"));
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    let mut tu = Dict::default();
    tu.set(b"Filter", name("FlateDecode"));

    Ok(Appearance {
        first,
        objects: vec![
            (form, Some(deflate(content.as_bytes())?)),
            (type0, None),
            (cid, None),
            (desc, None),
            (file, Some(deflate(&subset)?)),
            (tu, Some(deflate(cmap.as_bytes())?)),
        ],
    })
}

/// Write `dict` (with /Length set) and its stream data.
pub(crate) fn write_stream(out: &mut Vec<u8>, dict: &Dict, data: &[u8]) {
    let mut d = dict.clone();
    d.set(b"Length", Obj::Int(data.len() as i64));
    write_dict(out, &d);
    out.extend_from_slice(b"\nstream\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
}
