//! The MSZIP cabinets that carry the files, written to unnamed temporary
//! files until the final pass embeds them.
//!
//! The writer is our own rather than the `cab` crate's, for speed: `cab`
//! deflates at level 9 on one thread and carries the deflate dictionary from
//! one block to the next, so its blocks can only be compressed in order. Here
//! each 32 KiB block is a raw deflate stream of its own that ends in a final
//! block (what gcab, and so wixl, writes; every MSZIP reader accepts it,
//! because a reader keeps the previous block's bytes only as a dictionary the
//! block may, but need not, refer to). Independent blocks can be compressed on
//! all cores, and the output does not depend on how many there are.
//!
//! The layout (MS-CAB): CFHEADER, one CFFOLDER (MSZIP) holding every member,
//! one CFFILE per member in the given order, then the CFDATA blocks. The
//! folder is one stream: the members' bytes concatenated and cut every 32768
//! bytes, across member boundaries, as MS-CAB requires.

use std::borrow::Cow;
use std::fs;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::{Compress, Compression, FlushCompress, Status};
use sha2::{Digest, Sha256};

use crate::output::Timestamp;

/// One file to put into a cabinet: its File-table key and its bytes.
pub struct Member<'a> {
    pub key: &'a str,
    pub bytes: &'a [u8],
}

/// Uncompressed bytes per CFDATA block: MSZIP's 32 KiB deflate window, the
/// most one block may hold.
const BLOCK_SIZE: usize = 0x8000;
/// The most compressed bytes (cbData) MSZIP allows in one block.
const MAX_BLOCK_DATA: usize = BLOCK_SIZE + 12;
/// What a stored (uncompressed) block adds to its bytes: "CK", the
/// BFINAL/BTYPE byte, LEN and NLEN.
const STORED_OVERHEAD: usize = 2 + 1 + 2 + 2;
/// cFiles and cCFData are 16-bit counts.
const MAX_MEMBERS: usize = 0xFFFF;
const MAX_BLOCKS: u64 = 0xFFFF;
/// cbCabinet is 32 bits, and MS-CAB limits a cabinet to 2 GiB − 1.
const MAX_CABINET_SIZE: u64 = i32::MAX as u64;
/// MS-CAB's longest member name, without its NUL terminator.
const MAX_NAME_LEN: usize = 255;
/// zlib's default level, the one gcab (wixl) uses. The `cab` crate's level
/// 9 (one thread, a dictionary carried between blocks) made MSIs ~4% smaller
/// than wixl's but took 1.22× wixl's time; see `bench/msi` in
/// docs/benchmarks.md.
const LEVEL: u32 = 6;
/// Blocks each thread compresses per window: the window (threads × 64 ×
/// 32 KiB, 4 MiB on two cores) bounds the compressed bytes held before they
/// are written, and is long enough that the wait for the window's slowest
/// block is a small share of it.
const BLOCKS_PER_THREAD: usize = 64;
/// CFFILE attributes: archive (what the `cab` crate wrote, and what
/// Windows gives new files), and "the name is UTF-8".
const ATTRIB_ARCHIVE: u16 = 0x20;
const ATTRIB_NAME_IS_UTF: u16 = 0x80;
/// Sizes of the fixed parts of the format.
const HEADER_SIZE: usize = 36;
const FOLDER_SIZE: usize = 8;
const FILE_FIXED_SIZE: usize = 16;
const DATA_HEADER_SIZE: usize = 8;

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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut temp = tempfile::tempfile_in(dir)?;
    write_cabinet_to(&mut temp, members, datetime, digest, threads)?;
    temp.rewind()?;
    Ok(temp)
}

