//! `tsr kernel install` / `uninstall`: the kernelspec folder `kernels/tsr` (kernel.json
//! naming this binary, and two logos drawn here as PNG) under the user's, the Python
//! environment's or a given prefix's Jupyter data folder.

use serde_json::json;
use std::path::{Path, PathBuf};

/// Where the kernelspec goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Location {
    /// The user's Jupyter data folder (`$JUPYTER_DATA_DIR`, else the platform's).
    User,
    /// The active Python environment: `$VIRTUAL_ENV`, `$CONDA_PREFIX`, else python3's
    /// `sys.prefix`.
    SysPrefix,
    /// `DIR/share/jupyter`.
    Prefix(PathBuf),
}

impl Location {
    /// The `kernels` folder's parent: a Jupyter data folder.
    pub fn data_dir(&self) -> Result<PathBuf, String> {
        match self {
            Location::User => {
                if let Some(d) = std::env::var_os("JUPYTER_DATA_DIR").filter(|d| !d.is_empty()) {
                    return Ok(PathBuf::from(d));
                }
                let home = std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .ok_or("HOME is not set: pass --prefix DIR")?;
                let home = PathBuf::from(home);
                if cfg!(target_os = "macos") {
                    return Ok(home.join("Library").join("Jupyter"));
                }
                Ok(
                    match std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
                        Some(d) => PathBuf::from(d).join("jupyter"),
                        None => home.join(".local").join("share").join("jupyter"),
                    },
                )
            }
            Location::SysPrefix => Ok(sys_prefix()?.join("share").join("jupyter")),
            Location::Prefix(dir) => Ok(dir.join("share").join("jupyter")),
        }
    }
}

fn sys_prefix() -> Result<PathBuf, String> {
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(d) = std::env::var_os(var).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(d));
        }
    }
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .map_err(|e| format!("no virtual environment is active and python3 cannot be run ({e}): pass --prefix DIR"))?;
    let prefix = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || prefix.is_empty() {
        return Err("python3 did not say its sys.prefix: pass --prefix DIR".to_string());
    }
    Ok(PathBuf::from(prefix))
}

/// The kernel.json of this binary.
pub fn kernel_json(binary: &Path) -> String {
    let spec = json!({
        "argv": [binary.to_string_lossy(), "kernel", "{connection_file}"],
        "display_name": "tsr",
        "language": "tsr",
        "interrupt_mode": "message",
        "metadata": {"debugger": false},
    });
    format!("{:#}\n", spec)
}

/// Write the kernelspec; returns its folder.
pub fn install(location: &Location) -> Result<PathBuf, String> {
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| format!("cannot find the path of this tsr binary: {e}"))?;
    let dir = location.data_dir()?.join("kernels").join("tsr");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let files: [(&str, Vec<u8>); 3] = [
        ("kernel.json", kernel_json(&binary).into_bytes()),
        ("logo-32x32.png", logo_png(32)),
        ("logo-64x64.png", logo_png(64)),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        crate::runtime::data::atomic::write_atomic(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(dir)
}

/// Remove the kernelspec; returns the folder removed, or `None` when there was none.
pub fn uninstall(location: &Location) -> Result<Option<PathBuf>, String> {
    let dir = location.data_dir()?.join("kernels").join("tsr");
    if !dir.exists() {
        return Ok(None);
    }
    std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    Ok(Some(dir))
}

/// The logo: a 3 × 3 grid of cells (a tensor) on an orange rounded square, as an RGBA PNG.
pub fn logo_png(size: u32) -> Vec<u8> {
    let s = size as f32;
    let mut pixels = Vec::with_capacity((size * size * 4) as usize);
    let radius = s * 0.18;
    for y in 0..size {
        for x in 0..size {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            // Distance outside the rounded square, for its corners.
            let dx = (radius - fx).max(fx - (s - radius)).max(0.0);
            let dy = (radius - fy).max(fy - (s - radius)).max(0.0);
            let outside = (dx * dx + dy * dy).sqrt() - radius;
            let alpha = (0.5 - outside).clamp(0.0, 1.0);
            // The grid: three cells a side inside a margin.
            let margin = s * 0.2;
            let cell = (s - 2.0 * margin) / 3.0;
            let gap = (cell * 0.16).max(1.0);
            let in_grid = fx > margin && fx < s - margin && fy > margin && fy < s - margin;
            let on_cell = in_grid && {
                let (cx, cy) = ((fx - margin) % cell, (fy - margin) % cell);
                cx > gap / 2.0 && cx < cell - gap / 2.0 && cy > gap / 2.0 && cy < cell - gap / 2.0
            };
            let rgb = if on_cell {
                [255, 255, 255]
            } else {
                [232, 110, 38]
            };
            pixels.extend_from_slice(&rgb);
            pixels.push((alpha * 255.0).round() as u8);
        }
    }
    png(size, size, &pixels)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// An 8-bit RGBA PNG.
fn png(width: u32, height: u32, rgba: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(rgba.len() + height as usize);
    for row in rgba.chunks(width as usize * 4) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_iend() {
        // The CRC every PNG's IEND chunk carries.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn logo_is_a_png_that_inflates() {
        let bytes = logo_png(32);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let len = u32::from_be_bytes(bytes[33..37].try_into().unwrap()) as usize;
        assert_eq!(&bytes[37..41], b"IDAT");
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&bytes[41..41 + len]).unwrap();
        assert_eq!(raw.len(), 32 * (32 * 4 + 1));
    }
}
