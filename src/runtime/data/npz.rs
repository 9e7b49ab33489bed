//! `.npz` archives: the zip files of `numpy.savez` and `numpy.savez_compressed` (one
//! `NAME.npy` member per array), read with CRC checks and written uncompressed.
//!
//! Only what numpy writes is needed: stored or deflated members, zip64 fields (numpy
//! forces them on every member), one disk. Deflate is `miniz_oxide`'s.

/// Whether `bytes` starts like a zip archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// One member of an archive, its data not yet read.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The member's file name (`W.npy`).
    pub name: String,
    method: u16,
    flags: u16,
    crc: u32,
    compressed_size: u64,
    size: u64,
    local_offset: u64,
}

impl Entry {
    /// The array's name: the file name without `.npy`, as `numpy.load` shows it.
    pub fn array_name(&self) -> &str {
        self.name.strip_suffix(".npy").unwrap_or(&self.name)
    }

    /// The size of the member once decompressed.
    pub fn size(&self) -> u64 {
        self.size
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

const EOCD: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

fn truncated(what: &str) -> String {
    format!("truncated or corrupt zip archive: {what}")
}

/// The members of an archive, in stored order.
pub fn entries(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    // The end-of-central-directory record is the last 22 bytes plus a comment of at
    // most 65535 bytes: search backwards for its signature.
    let lowest = bytes.len().saturating_sub(22 + 65535);
    let eocd = (lowest..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(bytes, i) == Some(EOCD))
        .ok_or_else(|| truncated("no end-of-central-directory record (is the file cut short?)"))?;
    let mut count = u16_at(bytes, eocd + 10).ok_or_else(|| truncated("short end record"))? as u64;
    let mut cd_offset =
        u32_at(bytes, eocd + 16).ok_or_else(|| truncated("short end record"))? as u64;
    if count == 0xFFFF || cd_offset == 0xFFFF_FFFF {
        let locator = eocd
            .checked_sub(20)
            .filter(|&l| u32_at(bytes, l) == Some(ZIP64_LOCATOR));
        let record = locator
            .and_then(|l| u64_at(bytes, l + 8))
            .map(|r| r as usize);
        match record {
            Some(r) if u32_at(bytes, r) == Some(ZIP64_EOCD) => {
                count = u64_at(bytes, r + 32).ok_or_else(|| truncated("short zip64 end record"))?;
                cd_offset =
                    u64_at(bytes, r + 48).ok_or_else(|| truncated("short zip64 end record"))?;
            }
            _ => return Err(truncated("a zip64 archive without its zip64 end record")),
        }
    }
    let mut out = Vec::new();
    let mut at =
        usize::try_from(cd_offset).map_err(|_| truncated("central directory out of range"))?;
    for k in 0..count {
        if u32_at(bytes, at) != Some(CENTRAL) {
            return Err(truncated(&format!(
                "central directory entry {k} is missing or damaged"
            )));
        }
        let short = || truncated(&format!("central directory entry {k} is cut short"));
        let flags = u16_at(bytes, at + 8).ok_or_else(short)?;
        let method = u16_at(bytes, at + 10).ok_or_else(short)?;
        let crc = u32_at(bytes, at + 16).ok_or_else(short)?;
        let mut compressed_size = u32_at(bytes, at + 20).ok_or_else(short)? as u64;
        let mut size = u32_at(bytes, at + 24).ok_or_else(short)? as u64;
        let name_len = u16_at(bytes, at + 28).ok_or_else(short)? as usize;
        let extra_len = u16_at(bytes, at + 30).ok_or_else(short)? as usize;
        let comment_len = u16_at(bytes, at + 32).ok_or_else(short)? as usize;
        let mut local_offset = u32_at(bytes, at + 42).ok_or_else(short)? as u64;
        let name_bytes = bytes.get(at + 46..at + 46 + name_len).ok_or_else(short)?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        let extra = bytes
            .get(at + 46 + name_len..at + 46 + name_len + extra_len)
            .ok_or_else(short)?;
        // A zip64 extra field holds, in this order, each of the three values whose
        // 32-bit field is saturated.
        let mut e = 0;
        while e + 4 <= extra.len() {
            let id = u16_at(extra, e).unwrap_or(0);
            let len = u16_at(extra, e + 2).unwrap_or(0) as usize;
            if id == 1 {
                let mut p = e + 4;
                for field in [&mut size, &mut compressed_size, &mut local_offset] {
                    if *field == 0xFFFF_FFFF {
                        *field = u64_at(extra, p).ok_or_else(short)?;
                        p += 8;
                    }
                }
            }
            e += 4 + len;
        }
        out.push(Entry {
            name,
            method,
            flags,
            crc,
            compressed_size,
            size,
            local_offset,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

/// The decompressed bytes of a member, checked against its CRC-32. `max_size` bounds
/// the size the caller is willing to allocate.
pub fn read(bytes: &[u8], e: &Entry, max_size: u64) -> Result<Vec<u8>, String> {
    let name = &e.name;
    if e.flags & 1 != 0 {
        return Err(format!("member `{name}` is encrypted"));
    }
    if e.size > max_size {
        return Err(format!(
            "member `{name}` is {} bytes, over the memory limit",
            e.size
        ));
    }
    let at = usize::try_from(e.local_offset)
        .map_err(|_| truncated(&format!("member `{name}` out of range")))?;
    if u32_at(bytes, at) != Some(LOCAL) {
        return Err(truncated(&format!(
            "the local header of `{name}` is missing or damaged"
        )));
    }
    let short = || truncated(&format!("member `{name}` is cut short"));
    let name_len = u16_at(bytes, at + 26).ok_or_else(short)? as usize;
    let extra_len = u16_at(bytes, at + 28).ok_or_else(short)? as usize;
    let start = at + 30 + name_len + extra_len;
    let end = usize::try_from(e.compressed_size)
        .ok()
        .and_then(|n| start.checked_add(n))
        .ok_or_else(short)?;
    let raw = bytes.get(start..end).ok_or_else(short)?;
    let data = match e.method {
        0 => raw.to_vec(),
        8 => miniz_oxide::inflate::decompress_to_vec_with_limit(raw, e.size as usize)
            .map_err(|err| format!("member `{name}` does not inflate: {:?}", err.status))?,
        m => {
            return Err(format!(
                "member `{name}` uses compression method {m}; only stored and deflate are read"
            ))
        }
    };
    if data.len() as u64 != e.size {
        return Err(format!(
            "member `{name}` is {} bytes once decompressed, its header says {}",
            data.len(),
            e.size
        ));
    }
    let crc = crc32(&data);
    if crc != e.crc {
        return Err(format!(
            "member `{name}` fails its CRC-32 check (stored {:08x}, computed {crc:08x})",
            e.crc
        ));
    }
    Ok(data)
}

/// CRC-32 (IEEE, reflected, as zip uses it).
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// A zip archive of stored members (what `numpy.savez` writes), with a fixed timestamp
/// (1980-01-01) so that the same arrays give the same bytes. Members and the archive
/// must stay under 4 GiB.
pub fn write(members: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    const DOS_DATE: u16 = (1 << 5) | 1;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let offset =
            u32::try_from(out.len()).map_err(|_| "the archive would be over 4 GiB".to_string())?;
        let size = u32::try_from(data.len())
            .map_err(|_| format!("`{name}` is over 4 GiB, too large for a .npz"))?;
        let crc = crc32(data);
        let name_len = name.len() as u16;
        // Fields shared by the local header (from "version needed") and the central one.
        let mut common = Vec::with_capacity(26);
        for v in [20u16, 0, 0, 0, DOS_DATE] {
            common.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            common.extend_from_slice(&v.to_le_bytes());
        }
        common.extend_from_slice(&name_len.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());

        out.extend_from_slice(&LOCAL.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        central.extend_from_slice(&CENTRAL.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&common);
        // comment length, disk, internal and external attributes, local header offset
        central.extend_from_slice(&[0u8; 2 + 2 + 2 + 4]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset =
        u32::try_from(out.len()).map_err(|_| "the archive would be over 4 GiB".to_string())?;
    let count = u16::try_from(members.len())
        .map_err(|_| "more than 65535 arrays for one .npz".to_string())?;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&EOCD.to_le_bytes());
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}