/// [`write_cabinet`] into `out`, compressing on `threads` threads (the
/// bytes do not depend on how many). `digest` is fed on a thread of its own
/// meanwhile, member by member: key, NUL, length (u64 LE), bytes.
fn write_cabinet_to<W: Write + Seek>(
    mut out: W,
    members: &[Member<'_>],
    datetime: time::PrimitiveDateTime,
    digest: &mut Sha256,
    threads: usize,
) -> io::Result<()> {
    // Every limit is checked before any work.
    let (header, blocks) = header(members, datetime)?;
    let start = out.stream_position()?;
    let mut size = header.len() as u64;
    std::thread::scope(|scope| -> io::Result<()> {
        let hasher = scope.spawn(move || {
            for member in members {
                digest.update(member.key.as_bytes());
                digest.update([0]);
                digest.update((member.bytes.len() as u64).to_le_bytes());
                digest.update(member.bytes);
            }
        });
        let mut writer = BufWriter::with_capacity(1 << 20, &mut out);
        writer.write_all(&header)?;
        let threads = threads.clamp(1, blocks.max(1));
        let mut compressors: Vec<Compress> = (0..threads)
            .map(|_| Compress::new(Compression::new(LEVEL), false))
            .collect();
        let mut source = Blocks::new(members);
        let mut written = 0;
        loop {
            let window: Vec<Cow<'_, [u8]>> = source.by_ref().take(threads * BLOCKS_PER_THREAD).collect();
            if window.is_empty() {
                break;
            }
            for (compressed, uncompressed) in compress_window(&window, &mut compressors)?.iter().zip(&window) {
                write_block(&mut writer, compressed, uncompressed.len())?;
                size += (DATA_HEADER_SIZE + compressed.len()) as u64;
            }
            written += window.len();
        }
        debug_assert_eq!(written, blocks);
        writer.flush()?;
        if let Err(panic) = hasher.join() {
            std::panic::resume_unwind(panic);
        }
        Ok(())
    })?;
    if size > MAX_CABINET_SIZE {
        return Err(io::Error::other(format!(
            "the cabinet would be {size} bytes, more than the {MAX_CABINET_SIZE} a cabinet can be"
        )));
    }
    out.seek(SeekFrom::Start(start + 8))?;
    out.write_all(&(size as u32).to_le_bytes())?;
    out.seek(SeekFrom::Start(start + size))?;
    Ok(())
}

/// CFHEADER, CFFOLDER and the CFFILEs (cbCabinet left 0, patched at the
/// end), and the number of CFDATA blocks; or why the members do not fit in
/// one cabinet folder.
fn header(members: &[Member<'_>], datetime: time::PrimitiveDateTime) -> io::Result<(Vec<u8>, usize)> {
    if members.len() > MAX_MEMBERS {
        return Err(io::Error::other(format!(
            "a cabinet holds at most {MAX_MEMBERS} files, not {}",
            members.len()
        )));
    }
    let total: u64 = members.iter().map(|m| m.bytes.len() as u64).sum();
    let blocks = total.div_ceil(BLOCK_SIZE as u64);
    if blocks > MAX_BLOCKS {
        return Err(io::Error::other(format!(
            "the cabinet's files hold {total} bytes, more than the {} (65535 blocks of 32 KiB) a cabinet folder can hold",
            MAX_BLOCKS * BLOCK_SIZE as u64
        )));
    }
    let (date, time) = dos_bits(datetime);
    let files_offset = HEADER_SIZE + FOLDER_SIZE;
    let names: usize = members.iter().map(|m| FILE_FIXED_SIZE + m.key.len() + 1).sum();
    let data_offset = files_offset + names;

    let mut out = Vec::with_capacity(data_offset);
    out.extend_from_slice(b"MSCF");
    out.extend_from_slice(&0u32.to_le_bytes()); // reserved1
    out.extend_from_slice(&0u32.to_le_bytes()); // cbCabinet, patched at the end
    out.extend_from_slice(&0u32.to_le_bytes()); // reserved2
    out.extend_from_slice(&(files_offset as u32).to_le_bytes()); // coffFiles
    out.extend_from_slice(&0u32.to_le_bytes()); // reserved3
    out.extend_from_slice(&[3, 1]); // versionMinor, versionMajor
    out.extend_from_slice(&1u16.to_le_bytes()); // cFolders
    out.extend_from_slice(&(members.len() as u16).to_le_bytes()); // cFiles
    out.extend_from_slice(&0u16.to_le_bytes()); // flags: no reserve, no previous or next cabinet
    out.extend_from_slice(&0u16.to_le_bytes()); // setID
    out.extend_from_slice(&0u16.to_le_bytes()); // iCabinet
    debug_assert_eq!(out.len(), HEADER_SIZE);

    out.extend_from_slice(&(data_offset as u32).to_le_bytes()); // coffCabStart
    out.extend_from_slice(&(blocks as u16).to_le_bytes()); // cCFData
    out.extend_from_slice(&1u16.to_le_bytes()); // typeCompress: MSZIP
    debug_assert_eq!(out.len(), files_offset);

    let mut offset = 0u32; // fits: total < 2 GiB, checked above
    for member in members {
        let name = member.key.as_bytes();
        if name.is_empty() || name.len() > MAX_NAME_LEN || name.contains(&0) {
            return Err(io::Error::other(format!(
                "the cabinet member name {:?} is empty, longer than {MAX_NAME_LEN} bytes or holds a NUL",
                member.key
            )));
        }
        let attribs = if member.key.is_ascii() {
            ATTRIB_ARCHIVE
        } else {
            ATTRIB_ARCHIVE | ATTRIB_NAME_IS_UTF
        };
        out.extend_from_slice(&(member.bytes.len() as u32).to_le_bytes()); // cbFile
        out.extend_from_slice(&offset.to_le_bytes()); // uoffFolderStart
        out.extend_from_slice(&0u16.to_le_bytes()); // iFolder
        out.extend_from_slice(&date.to_le_bytes());
        out.extend_from_slice(&time.to_le_bytes());
        out.extend_from_slice(&attribs.to_le_bytes());
        out.extend_from_slice(name);
        out.push(0);
        offset += member.bytes.len() as u32;
    }
    debug_assert_eq!(out.len(), data_offset);
    Ok((out, blocks as usize))
}

/// The DOS date and time bits, as the `cab` crate made them (odd seconds
/// round up, since DOS time counts two-second steps), except that a second
/// rounded past 2107 is clamped rather than wrapped to 1980.
fn dos_bits(datetime: time::PrimitiveDateTime) -> (u16, u16) {
    let datetime = match datetime.second() % 2 {
        0 => datetime,
        _ => datetime.checked_add(time::Duration::SECOND).unwrap_or(datetime),
    };
    match datetime.year() {
        ..1980 => (0x0021, 0x0000), // 1980-01-01 00:00:00
        2108.. => (0xFF9F, 0xBF7D), // 2107-12-31 23:59:58
        year => {
            let date = ((year - 1980) as u16) << 9 | (datetime.month() as u16) << 5 | u16::from(datetime.day());
            let time =
                u16::from(datetime.hour()) << 11 | u16::from(datetime.minute()) << 5 | u16::from(datetime.second() / 2);
            (date, time)
        }
    }
}

/// The folder's uncompressed stream, cut into 32 KiB blocks: borrowed when a
/// block lies within one member, copied when it spans members.
struct Blocks<'a> {
    members: &'a [Member<'a>],
    /// The member and the offset in it where the next block starts.
    member: usize,
    offset: usize,
}

