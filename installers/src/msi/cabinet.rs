//! The MSZIP cabinets that carry the files, written to unnamed temporary
//! files until the final pass embeds them.

use std::fs;
use std::io::{self, BufWriter, Seek, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::output::Timestamp;

/// One file to put into a cabinet: its File-table key and its bytes.
pub struct Member<'a> {
    pub key: &'a str,
    pub bytes: &'a [u8],
}

/// The DOS date and time of every cabinet member: the timestamp (UTC)
/// clamped to 1980–2107, the years a cabinet can hold.
pub fn dos_datetime(timestamp: Timestamp) -> Result<time::PrimitiveDateTime, time::error::ComponentRange> {
    let (year, month, day, hour, minute, second) = timestamp.to_utc();
    let (year, month, day, hour, minute, second) = match year {
        ..1980 => (1980, 1, 1, 0, 0, 0),
        2108.. => (2107, 12, 31, 23, 59, 58),
        _ => (year as i32, month, day, hour, minute, second),
    };
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month)?, day)?;
    let time = time::Time::from_hms(hour, minute, second)?;
    Ok(time::PrimitiveDateTime::new(date, time))
}

/// Writes `members` as one cabinet with a single MSZIP folder into a new
/// temporary file in `dir`; feeds keys and bytes to `digest`.
pub fn write_cabinet(
    dir: &Path,
    members: &[Member<'_>],
    datetime: time::PrimitiveDateTime,
    digest: &mut Sha256,
) -> io::Result<fs::File> {
    let mut builder = cab::CabinetBuilder::new();
    let folder = builder.add_folder(cab::CompressionType::MsZip);
    for member in members {
        let file = folder.add_file(member.key);
        file.set_datetime(datetime);
    }
    let mut temp = tempfile::tempfile_in(dir)?;
    {
        let mut writer = builder.build(BufWriter::with_capacity(1 << 20, &mut temp))?;
        for member in members {
            let Some(mut out) = writer.next_file()? else {
                return Err(io::Error::other("the cabinet writer ran out of members"));
            };
            out.write_all(member.bytes)?;
            digest.update(member.key.as_bytes());
            digest.update([0]);
            digest.update((member.bytes.len() as u64).to_le_bytes());
            digest.update(member.bytes);
        }
        let mut buffered = writer.finish()?;
        buffered.flush()?;
    }
    temp.rewind()?;
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        let dt = dos_datetime(Timestamp(1_700_000_000)).unwrap();
        assert_eq!(dt.to_string(), "2023-11-14 22:13:20.0");
        assert_eq!(dos_datetime(Timestamp(0)).unwrap().year(), 1980);
        assert_eq!(dos_datetime(Timestamp(u64::from(u32::MAX) * 4)).unwrap().year(), 2107);
    }
}
