//! Figures, drawn with plotters (the `plot` feature). PNG needs a TrueType font, which is read
//! from the system once; SVG leaves the font to the viewer.

mod calibration;
mod inputs;
mod run;
mod scaling;
mod style;
mod sweep;

pub use calibration::draw_calibration;
pub use inputs::{RunFiles, SweepFiles};
pub use run::{draw_memory, draw_slowdown};
pub use scaling::draw_scaling;
pub use sweep::{draw_metric, pick_x_axis};

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};

/// The font family every figure uses.
pub const FONT: &str = "sans-serif";

/// Where Debian (fonts-dejavu-core) and most distributions keep a sans-serif font.
const FONT_FILES: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// From the file's extension.
    pub fn of(path: &Path) -> Result<Format, String> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(format!(
                "{}: the figure's name must end in .png or .svg",
                path.display()
            )),
        }
    }
}

/// Registers the sans-serif font once (`MIGSIM_FONT` names another TrueType file).
pub fn ensure_font() -> Result<(), String> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let candidates: Vec<String> = std::env::var("MIGSIM_FONT")
                .into_iter()
                .chain(FONT_FILES.iter().map(|s| s.to_string()))
                .collect();
            let (path, bytes) = candidates
                .iter()
                .find_map(|p| std::fs::read(p).ok().map(|b| (p, b)))
                .ok_or_else(|| {
                    format!(
                        "no TrueType font found (tried {}); install one (Debian: apt-get install fonts-dejavu-core) or set MIGSIM_FONT",
                        candidates.join(", ")
                    )
                })?;
            // Plotters keeps fonts for the whole process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font(FONT, plotters::style::FontStyle::Normal, bytes)
                .map_err(|_| format!("{path} is not a TrueType font plotters can read"))
        })
        .clone()
}

/// Draws into a temporary file beside `path` (same extension, so the backend picks the same
/// encoder) and renames it into place: a reader never sees half a figure.
pub fn write_atomic(
    path: &Path,
    draw: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    let name = path
        .file_name()
        .map_or_else(|| "figure".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".tmp-{}-{name}", std::process::id()));
    let result = draw(&tmp).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A figure that can be drawn on any plotters backend.
pub trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws `figure` at `size` pixels into `path`, PNG or SVG by its extension, atomically.
pub fn render(figure: &impl Figure, size: (u32, u32), path: &Path) -> Result<(), String> {
    ensure_font()?;
    let format = Format::of(path)?;
    write_atomic(path, |tmp| match format {
        Format::Png => figure.draw(BitMapBackend::new(tmp, size).into_drawing_area()),
        Format::Svg => figure.draw(SVGBackend::new(tmp, size).into_drawing_area()),
    })
}