impl<'a> Blocks<'a> {
    fn new(members: &'a [Member<'a>]) -> Self {
        Blocks {
            members,
            member: 0,
            offset: 0,
        }
    }
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Cow<'a, [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.member < self.members.len() && self.offset == self.members[self.member].bytes.len() {
            self.member += 1;
            self.offset = 0;
        }
        let current = self.members.get(self.member)?.bytes;
        if current.len() - self.offset >= BLOCK_SIZE {
            let block = &current[self.offset..self.offset + BLOCK_SIZE];
            self.offset += BLOCK_SIZE;
            return Some(Cow::Borrowed(block));
        }
        let mut block = Vec::with_capacity(BLOCK_SIZE);
        while block.len() < BLOCK_SIZE && self.member < self.members.len() {
            let bytes = self.members[self.member].bytes;
            let take = (BLOCK_SIZE - block.len()).min(bytes.len() - self.offset);
            block.extend_from_slice(&bytes[self.offset..self.offset + take]);
            self.offset += take;
            if self.offset == bytes.len() {
                self.member += 1;
                self.offset = 0;
            }
        }
        Some(Cow::Owned(block))
    }
}

/// Compresses the window's blocks on one thread per compressor (this one
/// and scoped ones), each taking the next block not yet taken; returns them
/// in window order.
fn compress_window(window: &[Cow<'_, [u8]>], compressors: &mut [Compress]) -> io::Result<Vec<Vec<u8>>> {
    let next = AtomicUsize::new(0);
    let work = |compressor: &mut Compress| -> io::Result<Vec<(usize, Vec<u8>)>> {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(block) = window.get(index) else {
                return Ok(done);
            };
            done.push((index, compress_block(compressor, block)?));
        }
    };
    let (first, rest) = compressors.split_first_mut().expect("at least one compressor");
    let mut results: Vec<Vec<u8>> = vec![Vec::new(); window.len()];
    let mut place = |done: Vec<(usize, Vec<u8>)>| {
        for (index, compressed) in done {
            results[index] = compressed;
        }
    };
    if rest.is_empty() || window.len() == 1 {
        place(work(first)?);
        return Ok(results);
    }
    let work = &work;
    std::thread::scope(|scope| -> io::Result<()> {
        let handles: Vec<_> = rest
            .iter_mut()
            .map(|compressor| scope.spawn(move || work(compressor)))
            .collect();
        let mine = work(first);
        for handle in handles {
            match handle.join() {
                Ok(done) => place(done?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        place(mine?);
        Ok(())
    })?;
    Ok(results)
}

/// One MSZIP block: "CK" and a raw deflate stream of `data` alone, ending in
/// a final block; a stored block when deflate would not make it smaller,
/// which also keeps cbData within MSZIP's 32780.
fn compress_block(compressor: &mut Compress, data: &[u8]) -> io::Result<Vec<u8>> {
    debug_assert!(!data.is_empty() && data.len() <= BLOCK_SIZE);
    let limit = data.len() + STORED_OVERHEAD;
    // compress_vec writes no further than the capacity: a stream that does
    // not end within it is no smaller than the stored block.
    let mut out = Vec::with_capacity(limit);
    out.extend_from_slice(b"CK");
    compressor.reset();
    let status = compressor
        .compress_vec(data, &mut out, FlushCompress::Finish)
        .map_err(|e| io::Error::other(format!("MSZIP compression failed: {e}")))?;
    if status != Status::StreamEnd || out.len() > limit {
        out.clear();
        out.extend_from_slice(b"CK");
        out.push(1); // BFINAL = 1, BTYPE = 00 (stored)
        let len = data.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(data);
    }
    debug_assert!(out.len() <= MAX_BLOCK_DATA);
    Ok(out)
}

/// One CFDATA: checksum, cbData, cbUncomp, the compressed bytes.
fn write_block(out: &mut impl Write, compressed: &[u8], uncompressed: usize) -> io::Result<()> {
    if compressed.len() > MAX_BLOCK_DATA {
        return Err(io::Error::other(format!(
            "an MSZIP block of {} bytes is over MSZIP's limit of {MAX_BLOCK_DATA}",
            compressed.len()
        )));
    }
    let sizes = (compressed.len() as u32 | (uncompressed as u32) << 16).to_le_bytes();
    let csum = checksum(&sizes, checksum(compressed, 0));
    out.write_all(&csum.to_le_bytes())?;
    out.write_all(&sizes)?;
    out.write_all(compressed)
}

/// MS-CAB's CSUMCompute: XOR of the little-endian 32-bit words of `data`
/// into `seed`, with the last 1–3 bytes taken most significant first. A
/// CFDATA's csum is this over its compressed bytes, then over its cbData
/// and cbUncomp fields with the first result as seed.
fn checksum(data: &[u8], seed: u32) -> u32 {
    let words = data.chunks_exact(4);
    let tail = words.remainder();
    let mut csum = words.fold(seed, |csum, word| csum ^ u32::from_le_bytes(word.try_into().unwrap()));
    csum ^= tail.iter().fold(0u32, |acc, &byte| acc << 8 | u32::from(byte));
    csum
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use flate2::{Decompress, FlushDecompress};

    use super::*;

    #[test]
    fn datetimes() {
        let dt = dos_datetime(Timestamp(1_700_000_000)).unwrap();
        assert_eq!(dt.to_string(), "2023-11-14 22:13:20.0");
        assert_eq!(dos_datetime(Timestamp(0)).unwrap().year(), 1980);
        assert_eq!(dos_datetime(Timestamp(u64::from(u32::MAX) * 4)).unwrap().year(), 2107);
    }

    #[test]
    fn dos_bits_match_the_cab_crate() {
        // The cab crate's own test vectors.
        let dt = |y, mo, d, h, mi, s| {
            time::PrimitiveDateTime::new(
                time::Date::from_calendar_date(y, time::Month::try_from(mo).unwrap(), d).unwrap(),
                time::Time::from_hms(h, mi, s).unwrap(),
            )
        };
        assert_eq!(dos_bits(dt(2018, 1, 6, 15, 19, 42)), (0x4c26, 0x7a75));
        assert_eq!(dos_bits(dt(1977, 2, 3, 4, 5, 6)), (0x0021, 0x0000));
        assert_eq!(dos_bits(dt(2110, 2, 3, 4, 5, 6)), (0xff9f, 0xbf7d));
        assert_eq!(dos_bits(dt(2012, 3, 4, 5, 6, 59)), (0x4064, 0x28e0));
        // Where the cab crate wrapped to 1980.
        assert_eq!(dos_bits(dt(2107, 12, 31, 23, 59, 59)), (0xff9f, 0xbf7d));
    }

    #[test]
    fn checksum_vectors() {
        // The CFDATA of MS-CAB's example cabinet (section 4): 0x97 bytes,
        // stored, csum 0x30A65ABD.
        let data: &[u8] = b"#include <stdio.h>\r\n\r\nvoid main(void)\r\n{\r\n    \
            printf(\"Hello, world!\\n\");\r\n}\r\n#include <stdio.h>\r\n\r\n\
            void main(void)\r\n{\r\n    printf(\"Welcome!\\n\");\r\n}\r\n\r\n";
        assert_eq!(data.len(), 0x97);
        let sizes = (0x97u32 | 0x97 << 16).to_le_bytes();
        assert_eq!(checksum(&sizes, checksum(data, 0)), 0x30A6_5ABD);
        // The cab crate's vectors (sizes first, the same XOR of words).
        assert_eq!(checksum(b"\x0e\0\x0e\0Hello, world!\n", 0), 0x7f2e_1a4c);
        assert_eq!(checksum(b"\x1d\0\x1d\0Hello, world!\nSee you later!\n", 0), 0x3509_541a);
        assert_eq!(checksum(b"", 0x1234), 0x1234);
        assert_eq!(checksum(b"\x01\x02\x03", 0), 0x0001_0203);
    }

    /// What a reader makes of a cabinet: (name, date, time, attribs, bytes)
    /// per member, after checking every field and checksum, and inflating
    /// each block on its own (no dictionary from the previous one).
    fn read(cab: &[u8]) -> Vec<(String, u16, u16, u16, Vec<u8>)> {
        let u16_at = |at: usize| u16::from_le_bytes(cab[at..at + 2].try_into().unwrap());
        let u32_at = |at: usize| u32::from_le_bytes(cab[at..at + 4].try_into().unwrap());
        assert_eq!(&cab[..4], b"MSCF");
        assert_eq!(u32_at(8) as usize, cab.len());
        assert_eq!(u32_at(16), 44);
        assert_eq!(&cab[24..26], &[3, 1]);
        assert_eq!(u16_at(26), 1);
        let files = u16_at(28) as usize;
        assert_eq!(u16_at(30), 0);
        let mut at = u32_at(36) as usize;
        let blocks = u16_at(40) as usize;
        assert_eq!(u16_at(42), 1);
        let mut folder = Vec::new();
        for _ in 0..blocks {
            let (csum, cb, uncomp) = (u32_at(at), u16_at(at + 4) as usize, u16_at(at + 6) as usize);
            assert!(cb <= MAX_BLOCK_DATA && uncomp <= BLOCK_SIZE, "{cb} {uncomp}");
            let data = &cab[at + 8..at + 8 + cb];
            assert_eq!(csum, checksum(&cab[at + 4..at + 8], checksum(data, 0)));
            assert_eq!(&data[..2], b"CK");
            let mut inflate = Decompress::new(false);
            let mut out = Vec::with_capacity(uncomp + 1);
            assert_eq!(
                inflate
                    .decompress_vec(&data[2..], &mut out, FlushDecompress::Finish)
                    .unwrap(),
                Status::StreamEnd
            );
            assert_eq!(inflate.total_in() as usize, cb - 2);
            assert_eq!(out.len(), uncomp);
            folder.extend_from_slice(&out);
            at += 8 + cb;
        }
        assert_eq!(at, cab.len());
        let mut at = 44;
        let mut members = Vec::new();
        for _ in 0..files {
            let (size, offset) = (u32_at(at) as usize, u32_at(at + 4) as usize);
            assert_eq!(u16_at(at + 8), 0);
            let end = at + 16 + cab[at + 16..].iter().position(|&b| b == 0).unwrap();
            let name = String::from_utf8(cab[at + 16..end].to_vec()).unwrap();
            let bytes = folder[offset..offset + size].to_vec();
            members.push((name, u16_at(at + 10), u16_at(at + 12), u16_at(at + 14), bytes));
            at = end + 1;
        }
        assert_eq!(at, u32_at(36) as usize);
        members
    }

    /// Bytes that deflate cannot shrink (xorshift64).
    fn noise(len: usize, mut state: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    fn text(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| b"the quick brown fox jumps over the lazy dog\n"[i % 44] ^ (i / 997) as u8)
            .collect()
    }

    fn write(members: &[Member<'_>], threads: usize) -> (Vec<u8>, [u8; 32]) {
        let mut digest = Sha256::new();
        let mut out = Cursor::new(Vec::new());
        let datetime = dos_datetime(Timestamp(1_700_000_000)).unwrap();
        write_cabinet_to(&mut out, members, datetime, &mut digest, threads).unwrap();
        assert_eq!(out.position() as usize, out.get_ref().len());
        (out.into_inner(), digest.finalize().into())
    }

    /// Writes `members` on 1 and 3 threads (same bytes), reads them back,
    /// checks the digest, and runs `cabextract -t` when it is installed.
    fn round_trip(members: &[Member<'_>]) -> Vec<u8> {
        let (cab, digest) = write(members, 1);
        assert_eq!(write(members, 3), (cab.clone(), digest));
        let mut expected = Sha256::new();
        for m in members {
            expected.update(m.key.as_bytes());
            expected.update([0]);
            expected.update((m.bytes.len() as u64).to_le_bytes());
            expected.update(m.bytes);
        }
        assert_eq!(digest, <[u8; 32]>::from(expected.finalize()));
        let read = read(&cab);
        assert_eq!(read.len(), members.len());
        for (m, (name, date, time, attribs, bytes)) in members.iter().zip(read) {
            assert_eq!(name, m.key);
            assert_eq!(
                (date, time, attribs),
                (0x576e, 0xb1aa, 0x20),
                "2023-11-14 22:13:20, archive"
            );
            assert!(bytes == m.bytes, "{name}");
        }
        external_readers(&cab, members);
        cab
    }

    /// `cabextract -t` (checksums, libmspack's inflate) and `gcab -x`
    /// (libgcab, msitools' reader; zlib) on `cab`, when installed: the
    /// members gcab extracts must be `members`.
    fn external_readers(cab: &[u8], members: &[Member<'_>]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cab");
        fs::write(&path, cab).unwrap();
        match std::process::Command::new("cabextract").arg("-t").arg(&path).output() {
            Ok(out) => {
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(
                    out.status.success() && stdout.contains("All done, no errors"),
                    "{stdout}"
                );
            }
            Err(e) => eprintln!("cabextract not run ({e}); apt-get install -y cabextract"),
        }
        let extracted = dir.path().join("gcab");
        fs::create_dir(&extracted).unwrap();
        match std::process::Command::new("gcab")
            .arg("-x")
            .arg("-C")
            .arg(&extracted)
            .arg(&path)
            .output()
        {
            Ok(out) => {
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                for member in members {
                    assert!(
                        fs::read(extracted.join(member.key)).unwrap() == member.bytes,
                        "{}",
                        member.key
                    );
                }
            }
            Err(e) => eprintln!("gcab not run ({e}); apt-get install -y gcab"),
        }
    }

    fn block_sizes(cab: &[u8]) -> Vec<(usize, usize)> {
        let mut at = u32::from_le_bytes(cab[36..40].try_into().unwrap()) as usize;
        let mut out = Vec::new();
        while at < cab.len() {
            let cb = u16::from_le_bytes([cab[at + 4], cab[at + 5]]) as usize;
            let uncomp = u16::from_le_bytes([cab[at + 6], cab[at + 7]]) as usize;
            out.push((cb, uncomp));
            at += 8 + cb;
        }
        out
    }

    #[test]
    fn empty_members() {
        let cab = round_trip(&[Member { key: "f_a", bytes: b"" }, Member { key: "f_b", bytes: b"" }]);
        assert!(block_sizes(&cab).is_empty());
        let cab = round_trip(&[
            Member { key: "f_a", bytes: b"" },
            Member {
                key: "f_b",
                bytes: b"hello",
            },
            Member { key: "f_c", bytes: b"" },
        ]);
        assert_eq!(block_sizes(&cab).len(), 1);
    }

    #[test]
    fn member_of_exactly_one_block() {
        let bytes = text(BLOCK_SIZE);
        let cab = round_trip(&[
            Member {
                key: "f_one",
                bytes: &bytes,
            },
            Member {
                key: "f_empty",
                bytes: b"",
            },
        ]);
        let blocks = block_sizes(&cab);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].1, BLOCK_SIZE);
    }

    #[test]
    fn members_span_blocks() {
        let (a, b, c) = (text(70_000), text(1), text(3 * BLOCK_SIZE - 70_001 + 7));
        let cab = round_trip(&[
            Member { key: "f_a", bytes: &a },
            Member { key: "f_b", bytes: &b },
            Member { key: "f_c", bytes: &c },
        ]);
        let uncompressed: Vec<usize> = block_sizes(&cab).iter().map(|b| b.1).collect();
        assert_eq!(uncompressed, [BLOCK_SIZE, BLOCK_SIZE, BLOCK_SIZE, 7]);
    }

    #[test]
    fn many_blocks_across_windows() {
        // More blocks than one window of 3 threads holds.
        let bytes = text(3 * BLOCKS_PER_THREAD * BLOCK_SIZE + 12_345);
        let small: Vec<Vec<u8>> = (0..50).map(|i| text(i * 37)).collect();
        let keys: Vec<String> = (0..small.len()).map(|i| format!("f_{i}")).collect();
        let mut members = vec![Member {
            key: "f_big",
            bytes: &bytes,
        }];
        members.extend(keys.iter().zip(&small).map(|(key, bytes)| Member { key, bytes }));
        round_trip(&members);
    }

    #[test]
    fn incompressible_blocks_are_stored() {
        let bytes = noise(2 * BLOCK_SIZE + 1000, 0x9E37_79B9_7F4A_7C15);
        let cab = round_trip(&[Member {
            key: "f_noise",
            bytes: &bytes,
        }]);
        let blocks = block_sizes(&cab);
        assert_eq!(
            blocks,
            [(BLOCK_SIZE + 7, BLOCK_SIZE), (BLOCK_SIZE + 7, BLOCK_SIZE), (1007, 1000)]
        );
    }

    #[test]
    fn limits_are_refused() {
        let datetime = dos_datetime(Timestamp(0)).unwrap();
        let members: Vec<Member<'_>> = (0..=MAX_MEMBERS).map(|_| Member { key: "f", bytes: b"" }).collect();
        let err = header(&members, datetime).unwrap_err();
        assert!(err.to_string().contains("at most 65535 files"), "{err}");
        // 65535 blocks (2 GiB − 32 KiB) fit; one byte more does not. Nothing
        // is read: the zeroed gigabyte is never touched.
        let big = vec![0u8; 1 << 30];
        let mut members = vec![
            Member {
                key: "f_1",
                bytes: &big,
            },
            Member {
                key: "f_2",
                bytes: &big[..big.len() - 2 * BLOCK_SIZE],
            },
        ];
        assert_eq!(header(&members, datetime).unwrap().1, MAX_BLOCKS as usize - 1);
        members[1].bytes = &big[..big.len() - BLOCK_SIZE];
        assert_eq!(header(&members, datetime).unwrap().1, MAX_BLOCKS as usize);
        members.push(Member {
            key: "f_4",
            bytes: b"x",
        });
        let err = header(&members, datetime).unwrap_err();
        assert!(err.to_string().contains("a cabinet folder can hold"), "{err}");
        let err = header(&[Member { key: "", bytes: b"" }], datetime).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
    }
}
